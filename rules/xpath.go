package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// xpathExpr is an XPath location path of the subset the engine evaluates,
// compiled at load:
//
//	/a/b   //b   a/b (relative paths start at the document)   /   .   ..
//	*   ns:name and ns:* (names match by local name, whatever the prefix)
//	@attr   @*   text()   (as the last step)
//	[n]   [last()]   [@a]   [@a='v']   [child]   [child='v']   [text()='v']   [.='v']
//
// Anything else is a configuration error naming the construct. Evaluating
// one is linear in the document: each step visits every node at most a
// bounded number of times.
type xpathExpr struct {
	src   string
	steps []xpathStep
}

type xpathAxis uint8

const (
	axisChild xpathAxis = iota
	axisSelf
	axisParent
	axisAttribute // terminal
	axisText      // terminal
)

type xpathStep struct {
	descendant bool // preceded by "//"
	axis       xpathAxis
	name       string // local name; "*" for any
	preds      []xpathPred
}

type xpathPredKind uint8

const (
	predPosition xpathPredKind = iota
	predLast
	predAttr      // [@a] or [@a='v']
	predChild     // [c] or [c='v']
	predText      // [text()='v']
	predSelfValue // [.='v']
)

type xpathPred struct {
	kind     xpathPredKind
	n        int
	name     string
	hasValue bool
	value    string
}

// xpathSubset is what the errors say the subset is.
const xpathSubset = "the subset has /, //, names, ns:name, *, ., .., @attr, text() and the predicates [n], [last()], [@a], [@a='v'], [child], [child='v'], [text()='v'], [.='v']"

// compileXPath parses an expression of the subset.
func compileXPath(src string) (*xpathExpr, error) {
	p := &xpathParser{src: src}
	e, err := p.parse()
	if err != nil {
		return nil, fmt.Errorf("bad XPath %q: %v", src, err)
	}
	return e, nil
}

type xpathParser struct {
	src string
	pos int
}

func (p *xpathParser) fail(format string, args ...any) error {
	return fmt.Errorf("at %d: "+format+" (%s)", append([]any{p.pos}, append(args, xpathSubset)...)...)
}

func (p *xpathParser) peek(s string) bool { return strings.HasPrefix(p.src[p.pos:], s) }

func (p *xpathParser) skipSpace() {
	for p.pos < len(p.src) && strings.IndexByte(" \t\r\n", p.src[p.pos]) >= 0 {
		p.pos++
	}
}

func (p *xpathParser) parse() (*xpathExpr, error) {
	e := &xpathExpr{src: p.src}
	p.skipSpace()
	if p.pos == len(p.src) {
		return nil, p.fail("the expression is empty")
	}
	// Absolute and relative paths both start at the document.
	descendant := false
	switch {
	case p.peek("//"):
		descendant = true
		p.pos += 2
	case p.peek("/"):
		p.pos++
		p.skipSpace()
		if p.pos == len(p.src) {
			return e, nil // "/": the document
		}
	}
	for {
		p.skipSpace()
		step, err := p.step()
		if err != nil {
			return nil, err
		}
		step.descendant = descendant
		if n := len(e.steps); n > 0 && (e.steps[n-1].axis == axisAttribute || e.steps[n-1].axis == axisText) {
			return nil, p.fail("@attr and text() must be the last step")
		}
		e.steps = append(e.steps, step)
		p.skipSpace()
		switch {
		case p.pos == len(p.src):
			return e, nil
		case p.peek("//"):
			descendant = true
			p.pos += 2
		case p.peek("/"):
			descendant = false
			p.pos++
		default:
			return nil, p.fail("unsupported %s", p.construct())
		}
	}
}

// construct names what the parser stopped at, for the error.
func (p *xpathParser) construct() string {
	rest := p.src[p.pos:]
	switch {
	case rest == "":
		return "end of expression"
	case strings.HasPrefix(rest, "|"):
		return "union (|)"
	case strings.HasPrefix(rest, "::"):
		return "axis (::)"
	case strings.HasPrefix(rest, "!="):
		return "operator !="
	case strings.HasPrefix(rest, "$"):
		return "variable ($)"
	case strings.IndexByte("<>=+-", rest[0]) >= 0:
		return "operator " + rest[:1]
	case strings.HasPrefix(rest, "and ") || strings.HasPrefix(rest, "or "):
		return "boolean operator " + rest[:strings.IndexByte(rest, ' ')]
	}
	name := p.ncName(p.pos)
	if name != "" && strings.HasPrefix(p.src[p.pos+len(name):], "(") {
		return "function " + name + "()"
	}
	if name != "" && strings.HasPrefix(p.src[p.pos+len(name):], "::") {
		return "axis " + name + "::"
	}
	r := []rune(rest)
	return strconv.Quote(string(r[:1]))
}

