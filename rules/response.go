package rules

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"krakend-rules/config"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// response answers a request from the gateway. Everything static (status,
// headers, an untemplated body and its length) is prepared at load, so a
// static answer only copies prepared values.
type response struct {
	status int
	header []headerField // static fields, canonical names, ready to assign
	body   []byte        // the static body

	// *templatedResponse is what only a templated answer needs: nil for a
	// static one, which keeps its struct small for the garbage collector.
	*templatedResponse
}

// templatedResponse is the part of a response that renders per request.
type templatedResponse struct {
	templated []headerText // fields whose values are templates
	nValues   int          // how many values the templated fields have

	jsonBody  jsonBody  // a "body" with templates
	rawBody   int       // index of a template rendered verbatim; -1 when none
	file      *bodyFile // a templated body_file; nil when none
	templates *templateSet
	log       *logger
}

// templateSet is the response's templates; nil for a static one.
func (r *response) templateSet() *templateSet {
	if r.templatedResponse == nil {
		return nil
	}
	return r.templates
}

type headerField struct {
	name   string
	values []string // len == cap: an append by a later handler copies
}

type headerText struct {
	name   string
	values []text
}

// bodyFile is a templated body_file: a name rendered for each request and
// read from body_dir.
type bodyFile struct {
	dir      *bodyDir
	name     text
	typeOfIt bool // Content-Type from the name's extension: none was configured
}

var applicationJSON = []string{"application/json"}

