package rules

import (
	"fmt"
	"text/template/parse"
)

// The template accessors of the request body beyond JSON: .BodyText,
// .Form.Get "field", .Form.Values "field" and .XPath "/order/id". Each
// parses the body at most once per request, sharing what the match
// conditions parsed, and gives "" (or no values) for a body of another
// kind. Invalid UTF-8 becomes U+FFFD, so that no answer carries it.

// formReader reads the fields of an application/x-www-form-urlencoded or
// multipart/form-data body, like url.Values.
type formReader struct{ x *exchange }

// Get returns the first value of the field, or "".
func (f formReader) Get(name string) string {
	if f.x == nil {
		return ""
	}
	form, _ := f.x.form()
	if v := form[name]; len(v) > 0 {
		return validUTF8(v[0])
	}
	return ""
}

// Values returns all the values of the field.
func (f formReader) Values(name string) []string {
	if f.x == nil {
		return nil
	}
	form, _ := f.x.form()
	out := make([]string, 0, len(form[name]))
	for _, v := range form[name] {
		out = append(out, validUTF8(v))
	}
	return out
}

// BodyText returns the whole request body as text, or "" when it is longer
// than max_body_bytes.
func (d *templateData) BodyText() string {
	if d.x == nil {
		return ""
	}
	body, ok := d.x.body.text()
	if !ok {
		return ""
	}
	return validUTF8(string(body))
}

// XPath returns the text of the first node the expression selects in the
// XML body, or "" when it selects none or the body is not XML. A literal
// expression was compiled with its template.
func (d *templateData) XPath(expr string) (string, error) {
	if d.x == nil {
		return "", nil
	}
	e, err := lookupXPath(expr)
	if err != nil {
		return "", err
	}
	doc, ok := d.x.xml()
	if !ok {
		return "", nil
	}
	return validUTF8(e.first(doc)), nil
}

// compileXPathLiterals compiles the literal expressions a template passes
// to .XPath (or $.XPath), so that a bad one is a configuration error and a
// good one is parsed once.
func compileXPathLiterals(node parse.Node) error {
	var err error
	forEachCommand(node, func(cmd *parse.CommandNode, rootDot bool) {
		if err != nil || len(cmd.Args) < 2 || !isAccessor(cmd.Args[0], rootDot, "XPath") {
			return
		}
		lit, ok := cmd.Args[1].(*parse.StringNode)
		if !ok {
			return
		}
		e, cerr := compileXPath(lit.Text)
		if cerr != nil {
			err = fmt.Errorf("%v", cerr)
			return
		}
		templateXPaths.LoadOrStore(lit.Text, e)
	})
	return err
}

// isAccessor tells whether n is .name (with "." the template data) or
// $.name.
func isAccessor(n parse.Node, rootDot bool, name string) bool {
	switch n := n.(type) {
	case *parse.FieldNode:
		return rootDot && len(n.Ident) == 1 && n.Ident[0] == name
	case *parse.VariableNode:
		return len(n.Ident) == 2 && n.Ident[0] == "$" && n.Ident[1] == name
	}
	return false
}

// bodyReads adds to reads what a template reads of the body beyond JSON.
func bodyReads(reads *RequestReads, cmd *parse.CommandNode, rootDot bool) {
	for i, a := range cmd.Args {
		if isAccessor(a, rootDot, "BodyText") {
			reads.BodyText = true
		}
		if i+1 < len(cmd.Args) && isAccessor(a, rootDot, "XPath") {
			if lit, ok := cmd.Args[i+1].(*parse.StringNode); ok {
				reads.XPath = append(reads.XPath, lit.Text)
			}
		}
	}
}
