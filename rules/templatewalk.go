package rules

import (
	"fmt"
	"krakend-rules/config"
	"text/template"
	"text/template/parse"
)

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

// regexpHelpers are the helpers whose first argument is a regexp.
var regexpHelpers = map[string]bool{"regexMatch": true, "regexFind": true, "regexFindAll": true, "regexReplaceAll": true}

// checkRegexpLiterals compiles the regexps written literally in a parsed
// template, once, at load: a bad one is a configuration error, and the
// helpers find it compiled in the set.
func (s *templateSet) checkRegexpLiterals(node parse.Node) error {
	var err error
	forEachCommand(node, func(n *parse.CommandNode, _ bool) {
		if len(n.Args) >= 2 && err == nil {
			if id, ok := n.Args[0].(*parse.IdentifierNode); ok && regexpHelpers[id.Ident] {
				if lit, ok := n.Args[1].(*parse.StringNode); ok {
					if e := s.compileTemplateRegexp(lit.Text); e != nil {
						err = fmt.Errorf("%s %q: %v", id.Ident, lit.Text, e)
					}
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

// RequestReads are the headers, query parameters and cookies a template
// reads by a literal name.
type RequestReads struct {
	Headers      []string // canonical names
	Query        []string
	Cookies      []string // cookie "name" (which reads the Cookie header)
	QueryObjects []string // queryObject "name": the parameters name[…]
	Form         []string // .Form.Get "name"
	XPath        []string // .XPath "/order/id"
	BodyText     bool     // .BodyText
}

// TemplateUse is a template of a compiled configuration: where it is and
// what it reads of the request by name, for the linter to tell whether the
// endpoint forwards it.
type TemplateUse struct {
	config.Location
	Reads RequestReads
}

// readsOf returns what a parsed template reads by name — .Header.Get "X",
// .Header.Values "X", index .Header "X", .Query.Get "q", index .Query "q"
// (or $.Header… inside range and with).
func readsOf(t *template.Template) RequestReads {
	var reads RequestReads
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
			reads.Headers = append(reads.Headers, CanonicalHeader(name))
		case "Query":
			reads.Query = append(reads.Query, name)
		case "Form":
			reads.Form = append(reads.Form, name)
		}
	}
	// Only this template's own tree: the others of the set share its
	// namespace, and t.Templates() would list them too.
	if t.Tree == nil {
		return reads
	}
	forEachCommand(t.Tree.Root, func(cmd *parse.CommandNode, rootDot bool) {
		bodyReads(&reads, cmd, rootDot)
		// cookie "name", hostname, queryObject "name", …
		if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok {
			if h, ok := helpers[id.Ident]; ok && h.reads != nil {
				name, literal := "", false
				if len(cmd.Args) >= 2 {
					var lit *parse.StringNode
					lit, literal = cmd.Args[1].(*parse.StringNode)
					if literal {
						name = lit.Text
					}
				}
				h.reads(name, literal, &reads)
			}
		}
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
	return reads
}