func compileResponse(errs *config.Errors, loc config.Path, cfg *config.Response, log *logger) *response {
	r := &response{status: cfg.Status, templatedResponse: &templatedResponse{rawBody: -1, templates: newTemplateSet(), log: log}}
	hasTemplates := false

	// The Content-Type: configured (static or a template), null for none,
	// or the default of the kind of body.
	var contentType string
	typeSet, typeNone, typeTemplated := false, false, false
	for _, name := range config.SortedKeys(cfg.Headers) {
		hloc := loc.Field("headers").Key(name)
		canon := headerName(errs, hloc, name)
		values := cfg.Headers[name]
		typeSet = typeSet || canon == "Content-Type"
		if values == nil {
			if canon != "Content-Type" {
				errs.Add(hloc, "null sends no such header, which only Content-Type would otherwise have: leave %s out", canon)
			}
			typeNone = true
			continue
		}
		texts, templated := make([]text, len(values)), false
		for i, src := range values {
			vloc := hloc
			if len(values) > 1 {
				vloc = hloc.Index(i)
			}
			v, err := compileText(r.templates, vloc, src)
			switch {
			case err != nil:
				errs.Add(vloc, "%v", err)
			case v.template < 0 && controlByte(v.plain) >= 0:
				errs.Add(vloc, "%v", errControlByte(v.plain))
			}
			texts[i], templated = v, templated || v.template >= 0
		}
		if templated {
			r.templated = append(r.templated, headerText{name: canon, values: texts})
			r.nValues += len(texts)
			hasTemplates = true
			typeTemplated = typeTemplated || canon == "Content-Type"
			continue
		}
		plain := make([]string, len(texts))
		for i, t := range texts {
			plain[i] = t.plain
		}
		r.header = append(r.header, headerField{name: canon, values: plain})
		if canon == "Content-Type" {
			contentType = plain[0]
		}
	}
	templatedFile := cfg.BodyFile != "" && isTemplate(cfg.BodyFile)
	if !typeSet {
		switch {
		case cfg.BodyBase64 != "":
			r.header = append(r.header, headerField{name: "Content-Type", values: octetStream})
		case cfg.BodyFile != "" && !templatedFile:
			r.header = append(r.header, headerField{name: "Content-Type", values: slices.Clip(slices.Clone(contentTypeOf(cfg.BodyFile)))})
		case templatedFile: // from the name of each request's file
		default:
			r.header = append(r.header, headerField{name: "Content-Type", values: applicationJSON})
		}
	}
	// A string body is the body itself, not a JSON string, when the answer
	// says it is not JSON (or says nothing).
	bodyString, isString := cfg.Body.(string)
	verbatim := cfg.HasBody && isString && (typeNone || typeSet && !typeTemplated && !isJSONType(contentType))

	switch {
	case cfg.BodyFile != "" && cfg.BodyDir != "":
		dir := compileBodyDir(errs, loc.Field("body_dir"), cfg.BodyDir)
		if templatedFile {
			if strings.HasSuffix(cfg.BodyFile, ".tmpl") {
				errs.Add(loc.Field("body_file"), "is a template and ends in .tmpl: a file a template names is served as it is, never rendered")
			}
			name, err := compileText(r.templates, loc.Field("body_file"), cfg.BodyFile)
			if err != nil {
				errs.Add(loc.Field("body_file"), "%v", err)
			}
			r.file = &bodyFile{dir: dir, name: name, typeOfIt: !typeSet}
			hasTemplates = true
			break
		}
		if dir == nil {
			break
		}
		var content bytes.Buffer
		if err := dir.read(&content, cfg.BodyFile); err != nil {
			errs.Add(loc.Field("body_file"), "%v", err)
			break
		}
		hasTemplates = r.fileContent(errs, loc, cfg.BodyFile, content.Bytes()) || hasTemplates
	case templatedFile:
		errs.Add(loc.Field("body_file"), "is a template: give body_dir, the directory the files it names are read from")
	case cfg.BodyFile != "":
		// Like a rules_file: never a file whose reading blocks or never
		// ends, and bounded.
		content, _, _, problem := readConfigFile(cfg.BodyFile, "body_file", config.MaxBodyFileBytes)
		if problem != "" {
			errs.Add(loc.Field("body_file"), "%s", problem)
			break
		}
		hasTemplates = r.fileContent(errs, loc, cfg.BodyFile, content) || hasTemplates
	case cfg.BodyBase64 != "":
		body, err := decodeBase64(cfg.BodyBase64)
		if err != nil {
			errs.Add(loc.Field("body_base64"), "%v", err)
		}
		r.body = body
	case cfg.HasBodyTemplate:
		i, err := r.templates.add(loc.Field("body_template"), cfg.BodyTemplate)
		if err != nil {
			errs.Add(loc.Field("body_template"), "%v", err)
		}
		r.rawBody = i
		hasTemplates = true
	case verbatim && isTemplate(bodyString):
		i, err := r.templates.add(loc.Field("body"), bodyString)
		if err != nil {
			errs.Add(loc.Field("body"), "%v", err)
		}
		r.rawBody = i
		hasTemplates = true
	case verbatim:
		r.body = []byte(bodyString)
	case cfg.HasBody:
		r.jsonBody = compileJSONBody(errs, r.templates, loc.Field("body"), cfg.Body)
		if body, ok := r.jsonBody.static(); ok {
			r.body = body
		} else {
			hasTemplates = true
		}
	}

	if !bodyAllowed(r.status) && (cfg.HasBody || cfg.BodyBase64 != "" || cfg.HasBodyTemplate || cfg.BodyFile != "") {
		errs.Add(loc.Field("body"), "status %d does not allow a body", r.status)
	}
	if err := r.templates.setSeed(loc.Field("seed"), cfg.Seed); err != nil {
		errs.Add(loc.Field("seed"), "%v", err)
	}
	if !hasTemplates {
		r.templatedResponse = nil
		if bodyAllowed(r.status) {
			r.header = append(r.header, headerField{name: "Content-Length", values: []string{strconv.Itoa(len(r.body))}})
		}
		r.header = shareHeaders(r.header)
	}
	return r
}

// fileContent takes a body_file's content read at load: the body, or a
// template when the name ends in ".tmpl" (then it reports true).
func (r *response) fileContent(errs *config.Errors, loc config.Path, name string, content []byte) bool {
	if !strings.HasSuffix(name, ".tmpl") {
		r.body = content
		return false
	}
	i, err := r.templates.add(loc.Field("body_file"), string(content))
	if err != nil {
		errs.Add(loc.Field("body_file"), "%s: %v", name, err)
	}
	r.rawBody = i
	return true
}

// decodeBase64 decodes standard base64, padded or not.
func decodeBase64(s string) ([]byte, error) {
	enc := base64.StdEncoding
	if len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	b, err := enc.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("is not standard base64 (RFC 4648): %v", err)
	}
	return b, nil
}

