package rules

import (
	"bytes"
	"fmt"
	"strings"
	"text/template/parse"
)

// fastTemplate renders, without text/template's reflection, the templates
// most mocks are made of: literal text around actions that each read one
// request value — {{ .Path }}, {{ .Method }}, {{ .Host }}, {{ .Rule }},
// {{ index .Segments 2 }}, {{ .Header.Get "X-Name" }}, {{ .Query.Get "q" }}.
// Any other template runs on text/template; both give the same output (a
// test compares them).
type fastTemplate []fastPart

type fastPart struct {
	literal string
	value   func(x *exchange) (string, error) // nil for a literal or a call
	call    func(b *boundTemplates) (string, error)
}

// compileFast returns the fast form of a parsed template, or nil when it
// uses anything beyond those reads.
func compileFast(root *parse.ListNode) fastTemplate {
	if root == nil {
		return nil
	}
	var parts fastTemplate
	for _, node := range root.Nodes {
		switch n := node.(type) {
		case *parse.TextNode:
			parts = append(parts, fastPart{literal: string(n.Text)})
		case *parse.ActionNode:
			if value := fastValue(n.Pipe); value != nil {
				parts = append(parts, fastPart{value: value})
			} else if call := fastCall(n.Pipe); call != nil {
				parts = append(parts, fastPart{call: call})
			} else {
				return nil
			}
		default:
			return nil
		}
	}
	return parts
}

func fastValue(pipe *parse.PipeNode) func(x *exchange) (string, error) {
	if pipe == nil || pipe.IsAssign || len(pipe.Decl) > 0 || len(pipe.Cmds) != 1 {
		return nil
	}
	args := pipe.Cmds[0].Args
	field := func(i int) string {
		if f, ok := args[i].(*parse.FieldNode); ok {
			return strings.Join(f.Ident, ".")
		}
		return ""
	}
	str := func(i int) (string, bool) {
		s, ok := args[i].(*parse.StringNode)
		if !ok {
			return "", false
		}
		return s.Text, true
	}
	switch {
	case len(args) == 1:
		switch field(0) {
		case "Path":
			return func(x *exchange) (string, error) { return x.req.URL.Path, nil }
		case "Method":
			return func(x *exchange) (string, error) { return x.req.Method, nil }
		case "Host":
			return func(x *exchange) (string, error) { return x.req.URL.Host, nil }
		case "Rule":
			return func(x *exchange) (string, error) { return x.ruleName(), nil }
		}
	case len(args) == 2:
		name, ok := str(1)
		if !ok {
			return nil
		}
		switch field(0) {
		case "Header.Get":
			canon := CanonicalHeader(name)
			return func(x *exchange) (string, error) {
				if v := x.req.Header[canon]; len(v) > 0 {
					return v[0], nil
				}
				return "", nil
			}
		case "Query.Get":
			return func(x *exchange) (string, error) { return x.query().Get(name), nil }
		}
	case len(args) == 3:
		id, ok := args[0].(*parse.IdentifierNode)
		n, isNumber := args[2].(*parse.NumberNode)
		if !ok || id.Ident != "index" || field(1) != "Segments" || !isNumber || !n.IsInt || n.Int64 < 0 {
			return nil
		}
		i := int(n.Int64)
		return func(x *exchange) (string, error) {
			if s, ok := segment(x.req.URL.Path, i); ok {
				return s, nil
			}
			return "", fmt.Errorf("error calling index: index out of range: %d", i)
		}
	}
	return nil
}

// segment returns the i-th element of segments(path) without splitting.
func segment(path string, i int) (string, bool) {
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		return "", false
	}
	for ; i > 0; i-- {
		slash := strings.IndexByte(path, '/')
		if slash < 0 {
			return "", false
		}
		path = path[slash+1:]
	}
	if slash := strings.IndexByte(path, '/'); slash >= 0 {
		path = path[:slash]
	}
	return path, true
}

func (t fastTemplate) render(buf *bytes.Buffer, b *boundTemplates) error {
	for _, p := range t {
		var v string
		var err error
		switch {
		case p.call != nil:
			v, err = p.call(b)
		case p.value != nil:
			v, err = p.value(b.x)
		default:
			buf.WriteString(p.literal)
			continue
		}
		if err != nil {
			return err
		}
		buf.WriteString(v)
	}
	return nil
}
