package rules

import (
	"fmt"
	"strconv"
	"strings"
	"text/template/parse"
)

// The fast path for helpers: an action that is a pipeline of helpers
// (templatehelpers.go) over literals and request values —
// {{ mul (index .Segments 1) 3 }}, {{ .Query.Get "q" | trim | upper }},
// {{ now | date "2006-01-02" }} — calls them directly, without
// text/template's reflection. Arguments are evaluated as text/template
// evaluates them for an "any" parameter, and the result printed as it
// prints it; a test renders every case both ways.

// fastExpr evaluates one operand or call of a fast pipeline.
type fastExpr func(b *boundTemplates) (any, error)

// fastCall returns the fast form of an action's pipeline, or nil.
func fastCall(pipe *parse.PipeNode) func(b *boundTemplates) (string, error) {
	if s := fastStrPipe(pipe); s != nil {
		return func(b *boundTemplates) (_ string, err error) {
			defer recoverHelper(&err)
			return s(b)
		}
	}
	e := fastPipe(pipe)
	if e == nil {
		return nil
	}
	return func(b *boundTemplates) (_ string, err error) {
		defer recoverHelper(&err)
		v, err := e(b)
		if err != nil {
			return "", err
		}
		return printed(v), nil
	}
}

// recoverHelper turns a helper's panic into the action's error, as
// text/template does for the functions it calls: a bug in a helper fails
// one answer with the rule's 500, never the gateway.
func recoverHelper(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("template helper failed: %v", r)
	}
}

// printed is v as text/template prints a value.
func printed(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "<no value>"
	}
	return fmt.Sprint(v)
}

func fastPipe(pipe *parse.PipeNode) fastExpr {
	if pipe == nil || pipe.IsAssign || len(pipe.Decl) > 0 || len(pipe.Cmds) == 0 {
		return nil
	}
	var e fastExpr
	for i, cmd := range pipe.Cmds {
		if e = fastCommand(cmd, e, i > 0); e == nil {
			return nil
		}
	}
	return e
}

// fastCommand compiles a command; piped is the previous command's value,
// passed as the last argument.
func fastCommand(cmd *parse.CommandNode, piped fastExpr, isPiped bool) fastExpr {
	id, ok := cmd.Args[0].(*parse.IdentifierNode)
	if !ok {
		if isPiped {
			return nil
		}
		if len(cmd.Args) == 1 {
			return fastOperand(cmd.Args[0])
		}
		// .Header.Get "X", .Query.Get "q", index .Segments N
		read := fastValue(&parse.PipeNode{Cmds: []*parse.CommandNode{cmd}})
		if read == nil {
			return nil
		}
		return func(b *boundTemplates) (any, error) { return read(b.x) }
	}
	if id.Ident == "index" && !isPiped {
		read := fastValue(&parse.PipeNode{Cmds: []*parse.CommandNode{cmd}})
		if read == nil {
			return nil
		}
		return func(b *boundTemplates) (any, error) { return read(b.x) }
	}
	h, ok := helpers[id.Ident]
	if !ok {
		return nil
	}
	args := make([]fastExpr, 0, len(cmd.Args))
	for _, a := range cmd.Args[1:] {
		e := fastOperand(a)
		if e == nil {
			return nil
		}
		args = append(args, e)
	}
	if isPiped {
		args = append(args, piped)
	}
	name := id.Ident
	return func(b *boundTemplates) (any, error) {
		// The arguments go on the bound templates' stack, so that a call
		// allocates no slice; nested calls push above and pop back.
		start := len(b.stack)
		for _, a := range args {
			v, err := a(b)
			if err != nil {
				b.stack = b.stack[:start]
				return nil, err
			}
			b.stack = append(b.stack, v)
		}
		v, err := h.call(name, b, b.stack[start:])
		clear(b.stack[start:])
		b.stack = b.stack[:start]
		return v, err
	}
}

// fastOperand compiles an argument: a literal, a request value, or a
// parenthesised pipeline.
func fastOperand(n parse.Node) fastExpr {
	switch n := n.(type) {
	case *parse.StringNode:
		var v any = n.Text
		return func(*boundTemplates) (any, error) { return v, nil }
	case *parse.BoolNode:
		var v any = n.True
		return func(*boundTemplates) (any, error) { return v, nil }
	case *parse.NumberNode:
		v := fastNumber(n)
		if v == nil {
			return nil
		}
		return func(*boundTemplates) (any, error) { return v, nil }
	case *parse.PipeNode:
		if e := fastStrPipe(n); e != nil {
			return func(b *boundTemplates) (any, error) { return e(b) }
		}
		return fastPipe(n)
	case *parse.IdentifierNode:
		// a helper without arguments: {{ date "RFC3339" now }}
		return fastCommand(&parse.CommandNode{NodeType: parse.NodeCommand, Args: []parse.Node{n}}, nil, false)
	case *parse.FieldNode:
		// a request value, a string: read as fastStrOperand reads it
		if e := fastStrOperand(n); e != nil {
			return func(b *boundTemplates) (any, error) { return e(b) }
		}
	}
	return nil
}

