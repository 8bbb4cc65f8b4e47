package rules

import (
	"bytes"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"
	"time"
	"unicode/utf8"
)

// templateData is what a template sees as ".".
type templateData struct {
	Method   string            // the request method
	Path     string            // the backend request path
	Segments []string          // Path without its leading "/", split on "/"
	Query    url.Values        // the forwarded query parameters
	Header   readOnlyHeader    // the forwarded headers: .Header.Get "X-Name"
	Host     string            // the backend host of the request URL
	Rule     string            // the name of the rule that answers
	Params   map[string]string // the named groups of a "~" path regexp
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
	fast  []fastTemplate // by index; nil where text/template must run
	pool  sync.Pool
}

// boundTemplates is a clone of a templateSet bound to one request.
type boundTemplates struct {
	x         *exchange
	set       *templateSet
	templates []*template.Template
}

func newTemplateSet() *templateSet {
	// missingkey=zero: a missing .Params.x is "", not "<no value>" in a mock.
	s := &templateSet{root: template.New("").Option("missingkey=zero").Funcs((&boundTemplates{}).funcs())}
	s.pool.New = s.clone
	return s
}

// isTemplate tells a template from a plain value: the whole engine uses
// this one test.
func isTemplate(s string) bool { return strings.Contains(s, "{{") }

// add parses a template named by its location and returns its index.
func (s *templateSet) add(loc, text string) (int, error) {
	t, err := s.root.New(loc).Parse(text)
	if err != nil {
		// "template: LOC:1: ..." -> "bad template: line 1: ..."
		msg := strings.TrimPrefix(err.Error(), "template: "+loc+":")
		return 0, fmt.Errorf("bad template %q: line %s", text, msg)
	}
	for _, tt := range t.Templates() {
		if tt.Tree == nil {
			continue
		}
		if err := checkEnvLiterals(tt.Tree.Root); err != nil {
			return 0, fmt.Errorf("bad template %q: %v", text, err)
		}
	}
	s.names = append(s.names, loc)
	s.fast = append(s.fast, compileFast(t.Tree.Root))
	return len(s.names) - 1, nil
}

func (s *templateSet) clone() any {
	c, err := s.root.Clone()
	if err != nil {
		panic(err) // Clone fails only after Execute on the root, which never runs
	}
	b := &boundTemplates{set: s}
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
	if fast := b.set.fast[i]; fast != nil {
		return fast.render(buf, b.x)
	}
	return b.templates[i].Execute(buf, b.x.templateData())
}

// validUTF8 replaces invalid UTF-8 with U+FFFD, copying only when there is
// some.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// funcs are the template functions. None of them reads files or the
// network; env reads only KRAKEND_RULES_* variables. Names and argument
// order follow the sprig library where it has the function, so that pipes
// read the same: {{ .Query.Get "x" | default "none" }}.
func (b *boundTemplates) funcs() template.FuncMap {
	return template.FuncMap{
		// body returns the string value at a gjson path of the JSON request
		// body; "" when missing or when the body cannot be evaluated.
		// Invalid UTF-8 in it becomes U+FFFD, so that no answer carries it.
		"body": func(path string) string {
			res, ok := b.x.body.get(path)
			if !ok {
				return ""
			}
			return validUTF8(res.String())
		},
		// bodyRaw returns the raw JSON at a gjson path; null when missing.
		// Invalid UTF-8 becomes U+FFFD, which keeps it JSON.
		"bodyRaw": func(path string) string {
			res, ok := b.x.body.get(path)
			if !ok || !res.Exists() {
				return "null"
			}
			return validUTF8(res.Raw)
		},
		"json": jsonEncode,
		"now":  func() time.Time { return b.x.now() },
		"uuid": newUUID,
		// counter is how many requests this rule has answered, this one
		// included, starting at 1.
		"counter": func() uint64 { return b.x.count },
		// retryAfter is the whole seconds until the rule's active window
		// ends; 0 when it has no end.
		"retryAfter": func() int64 {
			if b.x.rule == nil || b.x.rule.active == nil {
				return 0
			}
			return b.x.rule.active.secondsLeft(b.x.now())
		},
		"default":    defaultValue,
		"randInt":    randInt,
		"oneOf":      oneOf,
		"upper":      strings.ToUpper,
		"lower":      strings.ToLower,
		"base64":     func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		"dateAdd":    dateAdd,
		"formatTime": formatTime,
		"env":        env,
	}
}

// defaultValue returns given unless it is empty (nil, "", 0, false, or an
// empty list or map), and def then, as sprig's default does.
func defaultValue(def any, given ...any) any {
	if len(given) == 0 || isEmpty(given[0]) {
		return def
	}
	return given[0]
}

func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return rv.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return rv.IsNil()
	default:
		return rv.IsZero()
	}
}

// randInt returns a random integer in [min, max), as sprig's randInt.
func randInt(min, max int) (int, error) {
	if max <= min {
		return 0, fmt.Errorf("randInt %d %d: max must be greater than min", min, max)
	}
	return min + rand.IntN(max-min), nil
}

// oneOf returns one of its arguments at random.
func oneOf(choices ...any) (any, error) {
	if len(choices) == 0 {
		return nil, errors.New("oneOf needs at least one argument")
	}
	return choices[rand.IntN(len(choices))], nil
}

// dateAdd adds a Go duration ("1h30m", "-24h") to a time; the time comes
// last so that it works in a pipe: {{ now | dateAdd "1h" }}.
func dateAdd(duration string, t time.Time) (time.Time, error) {
	d, err := time.ParseDuration(duration)
	if err != nil {
		return t, fmt.Errorf("dateAdd: %q is not a duration such as \"1h30m\"", duration)
	}
	return t.Add(d), nil
}