// ncName returns the XML name (without colon) starting at i, or "".
func (p *xpathParser) ncName(i int) string {
	j := i
	for j < len(p.src) {
		c := p.src[j]
		if c == '_' || c == '-' || c == '.' && j > i || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' && j > i || c >= 0x80 {
			j++
			continue
		}
		break
	}
	return p.src[i:j]
}

// nameTest reads "*", "name", "ns:name" or "ns:*" and returns the local
// part ("*" for any).
func (p *xpathParser) nameTest() (string, bool) {
	if p.peek("*") {
		p.pos++
		return "*", true
	}
	name := p.ncName(p.pos)
	if name == "" {
		return "", false
	}
	p.pos += len(name)
	if p.peek(":") && !p.peek("::") {
		p.pos++
		if p.peek("*") {
			p.pos++
			return "*", true
		}
		local := p.ncName(p.pos)
		if local == "" {
			return "", false
		}
		p.pos += len(local)
		return local, true
	}
	return name, true
}

func (p *xpathParser) step() (xpathStep, error) {
	switch {
	case p.peek(".."):
		p.pos += 2
		return xpathStep{axis: axisParent}, p.noPredicates("..")
	case p.peek("."):
		p.pos++
		return xpathStep{axis: axisSelf}, p.noPredicates(".")
	case p.peek("@"):
		p.pos++
		name, ok := p.nameTest()
		if !ok {
			return xpathStep{}, p.fail("@ needs an attribute name or *")
		}
		return xpathStep{axis: axisAttribute, name: name}, p.noPredicates("@" + name)
	case p.peek("text()"):
		p.pos += len("text()")
		return xpathStep{axis: axisText}, p.noPredicates("text()")
	}
	start := p.pos
	name, ok := p.nameTest()
	if !ok || p.peek("(") || p.peek("::") {
		p.pos = start
		return xpathStep{}, p.fail("unsupported %s", p.construct())
	}
	s := xpathStep{axis: axisChild, name: name}
	for {
		p.skipSpace()
		if !p.peek("[") {
			return s, nil
		}
		p.pos++
		pred, err := p.predicate()
		if err != nil {
			return s, err
		}
		s.preds = append(s.preds, pred)
	}
}

func (p *xpathParser) noPredicates(what string) error {
	p.skipSpace()
	if p.peek("[") {
		return p.fail("a predicate on %s is not supported", what)
	}
	return nil
}

