package rules

import (
	"krakend-rules/config"
	"mime"
	"path"
	"strings"
)

// contentTypes are the Content-Types of the common file extensions, so that
// a body_file's type does not depend on the machine's /etc/mime.types
// (which mime.TypeByExtension reads, and consults only for the others).
// Each value is a ready header value: len == cap, shared by every answer.
var contentTypes = func() map[string][]string {
	m := map[string]string{
		".json":    "application/json",
		".geojson": "application/geo+json",
		".jsonld":  "application/ld+json",
		".ndjson":  "application/x-ndjson",
		".xml":     "application/xml",
		".html":    "text/html; charset=utf-8",
		".htm":     "text/html; charset=utf-8",
		".txt":     "text/plain; charset=utf-8",
		".text":    "text/plain; charset=utf-8",
		".md":      "text/markdown; charset=utf-8",
		".csv":     "text/csv; charset=utf-8",
		".css":     "text/css; charset=utf-8",
		".js":      "text/javascript; charset=utf-8",
		".mjs":     "text/javascript; charset=utf-8",
		".yaml":    "application/yaml",
		".yml":     "application/yaml",
		".svg":     "image/svg+xml",
		".png":     "image/png",
		".jpg":     "image/jpeg",
		".jpeg":    "image/jpeg",
		".gif":     "image/gif",
		".webp":    "image/webp",
		".avif":    "image/avif",
		".ico":     "image/x-icon",
		".pdf":     "application/pdf",
		".zip":     "application/zip",
		".gz":      "application/gzip",
		".tar":     "application/x-tar",
		".wasm":    "application/wasm",
		".woff":    "font/woff",
		".woff2":   "font/woff2",
		".ttf":     "font/ttf",
		".mp3":     "audio/mpeg",
		".mp4":     "video/mp4",
		".pb":      "application/x-protobuf",
		".bin":     "application/octet-stream",
	}
	out := make(map[string][]string, len(m))
	for ext, t := range m {
		out[ext] = []string{t}
	}
	return out
}()

// octetStream is the Content-Type of a body whose type is unknown.
var octetStream = []string{"application/octet-stream"}

// contentTypeOf returns the Content-Type of a file name, from its extension
// (a name ending in ".tmpl" by the extension before it): the built-in table
// first, then the system's, and application/octet-stream when neither knows
// it.
func contentTypeOf(name string) []string {
	name = strings.TrimSuffix(name, ".tmpl")
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" && ext != "" {
		return []string{t}
	}
	return octetStream
}

// isJSONType tells whether a Content-Type is JSON: application/json,
// text/json, or a structured +json type (application/problem+json), any
// case, whatever its parameters.
func isJSONType(ct string) bool {
	t, _, _ := strings.Cut(ct, ";")
	t = strings.ToLower(strings.TrimSpace(t))
	return t == "application/json" || t == "text/json" || strings.HasSuffix(t, "+json")
}

// SendsJSON tells whether a response's body is JSON as far as the
// configuration says, which is what KrakenD's default encoding needs (it
// decodes the bytes whatever their Content-Type): not for body_base64, for
// a string body sent as it is that is not JSON text, or for a body_file
// whose extension names a type that is not JSON. What is known only at
// request time (a template) counts as JSON. The linter warns about the
// others on endpoints that decode answers as JSON.
func SendsJSON(cfg *config.Response) bool {
	contentType, typeSet, typeNone, typeTemplated := "", false, false, false
	for name, values := range cfg.Headers {
		if CanonicalHeader(name) != "Content-Type" {
			continue
		}
		typeSet, typeNone = true, values == nil
		if !typeNone {
			contentType, typeTemplated = values[0], isTemplate(values[0])
		}
	}
	text, isString := cfg.Body.(string)
	switch {
	case cfg.BodyBase64 != "":
		return false
	case cfg.BodyFile != "":
		t := contentTypeOf(cfg.BodyFile)[0]
		return isTemplate(cfg.BodyFile) || isJSONType(t) || t == octetStream[0]
	case cfg.HasBody && isString && (typeNone || typeSet && !typeTemplated && !isJSONType(contentType)):
		return isTemplate(text) || validJSON([]byte(text), config.DefaultMaxBodyDepth)
	}
	return true
}