// layouts are the names formatTime accepts besides Go layouts.
var layouts = map[string]string{
	"RFC3339": time.RFC3339, "RFC3339Nano": time.RFC3339Nano, "RFC1123": time.RFC1123,
	"RFC1123Z": time.RFC1123Z, "RFC822": time.RFC822, "RFC850": time.RFC850,
	"Kitchen": time.Kitchen, "DateTime": time.DateTime, "DateOnly": time.DateOnly,
	"TimeOnly": time.TimeOnly, "UnixDate": time.UnixDate, "HTTP": http.TimeFormat,
}

// formatTime formats a time with a Go layout ("2006-01-02") or a layout's
// name ("RFC3339", "HTTP"); the time comes last, for pipes.
func formatTime(layout string, t time.Time) string {
	if named, ok := layouts[layout]; ok {
		layout = named
	}
	if layout == http.TimeFormat {
		t = t.UTC()
	}
	return t.Format(layout)
}

// EnvPrefix is the prefix of the only environment variables templates may
// read, so that nothing else of the gateway's environment can leak.
const EnvPrefix = "KRAKEND_RULES_"

func env(name string) (string, error) {
	if !strings.HasPrefix(name, EnvPrefix) {
		return "", fmt.Errorf("env %q: only variables whose names start with %s can be read", name, EnvPrefix)
	}
	return os.Getenv(name), nil
}

// checkEnvLiterals finds env calls with a literal name in a parsed template,
// so that a forbidden name is a configuration error rather than a 500.
func checkEnvLiterals(node parse.Node) error {
	var err error
	forEachCommand(node, func(n *parse.CommandNode, _ bool) {
		if len(n.Args) >= 2 && err == nil {
			if id, ok := n.Args[0].(*parse.IdentifierNode); ok && id.Ident == "env" {
				if lit, ok := n.Args[1].(*parse.StringNode); ok {
					_, err = env(lit.Text)
				}
			}
		}
	})
	return err
}

// forEachCommand calls visit for every command of a parsed template, nested
// ones included; rootDot tells whether "." is still the template data there
// (range and with change it).
func forEachCommand(node parse.Node, visit func(cmd *parse.CommandNode, rootDot bool)) {
	var walk func(n parse.Node, rootDot bool)
	walk = func(n parse.Node, rootDot bool) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c, rootDot)
			}
		case *parse.ActionNode:
			walk(n.Pipe, rootDot)
		case *parse.IfNode:
			walk(n.Pipe, rootDot)
			walk(n.List, rootDot)
			walk(n.ElseList, rootDot)
		case *parse.RangeNode:
			walk(n.Pipe, rootDot)
			walk(n.List, false)
			walk(n.ElseList, rootDot)
		case *parse.WithNode:
			walk(n.Pipe, rootDot)
			walk(n.List, false)
			walk(n.ElseList, rootDot)
		case *parse.TemplateNode:
			walk(n.Pipe, rootDot)
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				walk(c, rootDot)
			}
		case *parse.CommandNode:
			visit(n, rootDot)
			for _, a := range n.Args {
				walk(a, rootDot)
			}
		case *parse.ChainNode:
			walk(n.Node, rootDot)
		}
	}
	walk(node, true)
}

// RequestReads are the headers and query parameters a template reads by a
// literal name.
type RequestReads struct {
	Headers []string // canonical names
	Query   []string
}

// TemplateReads parses a template of the engine's language and returns what
// it reads by name — .Header.Get "X", .Header.Values "X", index .Header "X",
// .Query.Get "q", index .Query "q" (or $.Header… inside range and with) —
// so that the linter can tell whether the endpoint forwards them. A text
// that does not parse reads nothing.
func TemplateReads(text string) RequestReads {
	var reads RequestReads
	t, err := template.New("").Funcs((&boundTemplates{}).funcs()).Parse(text)
	if err != nil {
		return reads
	}
	// named returns the request value a node names — "Header" or "Query" —
	// and the method called on it, if any.
	named := func(n parse.Node, rootDot bool) (value, method string) {
		var ident []string
		switch n := n.(type) {
		case *parse.FieldNode:
			if !rootDot {
				return "", ""
			}
			ident = n.Ident
		case *parse.VariableNode:
			if len(n.Ident) == 0 || n.Ident[0] != "$" {
				return "", ""
			}
			ident = n.Ident[1:]
		}
		switch len(ident) {
		case 1:
			return ident[0], ""
		case 2:
			return ident[0], ident[1]
		}
		return "", ""
	}
	add := func(value, name string) {
		switch value {
		case "Header":
			reads.Headers = append(reads.Headers, canonicalHeader(name))
		case "Query":
			reads.Query = append(reads.Query, name)
		}
	}
	for _, tt := range t.Templates() {
		if tt.Tree == nil {
			continue
		}
		forEachCommand(tt.Tree.Root, func(cmd *parse.CommandNode, rootDot bool) {
			if len(cmd.Args) < 2 {
				return
			}
			// .Header.Get "X", .Query.Get "q"
			if value, method := named(cmd.Args[0], rootDot); method == "Get" || method == "Values" {
				if lit, ok := cmd.Args[1].(*parse.StringNode); ok {
					add(value, lit.Text)
				}
				return
			}
			// index .Header "X"
			if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok && id.Ident == "index" && len(cmd.Args) >= 3 {
				if value, method := named(cmd.Args[1], rootDot); method == "" {
					if lit, ok := cmd.Args[2].(*parse.StringNode); ok {
						add(value, lit.Text)
					}
				}
			}
		})
	}
	return reads
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
	_, _ = crand.Read(u[:]) // crypto/rand.Read never fails on supported platforms
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