func (p *xpathParser) predicate() (xpathPred, error) {
	p.skipSpace()
	var pred xpathPred
	switch {
	case p.pos < len(p.src) && '0' <= p.src[p.pos] && p.src[p.pos] <= '9':
		j := p.pos
		for j < len(p.src) && '0' <= p.src[j] && p.src[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(p.src[p.pos:j])
		if err != nil || n < 1 {
			return pred, p.fail("a position is a whole number from 1")
		}
		p.pos = j
		pred = xpathPred{kind: predPosition, n: n}
		return pred, p.closePredicate()
	case p.peek("last()"):
		p.pos += len("last()")
		return xpathPred{kind: predLast}, p.closePredicate()
	case p.peek("@"):
		p.pos++
		name, ok := p.nameTest()
		if !ok {
			return pred, p.fail("@ needs an attribute name or *")
		}
		pred = xpathPred{kind: predAttr, name: name}
	case p.peek("text()"):
		p.pos += len("text()")
		pred = xpathPred{kind: predText}
	case p.peek(".") && !p.peek(".."):
		p.pos++
		pred = xpathPred{kind: predSelfValue}
	default:
		start := p.pos
		name, ok := p.nameTest()
		switch {
		case ok && p.peek("/"):
			return pred, p.fail("unsupported path inside a predicate (one child name only)")
		case !ok || p.peek("(") || p.peek("::"):
			p.pos = start
			return pred, p.fail("unsupported %s in a predicate", p.construct())
		}
		pred = xpathPred{kind: predChild, name: name}
	}
	p.skipSpace()
	if p.peek("=") {
		p.pos++
		p.skipSpace()
		if p.pos == len(p.src) || p.src[p.pos] != '\'' && p.src[p.pos] != '"' {
			return pred, p.fail("= takes a quoted string, 'v' or \"v\"")
		}
		quote := p.src[p.pos]
		end := strings.IndexByte(p.src[p.pos+1:], quote)
		if end < 0 {
			return pred, p.fail("unterminated string")
		}
		pred.value, pred.hasValue = p.src[p.pos+1:p.pos+1+end], true
		p.pos += end + 2
	} else if pred.kind == predText || pred.kind == predSelfValue {
		return pred, p.fail("text() and . in a predicate take ='v'")
	}
	return pred, p.closePredicate()
}

func (p *xpathParser) closePredicate() error {
	p.skipSpace()
	if !p.peek("]") {
		return p.fail("unsupported %s in a predicate", p.construct())
	}
	p.pos++
	return nil
}

// each calls yield with the string-value of every node the expression
// selects, in document order, until yield returns false.
func (e *xpathExpr) each(d *xmlDoc, yield func(string) bool) {
	ctx := []int32{0}
	var next []int32
	for _, s := range e.steps {
		if s.descendant {
			ctx = d.descendantsOrSelf(ctx)
		}
		next = next[:0]
		switch s.axis {
		case axisSelf:
			next = append(next, ctx...)
		case axisParent:
			for _, n := range ctx {
				if p := d.nodes[n].parent; p >= 0 {
					next = append(next, p)
				}
			}
			slices.Sort(next)
			next = slices.Compact(next)
		case axisAttribute:
			for _, n := range ctx {
				node := &d.nodes[n]
				for _, a := range d.attrs[node.attrStart:node.attrEnd] {
					if (s.name == "*" || d.local(a.name) == s.name) && !yield(a.value) {
						return
					}
				}
			}
			return
		case axisChild, axisText:
			kind := xmlElement
			if s.axis == axisText {
				kind = xmlText
			}
			sorted := true
			for _, n := range ctx {
				from := len(next)
				for c := n + 1; c < d.nodes[n].end; c = d.nodes[c].end {
					if d.nodes[c].kind == kind && (kind == xmlText || s.name == "*" || d.local(d.nodes[c].name) == s.name) {
						next = append(next, c)
					}
				}
				next = append(next[:from], d.filter(next[from:], s.preds)...)
				if from > 0 && len(next) > from && next[from] < next[from-1] {
					sorted = false
				}
			}
			if !sorted {
				slices.Sort(next)
			}
		}
		ctx, next = next, ctx
	}
	for _, n := range ctx {
		if !yield(d.value(n)) {
			return
		}
	}
}

// first returns the string-value of the first node selected, or "".
func (e *xpathExpr) first(d *xmlDoc) string {
	v := ""
	e.each(d, func(s string) bool { v = s; return false })
	return v
}

// descendantsOrSelf expands a sorted set of nodes into their subtrees'
// elements (and the document), each node once: a node inside a subtree
// already expanded is skipped, so the work is linear in the document.
func (d *xmlDoc) descendantsOrSelf(ctx []int32) []int32 {
	var out []int32
	covered := int32(-1)
	for _, n := range ctx {
		if n < covered {
			continue
		}
		end := d.nodes[n].end
		for i := n; i < end; i++ {
			if d.nodes[i].kind != xmlText {
				out = append(out, i)
			}
		}
		covered = end
	}
	return out
}

// filter applies predicates in turn to the children one context node
// selected, positions counting within what the previous ones left. It
// filters in place.
func (d *xmlDoc) filter(nodes []int32, preds []xpathPred) []int32 {
	for _, pr := range preds {
		kept := nodes[:0]
		last := len(nodes)
		for i, n := range nodes {
			if d.holds(n, pr, i+1, last) {
				kept = append(kept, n)
			}
		}
		nodes = kept
	}
	return nodes
}

func (d *xmlDoc) holds(n int32, pr xpathPred, position, last int) bool {
	node := &d.nodes[n]
	switch pr.kind {
	case predPosition:
		return position == pr.n
	case predLast:
		return position == last
	case predAttr:
		for _, a := range d.attrs[node.attrStart:node.attrEnd] {
			if (pr.name == "*" || d.local(a.name) == pr.name) && (!pr.hasValue || a.value == pr.value) {
				return true
			}
		}
	case predChild, predText:
		for c := n + 1; c < node.end; c = d.nodes[c].end {
			child := &d.nodes[c]
			switch {
			case pr.kind == predText && child.kind != xmlText,
				pr.kind == predChild && (child.kind != xmlElement || pr.name != "*" && d.local(child.name) != pr.name):
				continue
			}
			if !pr.hasValue || d.value(c) == pr.value {
				return true
			}
		}
	case predSelfValue:
		return d.value(n) == pr.value
	}
	return false
}

// templateXPaths are the expressions templates pass .XPath as literals,
// compiled when their template is: the accessor finds them here instead of
// parsing per request. An expression that is not a literal is compiled
// where it is used, and not kept.
var templateXPaths sync.Map // string -> *xpathExpr

func lookupXPath(src string) (*xpathExpr, error) {
	if e, ok := templateXPaths.Load(src); ok {
		return e.(*xpathExpr), nil
	}
	e, err := compileXPath(src)
	if err != nil {
		return nil, err
	}
	// Each step or predicate costs a pass over the document: a computed
	// expression (.XPath (.Query.Get "x")) of 1 000 steps took 6 s on a
	// 1 MiB body, so it takes at most maxComputedXPathParts.
	parts := 0
	for _, s := range e.steps {
		parts += 1 + len(s.preds)
	}
	if parts > maxComputedXPathParts {
		return nil, fmt.Errorf("computed XPath %.40q has more than %d steps and predicates", src, maxComputedXPathParts)
	}
	return e, nil
}

// maxComputedXPathParts bounds the steps and predicates of an XPath
// computed at request time; a literal one is the configuration's.
const maxComputedXPathParts = 16
