package rules

import (
	"errors"
	"math"
	"reflect"
	"strings"
)

// pack lays the compiled drafts of a rule set out as the set keeps them
// (ruleset.go): each rule a record without pointers, its name and the
// texts of its literal conditions in the set's text, its conditions as
// references, a static answer's parts in the set's tables, and what is
// left — conditions that need an automaton, a regexp or a value, actions
// other than static answers — in tables of their own, where a condition
// that several rules share is kept once.
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
			if name, p, _, ok := literalParts(c); ok {
				nLiterals++
				textBytes += len(name) + len(p.src)
			}
		}
		if a, ok := staticResponse(d.action); ok {
			nAnswers++
			bodyBytes += len(a.body)
		}
	}
	if uint64(textBytes) > math.MaxUint32 || uint64(bodyBytes) > math.MaxUint32 || uint64(len(drafts)) > math.MaxInt32 {
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
	s.literals = make([]literalCondition, 0, nLiterals)
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
			if name, p, on, ok := literalParts(c); ok {
				s.refs = append(s.refs, condRef{at: uint32(len(s.literals)), literal: true})
				l := literalCondition{name: put(name), src: put(p.src), on: on, exact: p.litExact, negate: p.negate}
				l.lit = span{l.src.at + uint32(p.litStart), uint32(p.litEnd) - uint32(p.litStart)}
				s.literals = append(s.literals, l)
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

// literalParts returns the parts of a condition that tests the path, a
// header, a query parameter, a cookie or a body field with a pattern that
// matches by comparing text (a literal or a literal prefix): ok is false
// for any other condition.
func literalParts(c condition) (name string, p *pattern, on literalOn, ok bool) {
	switch c := c.(type) {
	case *pathCondition:
		p, on = &c.pattern, onPath
	case headerCondition:
		name, p, on = c.name, &c.pattern, onHeader
	case queryCondition:
		name, p, on = c.name, &c.pattern, onQuery
	case cookieCondition:
		name, p, on = c.name, &c.pattern, onCookie
	case bodyCondition:
		name, p, on = c.path, &c.pattern, onBody
	default:
		return "", nil, 0, false
	}
	return name, p, on, p.literal()
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