// fastNumber is a number literal as text/template passes it to an "any"
// parameter: an int, or a float64 when written with a point or exponent;
// nil for the rarer forms (hex, runes, complex), left to text/template.
func fastNumber(n *parse.NumberNode) any {
	if n.IsComplex || strings.ContainsAny(n.Text, "xXoObB_'pP") {
		return nil
	}
	switch {
	case n.IsFloat && strings.ContainsAny(n.Text, ".eE"):
		return n.Float64
	case n.IsInt:
		return int(n.Int64)
	}
	return nil
}

// strExpr is a fast expression known, when the template loads, to give a
// string: literals, request values and helpers with s0, s1 or s2 over them.
// Strings stay strings — none is boxed into an interface — which is most
// of what a helper call would otherwise cost.
type strExpr func(b *boundTemplates) (string, error)

// fastStrPipe returns the string form of a pipeline, or nil.
func fastStrPipe(pipe *parse.PipeNode) strExpr {
	if pipe == nil || pipe.IsAssign || len(pipe.Decl) > 0 || len(pipe.Cmds) == 0 {
		return nil
	}
	var e strExpr
	for i, cmd := range pipe.Cmds {
		if e = fastStrCommand(cmd, e, i > 0); e == nil {
			return nil
		}
	}
	return e
}

func fastStrCommand(cmd *parse.CommandNode, piped strExpr, isPiped bool) strExpr {
	id, ok := cmd.Args[0].(*parse.IdentifierNode)
	if !ok || id.Ident == "index" {
		if isPiped {
			return nil
		}
		if len(cmd.Args) == 1 {
			return fastStrOperand(cmd.Args[0])
		}
		read := fastValue(&parse.PipeNode{Cmds: []*parse.CommandNode{cmd}})
		if read == nil {
			return nil
		}
		return func(b *boundTemplates) (string, error) { return read(b.x) }
	}
	h, ok := helpers[id.Ident]
	if !ok {
		return nil
	}
	var args []strExpr
	for _, a := range cmd.Args[1:] {
		e := fastStrOperand(a)
		if e == nil {
			return nil
		}
		args = append(args, e)
	}
	if isPiped {
		args = append(args, piped)
	}
	switch {
	case len(args) == 0 && h.s0 != nil:
		f := h.s0
		return func(b *boundTemplates) (string, error) { return f(b), nil }
	case len(args) == 1 && h.s1 != nil:
		f, a := h.s1, args[0]
		return func(b *boundTemplates) (string, error) {
			s, err := a(b)
			if err != nil {
				return "", err
			}
			return f(s), nil
		}
	case len(args) == 2 && h.s2 != nil:
		f, a0, a1 := h.s2, args[0], args[1]
		return func(b *boundTemplates) (string, error) {
			s0, err := a0(b)
			if err != nil {
				return "", err
			}
			s1, err := a1(b)
			if err != nil {
				return "", err
			}
			return f(s0, s1), nil
		}
	}
	return nil
}

func fastStrOperand(n parse.Node) strExpr {
	switch n := n.(type) {
	case *parse.StringNode:
		v := n.Text
		return func(*boundTemplates) (string, error) { return v, nil }
	case *parse.PipeNode:
		return fastStrPipe(n)
	case *parse.IdentifierNode:
		return fastStrCommand(&parse.CommandNode{NodeType: parse.NodeCommand, Args: []parse.Node{n}}, nil, false)
	case *parse.FieldNode:
		switch {
		case len(n.Ident) == 1:
			read := fastValue(&parse.PipeNode{Cmds: []*parse.CommandNode{{NodeType: parse.NodeCommand, Args: []parse.Node{n}}}})
			if read == nil {
				return nil
			}
			return func(b *boundTemplates) (string, error) { return read(b.x) }
		case len(n.Ident) == 2 && n.Ident[0] == "Params":
			name := n.Ident[1]
			return func(b *boundTemplates) (string, error) { return b.x.templateData().Params[name], nil }
		}
	}
	return nil
}
