package rules

import (
	"errors"
	"math"
	"reflect"
	"strings"
)

// pack lays the compiled drafts of a rule set out as the set keeps them
// (ruleset.go): each rule a record without pointers, its name and literal
// path pattern in the set's text, its conditions as references, a static
// answer's parts in the set's tables, and what is left — conditions other
// than literal paths, actions other than static answers — in tables of
// their own, where a condition that several rules share is kept once.
// debugHeader gives every rule its own extras, with DebugHeader's value
// prepared.
//
// Nothing changes for what a rule does: matching reads the same patterns,
// a static answer writes the same header fields and the same body bytes.
func (s *ruleSet) pack(drafts []ruleDraft, debugHeader bool) error {
	var textBytes, nRefs, nLiterals, nAnswers, bodyBytes int
	for i := range drafts {
		d := &drafts[i]
		textBytes += len(d.name)
		nRefs += len(d.conditions)
		for _, c := range d.conditions {
			if pc, ok := asLiteralPath(c); ok {
				nLiterals++
				textBytes += len(pc.src)
			}
		}
		if a, ok := staticResponse(d.action); ok {
			nAnswers++
			bodyBytes += len(a.body)
		}
	}
	if textBytes > math.MaxUint32 || bodyBytes > math.MaxUint32 || len(drafts) > math.MaxInt32 {
		return errors.New("the rules are too large: their names and paths, or their static bodies, pass 4 GiB")
	}

	var text strings.Builder
	text.Grow(textBytes)
	put := func(str string) span {
		sp := span{uint32(text.Len()), uint32(len(str))}
		text.WriteString(str)
		return sp
	}
	s.rules = make([]rule, len(drafts))
	s.refs = make([]condRef, 0, nRefs)
	s.literals = make([]literalPattern, 0, nLiterals)
	s.answers = make([]staticAnswer, 0, nAnswers)
	s.bodies = make([]byte, 0, bodyBytes)
	s.headers = [][]headerField{nil}
	s.extras = []ruleExtras{noExtras}
	condAt := map[any]uint32{}         // a condition (its key) -> its place in conds
	headerAt := map[headerKey]uint32{} // a header list -> its place in headers
	for i := range drafts {
		d, r := &drafts[i], &s.rules[i]
		r.name, r.position, r.needs = put(d.name), int32(i), d.needs
		r.conds.at = uint32(len(s.refs))
		for _, c := range d.conditions {
			if pc, ok := asLiteralPath(c); ok {
				s.refs = append(s.refs, condRef{at: uint32(len(s.literals)), literal: true})
				src := put(pc.src)
				lit := span{src.at + uint32(pc.litStart), uint32(pc.litEnd) - uint32(pc.litStart)}
				s.literals = append(s.literals, literalPattern{src: src, lit: lit, exact: pc.litExact, negate: pc.negate})
				continue
			}
			key, shareable := conditionKey(c)
			at, ok := condAt[key]
			if !ok || !shareable {
				at = uint32(len(s.conds))
				s.conds = append(s.conds, c)
				if shareable {
					condAt[key] = at
				}
			}
			s.refs = append(s.refs, condRef{at: at})
		}
		r.conds.n = uint32(len(s.refs)) - r.conds.at

		if a, ok := staticResponse(d.action); ok {
			sa := staticAnswer{status: a.status, body: span{uint32(len(s.bodies)), uint32(len(a.body))}}
			s.bodies = append(s.bodies, a.body...)
			if len(a.header) > 0 {
				k := headerKey{&a.header[0], len(a.header)}
				at, ok := headerAt[k]
				if !ok {
					at = uint32(len(s.headers))
					s.headers = append(s.headers, a.header)
					headerAt[k] = at
				}
				sa.header = at
			}
			r.static, r.action = true, uint32(len(s.answers))
			s.answers = append(s.answers, sa)
		} else {
			r.action = uint32(len(s.actions))
			s.actions = append(s.actions, d.action)
		}

		if debugHeader {
			d.debugValue = []string{sanitizeHeaderValue(d.name)}
		}
		if !d.ruleExtras.none() {
			r.extras = uint32(len(s.extras))
			s.extras = append(s.extras, *d.ruleExtras)
		}
	}
	s.text = text.String()
	return nil
}

// asLiteralPath returns c when it is a path condition that matches by
// comparing text: a literal or a literal prefix, with no automaton.
func asLiteralPath(c condition) (*pathCondition, bool) {
	pc, ok := c.(*pathCondition)
	return pc, ok && pc.glob == nil && pc.nfa == nil && pc.re == nil && pc.cmp == nil
}

// staticResponse returns a when it is a response with no template.
func staticResponse(a action) (*response, bool) {
	r, ok := a.(*response)
	return r, ok && r.templatedResponse == nil
}

// headerKey is a header list by identity: identical lists are one list
// (shareHeaders).
type headerKey struct {
	first *headerField
	n     int
}

// conditionKey is what makes two conditions one in a set's table: equal
// values, which conditionCache makes of identical ones. A condition whose
// value cannot be compared is kept for its rule alone.
func conditionKey(c condition) (key any, ok bool) {
	if m, isMethods := c.(methodCondition); isMethods {
		return "methods\x00" + strings.Join(m, "\x00"), true
	}
	if !reflect.ValueOf(c).Comparable() {
		return nil, false
	}
	return c, true
}
