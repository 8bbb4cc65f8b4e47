package rules

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"text/template"
	"time"
)

// templateData is what a template sees as ".".
type templateData struct {
	Method   string         // the request method
	Path     string         // the backend request path
	Segments []string       // Path without its leading "/", split on "/"
	Query    url.Values     // the forwarded query parameters
	Header   readOnlyHeader // the forwarded headers: .Header.Get "X-Name"
	Host     string         // the backend host of the request URL
	Rule     string         // the name of the rule that answers
}

// readOnlyHeader offers templates http.Header's readers only, so that no
// template can change the request's headers (".Header.Set" does not exist).
// "index .Header "X-Name"" works too, with the canonical name.
type readOnlyHeader map[string][]string

// Get returns the first value of the header, or "".
func (h readOnlyHeader) Get(name string) string {
	if v := h[canonicalHeader(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns all the values of the header.
func (h readOnlyHeader) Values(name string) []string { return h[canonicalHeader(name)] }

// segments splits a path as templates see it: "/a/b/" gives a, b and "";
// "/" and "" give none.
func segments(path string) []string {
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

// templateSet holds the templates of one action. They are parsed once, at
// load; each request executes them on a clone taken from a pool, whose
// request-bound functions (body, bodyRaw) read that request's body. A clone
// serves one request at a time, so no function is ever shared between two.
type templateSet struct {
	root  *template.Template
	names []string
	pool  sync.Pool
}

// boundTemplates is a clone of a templateSet bound to one request.
type boundTemplates struct {
	x         *exchange
	templates []*template.Template
}

func newTemplateSet() *templateSet {
	s := &templateSet{root: template.New("").Funcs((&boundTemplates{}).funcs())}
	s.pool.New = s.clone
	return s
}

// isTemplate tells a template from a plain value: the whole engine uses
// this one test.
func isTemplate(s string) bool { return strings.Contains(s, "{{") }

// add parses a template named by its location and returns its index.
func (s *templateSet) add(loc, text string) (int, error) {
	if _, err := s.root.New(loc).Parse(text); err != nil {
		// "template: LOC:1: ..." -> "bad template: line 1: ..."
		msg := strings.TrimPrefix(err.Error(), "template: "+loc+":")
		return 0, fmt.Errorf("bad template %q: line %s", text, msg)
	}
	s.names = append(s.names, loc)
	return len(s.names) - 1, nil
}

func (s *templateSet) clone() any {
	c, err := s.root.Clone()
	if err != nil {
		panic(err) // Clone fails only after Execute on the root, which never runs
	}
	b := &boundTemplates{}
	c.Funcs(b.funcs())
	for _, name := range s.names {
		b.templates = append(b.templates, c.Lookup(name))
	}
	return b
}

func (s *templateSet) bind(x *exchange) *boundTemplates {
	b := s.pool.Get().(*boundTemplates)
	b.x = x
	return b
}

func (s *templateSet) release(b *boundTemplates) {
	b.x = nil
	s.pool.Put(b)
}

func (b *boundTemplates) execute(buf *bytes.Buffer, i int) error {
	return b.templates[i].Execute(buf, b.x.templateData())
}

// funcs are the template functions. None of them reads files, the
// environment or the network.
func (b *boundTemplates) funcs() template.FuncMap {
	return template.FuncMap{
		// body returns the string value at a gjson path of the JSON request
		// body; "" when missing or when the body cannot be evaluated.
		"body": func(path string) string {
			res, ok := b.x.body.get(path)
			if !ok {
				return ""
			}
			return res.String()
		},
		// bodyRaw returns the raw JSON at a gjson path; null when missing.
		"bodyRaw": func(path string) string {
			res, ok := b.x.body.get(path)
			if !ok || !res.Exists() {
				return "null"
			}
			return res.Raw
		},
		"json": jsonEncode,
		"now":  time.Now,
		"uuid": newUUID,
	}
}

// jsonEncode returns v as JSON, for splicing typed values into a
// body_template, or a JSON document into a string leaf.
func jsonEncode(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails on supported platforms
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0x0f])
	}
	return string(out)
}

// text is a configured string that is either plain or a template.
type text struct {
	plain    string
	template int // index in the action's templateSet; -1 when plain
}

func compileText(s *templateSet, loc, src string) (text, error) {
	if !isTemplate(src) {
		return text{plain: src, template: -1}, nil
	}
	i, err := s.add(loc, src)
	return text{template: i}, err
}

// render returns the text for this request.
func (t text) render(b *boundTemplates, buf *bytes.Buffer) (string, error) {
	if t.template < 0 {
		return t.plain, nil
	}
	buf.Reset()
	if err := b.execute(buf, t.template); err != nil {
		return "", err
	}
	return buf.String(), nil
}