// bodyAllowed tells whether a status may carry a body (RFC 9110: not 1xx,
// 204 or 304), and so a Content-Length.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

func (r *response) serve(w http.ResponseWriter, x *exchange) {
	if r.templatedResponse == nil {
		writeStatic(w, r.status, r.header, r.body)
		return
	}
	r.serveTemplated(w, x)
}

// writeStatic writes an answer prepared at load: the header fields are
// assigned as they are (never written after compile), the body is written
// once.
func writeStatic(w http.ResponseWriter, status int, header []headerField, body []byte) {
	h := w.Header()
	for _, f := range header {
		h[f.name] = f.values
	}
	w.WriteHeader(status)
	w.Write(body)
}

func (r *response) serveTemplated(w http.ResponseWriter, x *exchange) {
	bt := r.templates.bind(x)
	defer r.templates.release(bt)
	body, scratch := getBuffer(), getBuffer()
	defer putBuffer(body)
	defer putBuffer(scratch)

	values := make([]string, r.nValues)
	n := 0
	for _, t := range r.templated {
		for _, value := range t.values {
			v, err := value.render(bt, scratch)
			if err != nil {
				r.fail(w, x, err)
				return
			}
			values[n] = sanitizeHeaderValue(v)
			n++
		}
	}
	contentType, err := r.renderBody(bt, body, scratch)
	if err != nil {
		r.fail(w, x, err)
		return
	}

	h := w.Header()
	for _, f := range r.header {
		h[f.name] = f.values
	}
	n = 0
	for _, t := range r.templated {
		h[t.name] = values[n : n+len(t.values) : n+len(t.values)]
		n += len(t.values)
	}
	if contentType != nil {
		h["Content-Type"] = contentType
	}
	if bodyAllowed(r.status) {
		h["Content-Length"] = []string{strconv.Itoa(body.Len())}
	}
	w.WriteHeader(r.status)
	w.Write(body.Bytes())
}

// renderBody writes the body for one request into buf; for a templated
// body_file it returns the Content-Type of the file's name, when none is
// configured.
func (r *response) renderBody(bt *boundTemplates, buf, scratch *bytes.Buffer) ([]string, error) {
	switch {
	case r.file != nil:
		name, err := r.file.name.render(bt, scratch)
		if err != nil {
			return nil, err
		}
		if err := r.file.dir.read(buf, name); err != nil {
			return nil, err
		}
		if r.file.typeOfIt {
			return contentTypeOf(name), nil
		}
		return nil, nil
	case r.rawBody >= 0:
		return nil, bt.execute(buf, r.rawBody)
	case r.body != nil:
		buf.Write(r.body)
		return nil, nil
	default:
		return nil, r.jsonBody.render(bt, buf, scratch)
	}
}

// bodyFor renders only the body, into a new slice (for a shadow
// comparison, which outlives the request's buffers).
func (r *response) bodyFor(x *exchange) ([]byte, error) {
	if r.templatedResponse == nil {
		return r.body, nil
	}
	bt := r.templates.bind(x)
	defer r.templates.release(bt)
	scratch := getBuffer()
	defer putBuffer(scratch)
	var buf bytes.Buffer
	_, err := r.renderBody(bt, &buf, scratch)
	return buf.Bytes(), err
}

func (r *response) fail(w http.ResponseWriter, x *exchange, err error) {
	var missing errNoBodyFile
	if errors.As(err, &missing) {
		if r.log.debug {
			r.log.Debug("rule", strconv.Quote(x.ruleName()), "answers 404 to", x.requestLine(), "-", err)
		}
		x.fail(w, http.StatusNotFound, "no such body_file")
		return
	}
	if stateFailed(w, x, err) {
		r.log.Warning("rule", strconv.Quote(x.ruleName()), "could not render its response to", x.requestLine(), "-", err)
		return
	}
	r.log.Error("rule", strconv.Quote(x.ruleName()), "could not render its response to", x.requestLine(), "-", err)
	x.fail(w, http.StatusInternalServerError, "response template failed")
}
