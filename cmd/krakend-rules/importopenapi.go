package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oasdiff/yaml"
)

const importUsage = `usage: krakend-rules import openapi [-o rules.json] [-status 2xx|CODE] [-params] [-base auto|/PREFIX|/] SPEC

Writes a rules file with a rule for each operation of an OpenAPI 3.0 or 3.1
document (YAML or JSON; Swagger 2.0 is converted first): the path template
as a path pattern with named parameters, the method, the status and content
type of the chosen response, and its example, or a sample built from its
schema. Each other response of the operation gets a rule of its own, chosen
by the request header "Prefer: code=404"; each other content type of the
chosen response one chosen by "Accept". Literal paths come before
parameterised ones. SPEC "-" reads standard input.
`

// importOptions are the choices of "import openapi".
type importOptions struct {
	status string // "2xx": the first 2xx response; or a status code
	params bool   // template path parameters into the answers
	base   string // "auto": the path of servers[0].url; "/" none; or a prefix
}

func runImport(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "openapi" {
		fmt.Fprint(stderr, importUsage)
		return 2
	}
	fs := flag.NewFlagSet("import openapi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, importUsage); fs.PrintDefaults() }
	out := fs.String("o", "", "write the rules file here (default: standard output)")
	var opts importOptions
	fs.StringVar(&opts.status, "status", "2xx", `which response answers by default: "2xx" (the first success; else the first one listed) or a status code`)
	fs.BoolVar(&opts.params, "params", false, "answer with the request's path parameters: an answer's property named as a path parameter (or id, for a last parameter named ...Id) takes its value")
	fs.StringVar(&opts.base, "base", "auto", `the path prefix of the backend requests: "auto" takes the path of the document's first server URL, "/" means none`)
	specs, err := parseInterleaved(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(specs) != 1 {
		fs.Usage()
		return 2
	}
	spec := specs[0]
	if opts.status != "2xx" {
		if n, err := strconv.Atoi(opts.status); err != nil || n < 100 || n > 599 {
			fmt.Fprintf(stderr, "krakend-rules: -status %q: want 2xx or a status code from 100 to 599\n", opts.status)
			return 2
		}
	}
	file, notes, err := loadAndImport(spec, stdin, opts)
	if err != nil {
		fmt.Fprintf(stderr, "krakend-rules: %s: %v\n", spec, err)
		return 1
	}
	for _, n := range notes {
		fmt.Fprintf(stderr, "krakend-rules: %s: %s\n", spec, n)
	}
	text, err := encodeRulesFile(file)
	if err != nil {
		fmt.Fprintln(stderr, "krakend-rules:", err)
		return 1
	}
	if *out == "" {
		_, err = stdout.Write(text)
	} else {
		err = os.WriteFile(*out, text, 0o644)
	}
	if err != nil {
		fmt.Fprintln(stderr, "krakend-rules:", err)
		return 1
	}
	if *out != "" {
		fmt.Fprintf(stderr, "%s: %d rules from %s\n", *out, len(file.Rules), spec)
	}
	return 0
}

// loadOpenAPI reads an OpenAPI 3.x document, or a Swagger 2.0 one that it
// converts, resolving its references (relative files included).
func loadOpenAPI(name string, stdin io.Reader) (*openapi3.T, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, err
	}
	var head struct {
		Swagger string `json:"swagger"`
		OpenAPI string `json:"openapi"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("neither YAML nor JSON: %v", err)
	}
	if err := checkDepth(data); err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	switch {
	case strings.HasPrefix(head.Swagger, "2."):
		var doc2 openapi2.T
		if err := yaml.Unmarshal(data, &doc2); err != nil {
			return nil, fmt.Errorf("reading Swagger %s: %v", head.Swagger, err)
		}
		hoistSwaggerBodyParameters(&doc2)
		doc, err := openapi2conv.ToV3(&doc2)
		if err != nil {
			return nil, fmt.Errorf("converting Swagger %s to OpenAPI 3: %v", head.Swagger, locateSwaggerError(&doc2, err))
		}
		return doc, nil
	case strings.HasPrefix(head.OpenAPI, "3.1"):
		if data, err = downgradeExclusiveBounds(data); err != nil {
			return nil, err
		}
	case strings.HasPrefix(head.OpenAPI, "3."):
	default:
		return nil, errors.New(`not an OpenAPI 3 or Swagger 2.0 document (no "openapi: 3.x" or "swagger: 2.0")`)
	}
	var doc *openapi3.T
	if name == "-" {
		doc, err = loader.LoadFromData(data)
	} else {
		u := &url.URL{Path: filepath.ToSlash(name)}
		doc, err = loader.LoadFromDataWithPath(data, u)
	}
	if err != nil {
		return nil, fmt.Errorf("loading OpenAPI %s: %v", head.OpenAPI, err)
	}
	return doc, nil
}

// downgradeExclusiveBounds rewrites the numeric exclusiveMinimum and
// exclusiveMaximum of OpenAPI 3.1 (JSON Schema 2020-12) into the 3.0 form
// the loader's model reads (minimum plus exclusiveMinimum: true): the one
// 3.1 keyword that kin-openapi v0.133.0 rejects. The document is returned
// as JSON.
func downgradeExclusiveBounds(data []byte) ([]byte, error) {
	text, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(text, &doc); err != nil {
		return nil, err
	}
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > 1000 {
			return
		}
		switch t := v.(type) {
		case map[string]any:
			for kw, bound := range map[string]string{"exclusiveMinimum": "minimum", "exclusiveMaximum": "maximum"} {
				if n, ok := t[kw].(float64); ok {
					t[kw] = true
					if _, set := t[bound]; !set {
						t[bound] = n
					}
				}
			}
			for _, e := range t {
				walk(e, depth+1)
			}
		case []any:
			for _, e := range t {
				walk(e, depth+1)
			}
		}
	}
	walk(doc, 0)
	return json.Marshal(doc)
}

// The rules file, written with its members in a readable order.
type rulesFile struct {
	Rules []outRule `json:"rules"`
}

type outRule struct {
	Name     string      `json:"name"`
	Match    outMatch    `json:"match"`
	Response outResponse `json:"response"`
}

type outMatch struct {
	Path    string            `json:"path"`
	Methods []string          `json:"methods"`
	Headers map[string]string `json:"headers,omitempty"`
}

type outResponse struct {
	Status       int               `json:"status"`
	Headers      map[string]string `json:"headers,omitempty"`
	Body         any               `json:"body,omitempty"`
	BodyTemplate string            `json:"body_template,omitempty"`
}

func encodeRulesFile(f *rulesFile) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// methodOrder is the order of an operation's rules on one path.
var methodOrder = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}

// operation is one operation of the document, with what its rules need.
type operation struct {
	path, method string
	op           *openapi3.Operation
	params       []pathParam // in path order
	pattern      string      // the rules' path pattern
	shape        string      // per segment: 0 literal, 1 literal and parameters, 2 a parameter alone; sorts literal first
	ptr          string      // the JSON pointer of the operation in the document
}

// pointer is a JSON pointer (RFC 6901) to the members named.
func pointer(names ...string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(n, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

type pathParam struct {
	name, group string // as the document names it; as a regexp group (and .Params key)
	integer     bool
}

// importOpenAPI turns a document into rules, and says what it could not
// import faithfully.
func importOpenAPI(doc *openapi3.T, opts importOptions) (*rulesFile, []string) {
	var notes []string
	base, baseNote := basePath(doc, opts.base)
	if baseNote != "" {
		notes = append(notes, baseNote)
	}
	var ops []*operation
	if doc.Paths != nil {
		paths := doc.Paths.Map()
		keys := make([]string, 0, len(paths))
		for k := range paths {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, p := range keys {
			item := paths[p]
			all := item.Operations()
			for _, m := range methodOrder {
				op := all[m]
				if op == nil {
					continue
				}
				o := &operation{path: p, method: m, op: op, ptr: pointer("paths", p, strings.ToLower(m))}
				o.pattern, o.params, o.shape = pathPattern(base, p, append(item.Parameters, op.Parameters...))
				ops = append(ops, o)
			}
		}
	}
	// Literal segments before parameters, position by position: /users/me
	// before /users/{id}.
	// Of segments that mix text and parameters, the one with more text
	// first: /f/{id}.json before /f/{name}.{ext}.
	sort.SliceStable(ops, func(i, j int) bool {
		if ops[i].shape != ops[j].shape {
			return ops[i].shape < ops[j].shape
		}
		return mixedText(ops[i].path) > mixedText(ops[j].path)
	})
	ops = dropSamePaths(ops, &notes)

	f := &rulesFile{Rules: []outRule{}}
	names := map[string]bool{}
	ids := map[string]*operation{}
	unique := func(name string) string {
		n, i := name, 2
		for names[n] {
			n = name + " (" + strconv.Itoa(i) + ")"
			i++
		}
		names[n] = true
		return n
	}
	for _, o := range ops {
		name := o.op.OperationID
		if name == "" {
			name = o.method + " " + o.path
		} else if first := ids[name]; first != nil {
			renamed := name + " " + o.method + " " + o.path
			notes = append(notes, fmt.Sprintf("%s/operationId: %q is also the operationId of %s %s: this operation's rules are named %q", o.ptr, name, first.method, first.path, renamed))
			name = renamed
		} else {
			ids[name] = o
		}
		chosen, others := chooseResponses(o.op.Responses, opts.status)
		if chosen == "" {
			notes = append(notes, fmt.Sprintf("%s/responses: %s %s has no responses: answered 200 with no body", o.ptr, o.method, o.path))
			f.Rules = append(f.Rules, outRule{Name: unique(name), Match: outMatch{Path: o.pattern, Methods: []string{o.method}}, Response: outResponse{Status: 200}})
			continue
		}
		for _, code := range others {
			variants := responseVariants(o, code, opts, &notes)
			f.Rules = append(f.Rules, outRule{
				Name:     unique(name + " " + code),
				Match:    outMatch{Path: o.pattern, Methods: []string{o.method}, Headers: map[string]string{"Prefer": "*code=" + code + "*"}},
				Response: variants[0].response,
			})
		}
		variants := responseVariants(o, chosen, opts, &notes)
		for _, v := range variants[1:] {
			f.Rules = append(f.Rules, outRule{
				Name:     unique(name + " " + v.contentType),
				Match:    outMatch{Path: o.pattern, Methods: []string{o.method}, Headers: map[string]string{"Accept": "*" + v.contentType + "*"}},
				Response: v.response,
			})
		}
		f.Rules = append(f.Rules, outRule{Name: unique(name), Match: outMatch{Path: o.pattern, Methods: []string{o.method}}, Response: variants[0].response})
	}
	if len(f.Rules) == 0 {
		notes = append(notes, "the document has no operations under paths (webhooks and callbacks are not imported)")
	}
	return f, notes
}

// basePath is the prefix of every backend path: "auto" takes the path of
// servers[0].url, its variables replaced by their defaults; a variable
// left without one cuts the prefix before its segment (and is noted).
func basePath(doc *openapi3.T, opt string) (string, string) {
	if opt != "auto" {
		return strings.TrimSuffix(opt, "/"), ""
	}
	if len(doc.Servers) == 0 || doc.Servers[0] == nil {
		return "", ""
	}
	s := doc.Servers[0]
	raw := s.URL
	for _, name := range sortedKeys(s.Variables) {
		if v := s.Variables[name]; v != nil && v.Default != "" {
			raw = strings.ReplaceAll(raw, "{"+name+"}", v.Default)
		}
	}
	hostFirst := false
	switch first, _, _ := strings.Cut(raw, "/"); {
	case strings.Contains(raw, "://"):
		raw, hostFirst = raw[strings.Index(raw, "://")+3:], true
	case strings.HasPrefix(raw, "//"):
		raw, hostFirst = raw[2:], true
	case strings.HasPrefix(raw, "/"):
	case strings.ContainsAny(first, ".:"): // a host without a scheme
		hostFirst = true
	default: // "v1", relative to where the document is served
		raw = "/" + raw
	}
	if hostFirst {
		if j := strings.IndexByte(raw, '/'); j >= 0 {
			raw = raw[j:]
		} else {
			raw = ""
		}
	}
	raw, _, _ = strings.Cut(raw, "?")
	raw, _, _ = strings.Cut(raw, "#")
	note := ""
	if i := strings.IndexByte(raw, '{'); i >= 0 {
		cut := raw[:strings.LastIndexByte(raw[:i], '/')+1]
		note = fmt.Sprintf("/servers/0/url: %q has a variable with no default in its path: the backend paths are taken to start with %q (set -base)", s.URL, strings.TrimSuffix(cut, "/")+"/")
		raw = cut
	}
	return strings.TrimSuffix(raw, "/"), note
}

// groupName makes a parameter name a regexp group name (letters, digits
// and _), the key of .Params.
func groupName(name string) string {
	b := []byte{}
	for _, c := range name {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			c = '_'
		}
		b = append(b, byte(c))
	}
	if len(b) == 0 || '0' <= b[0] && b[0] <= '9' {
		return "p" + string(b)
	}
	return string(b)
}

var (
	templateParam = regexp.MustCompile(`\{([^{}/]+)\}`)
	wholeParam    = regexp.MustCompile(`^\{[^{}/]+\}$`)
)

// unescapePath decodes the %XX escapes of a path template's literal text:
// the engine matches the decoded path (a "%" that escapes nothing stays).
func unescapePath(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	if u, err := url.PathUnescape(s); err == nil && utf8.ValidString(u) {
		return u
	}
	return s // a path pattern must be UTF-8
}

// mixedText is how much literal text a template's segments with
// parameters have.
func mixedText(template string) int {
	n := 0
	for _, seg := range strings.Split(template, "/") {
		if templateParam.MatchString(seg) {
			n += len(templateParam.ReplaceAllString(seg, ""))
		}
	}
	return n
}

// dropSamePaths keeps the first of operations whose paths differ only in
// their parameters' names (/a/{x} and /a/{y}, the same path for OpenAPI):
// the later one could never answer.
func dropSamePaths(ops []*operation, notes *[]string) []*operation {
	first := map[string]*operation{}
	kept := ops[:0]
	for _, o := range ops {
		key := o.method + " " + templateParam.ReplaceAllString(o.path, "{}")
		if f := first[key]; f != nil {
			*notes = append(*notes, fmt.Sprintf("%s: %s %s is the same path as %s %s (only the parameters' names differ), which answers it: not imported", o.ptr, o.method, o.path, f.method, f.path))
			continue
		}
		first[key] = o
		kept = append(kept, o)
	}
	return kept
}

// pathPattern turns a path template into the engine's path pattern: a glob
// (escaped) for a literal path, an anchored regexp with a named group per
// parameter otherwise — [^/]+, or -?[0-9]+ for an integer parameter.
func pathPattern(base, template string, params openapi3.Parameters) (string, []pathParam, string) {
	integer := map[string]bool{}
	for _, p := range params {
		if p != nil && p.Value != nil && p.Value.In == "path" && p.Value.Schema != nil && p.Value.Schema.Value != nil &&
			p.Value.Schema.Value.Type != nil && p.Value.Schema.Value.Type.Is("integer") {
			integer[p.Value.Name] = true
		}
	}
	full := base + template
	var shape strings.Builder
	for _, seg := range strings.Split(strings.Trim(full, "/"), "/") {
		switch {
		case !templateParam.MatchString(seg):
			shape.WriteByte('0')
		case wholeParam.MatchString(seg):
			shape.WriteByte('2')
		default: // {id}.json before {id}, which would match it too
			shape.WriteByte('1')
		}
	}
	if !templateParam.MatchString(full) {
		var b strings.Builder
		for _, c := range unescapePath(full) {
			if strings.ContainsRune(`*?[]{}\!~`, c) {
				b.WriteByte('\\')
			}
			b.WriteRune(c)
		}
		return b.String(), nil, shape.String()
	}
	var re strings.Builder
	var found []pathParam
	used := map[string]bool{}
	re.WriteString("~^")
	last := 0
	for _, m := range templateParam.FindAllStringSubmatchIndex(full, -1) {
		re.WriteString(regexp.QuoteMeta(unescapePath(full[last:m[0]])))
		name := full[m[2]:m[3]]
		p := pathParam{name: name, group: groupName(name), integer: integer[name]}
		for used[p.group] {
			p.group += "_"
		}
		used[p.group] = true
		found = append(found, p)
		class := "[^/]+"
		if p.integer {
			class = "-?[0-9]+"
		}
		re.WriteString("(?P<" + p.group + ">" + class + ")")
		last = m[1]
	}
	re.WriteString(regexp.QuoteMeta(unescapePath(full[last:])) + "$")
	return re.String(), found, shape.String()
}

// chooseResponses picks the response that answers by default and lists the
// others (explicit status codes only), in order.
func chooseResponses(rs *openapi3.Responses, want string) (chosen string, others []string) {
	if rs == nil || rs.Len() == 0 {
		return "", nil
	}
	var codes []string
	for code := range rs.Map() {
		codes = append(codes, code)
	}
	sort.Strings(codes) // "200" < "2XX" < "404" < "default"
	for _, c := range codes {
		if want != "2xx" && c == want || want == "2xx" && c[0] == '2' {
			chosen = c
			break
		}
	}
	if chosen == "" {
		for _, c := range codes {
			if c[0] == '2' {
				chosen = c
				break
			}
		}
	}
	if chosen == "" {
		chosen = codes[0]
	}
	for _, c := range codes {
		if c != chosen && c != "default" && !strings.ContainsAny(c, "Xx") {
			others = append(others, c)
		}
	}
	return chosen, others
}

// statusOf turns a response key into a status: "2XX" is 200, "default" is
// 200 when it is the only answer, else 500.
func statusOf(code string, alone bool) int {
	if code == "default" {
		if alone {
			return 200
		}
		return 500
	}
	if n, err := strconv.Atoi(code); err == nil {
		return n
	}
	n, _ := strconv.Atoi(code[:1])
	return n * 100
}

type variant struct {
	contentType string
	response    outResponse
}

// responseVariants builds the answers of one response: one per content
// type, JSON first; the first is the default.
func responseVariants(o *operation, code string, opts importOptions, notes *[]string) []variant {
	ref := o.op.Responses.Value(code)
	status := statusOf(code, o.op.Responses.Len() == 1)
	base := outResponse{Status: status}
	if ref == nil || ref.Value == nil {
		return []variant{{response: base}}
	}
	resp := ref.Value
	base.Headers = map[string]string{}
	for _, name := range sortedKeys(resp.Headers) {
		h := resp.Headers[name]
		if h == nil || h.Value == nil || strings.EqualFold(name, "Content-Type") {
			continue
		}
		v := h.Value.Example
		if v == nil && h.Value.Schema != nil {
			v = newSampler().sample(h.Value.Schema, 0)
		}
		if v != nil {
			base.Headers[name] = escapeTemplate(scalarText(v))
		}
	}
	if status == 204 || status == 304 || status < 200 || len(resp.Content) == 0 {
		if len(base.Headers) == 0 {
			base.Headers = nil
		}
		return []variant{{response: base}}
	}
	var types []string
	for ct := range resp.Content {
		types = append(types, ct)
	}
	sort.Slice(types, func(i, j int) bool {
		if isJSON(types[i]) != isJSON(types[j]) {
			return isJSON(types[i])
		}
		return types[i] < types[j]
	})
	var out []variant
	for _, ct := range types {
		r := base
		r.Headers = map[string]string{}
		for k, v := range base.Headers {
			r.Headers[k] = v
		}
		mt := resp.Content[ct]
		at := o.ptr + pointer("responses", code, "content", ct)
		value, ok := mediaExample(mt)
		if ok {
			if n, b := weigh(value, maxSampleValues, maxAnswerBytes); n > maxSampleValues || b > maxAnswerBytes {
				*notes = append(*notes, fmt.Sprintf("%s: the example is over %d values or %d bytes: answered with a sample of the schema instead", at, maxSampleValues, maxAnswerBytes))
				value, ok = nil, false
			}
		}
		if !ok && mt != nil && mt.Schema != nil {
			sp := newSampler()
			value, ok = sp.sample(mt.Schema, 0), true
			if sp.truncated {
				*notes = append(*notes, fmt.Sprintf("%s/schema: the sample passes %d values or %d bytes: cut there (null beyond)", at, maxSampleValues, maxAnswerBytes))
			}
		}
		contentType := ct
		if strings.ContainsAny(ct, "*") { // */* or text/*: answer what the sample is
			contentType = "application/json"
			if _, isText := value.(string); isText && ok {
				contentType = "text/plain"
			}
		}
		r.Headers["Content-Type"] = contentType
		switch {
		case !ok:
		case isJSON(contentType):
			r.Body, r.BodyTemplate = jsonAnswer(value, o.params, opts.params)
		default:
			s, isText := value.(string)
			if !isText {
				if len(types) > 1 {
					continue // an XML (or other) rendering of a structure: left to the JSON variant
				}
				*notes = append(*notes, fmt.Sprintf("%s: no %s example, answered with no body", at, ct))
				break
			}
			r.BodyTemplate = escapeTemplate(s)
		}
		out = append(out, variant{contentType: ct, response: r})
	}
	if len(out) == 0 {
		return []variant{{response: base}}
	}
	return out
}

func isJSON(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(strings.ToLower(mt))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// mediaExample is the media type's example, or the first of its examples
// by name.
func mediaExample(mt *openapi3.MediaType) (any, bool) {
	if mt == nil {
		return nil, false
	}
	if mt.Example != nil {
		return mt.Example, true
	}
	for _, name := range sortedKeys(mt.Examples) {
		if ex := mt.Examples[name]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
			return ex.Value.Value, true
		}
	}
	return nil, false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// escapeTemplate keeps "{{" of a document's text from being read as a
// template action.
func escapeTemplate(s string) string {
	return strings.ReplaceAll(s, "{{", `{{"{{"}}`)
}

// escapeLeaves escapes "{{" in every string of a JSON value, whose string
// leaves the engine reads as templates.
func escapeLeaves(v any) any {
	switch t := v.(type) {
	case string:
		return escapeTemplate(t)
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = escapeLeaves(e)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, e := range t {
			a[i] = escapeLeaves(e)
		}
		return a
	}
	return v
}

func scalarText(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// jsonAnswer is a JSON answer: a static body, or, when -params puts path
// parameters into it, a body_template that writes integers as numbers and
// strings as JSON strings.
func jsonAnswer(value any, params []pathParam, templated bool) (any, string) {
	obj, isObject := value.(map[string]any)
	if !templated || !isObject || len(params) == 0 {
		return escapeLeaves(value), ""
	}
	placed := map[string]pathParam{}
	for i, p := range params {
		key := ""
		if _, ok := obj[p.name]; ok {
			key = p.name
		} else if _, ok := obj["id"]; ok && i == len(params)-1 && strings.HasSuffix(strings.ToLower(p.name), "id") {
			key = "id"
		}
		if key != "" {
			placed[key] = p
		}
	}
	if len(placed) == 0 {
		return escapeLeaves(value), ""
	}
	const mark = "\x00param\x00"
	copied := make(map[string]any, len(obj))
	for k, v := range obj {
		copied[k] = v
	}
	for key, p := range placed {
		copied[key] = mark + p.group
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(copied)
	text := escapeTemplate(strings.TrimSuffix(buf.String(), "\n"))
	for _, p := range placed {
		action := "{{ json .Params." + p.group + " }}"
		if p.integer {
			action = "{{ .Params." + p.group + " }}"
		}
		text = strings.ReplaceAll(text, `"\u0000param\u0000`+p.group+`"`, action)
	}
	return nil, text
}
