package rules

import (
	"iter"
	"krakend-rules/config"
	"net/http"
	"sync/atomic"
)

// ruleSet is the rules in force: replaced whole when a rules_file changes,
// so that a request sees the old set or the new one, never a mix.
//
// The garbage collector marks everything a gateway keeps at every cycle,
// for the process's life, and what it pays is about 10 ns for each pointer
// it meets that is set, wherever it points (BenchmarkGCPointerCost). On a
// gateway given one core, each cycle's mark phase is time its requests
// wait. So a set keeps its rules without pointers: each rule is a record
// of indexes into the set's tables, and the tables of what most rules are
// made of — names, conditions with a literal pattern, static answers —
// hold no pointers either. Only what cannot be flattened keeps pointers: a
// condition that needs an automaton, a regexp, a comparison or a value
// (one per distinct condition: rules share identical ones), an action
// that is not a static answer. A set of ten thousand rules on literal
// paths, headers and body fields with static answers is a handful of
// objects the collector does not even scan (BenchmarkGCMark).
type ruleSet struct {
	rules []rule     // all() walks them
	index *pathIndex // nil for short lists, tried one by one

	text     string             // the rules' names and literal conditions' texts, one after the other
	refs     []condRef          // every rule's conditions, a rule's cheapest first
	conds    []condition        // the other conditions, each distinct one once
	literals []literalCondition // the conditions with a literal pattern
	actions  []action           // the actions that are not static answers
	answers  []staticAnswer     // the static answers
	bodies   []byte             // the static answers' bodies, one after the other
	headers  [][]headerField    // the static answers' header lists, each distinct one once; [0] is none
	extras   []ruleExtras       // the rules' extras; [0] is noExtras, every rule's without any

	warnings []Warning      // what in the rules cannot work as written, logged at install
	registry *statsRegistry // the statistics the rules count in, from install on

	// sources and locations are each rule's configuration and where it
	// is, for Check: kept only when the engine was compiled for it.
	sources   []config.Rule
	locations []config.Location
	// reads are each rule's conditions on headers, query, cookies and
	// body, for Check: kept only when the engine was compiled for it.
	reads [][]ConditionRead
}

// rule is a compiled rule as its set keeps it: indexes into the set's
// tables, and no pointer.
type rule struct {
	answered atomic.Uint64 // requests this rule answered: counter, sequences
	name     span          // in text
	conds    span          // in refs
	action   uint32        // in answers when static, else in actions
	stats    uint32        // where the statistics of this backend's rule of this name are in the set's registry
	extras   uint32        // in extras
	position int32
	static   bool
	needs    bodyNeeds // the kinds of body the conditions read: a body of another kind fails the rule
}

// span is a part of one of a set's tables.
type span struct{ at, n uint32 }

// condRef is one condition of a rule: a literal condition, or another.
type condRef struct {
	at      uint32 // in literals when literal, else in conds
	literal bool
}

// literalCondition is a condition whose pattern is a literal or a literal
// prefix (pattern's litExact), on the path, a header, a query parameter, a
// cookie or a body field, with its texts in the set's text: src what the
// configuration says, lit the literal in it, name the header, parameter,
// cookie or body path.
type literalCondition struct {
	src, lit, name span
	on             literalOn
	exact, negate  bool
}

// literalOn is what a literalCondition tests.
type literalOn uint8

const (
	onPath literalOn = iota
	onHeader
	onQuery
	onCookie
	onBody
)

// staticAnswer is a response with no template, its parts in the set's
// tables.
type staticAnswer struct {
	status int
	header uint32 // in headers
	body   span   // in bodies
}

// all walks the set's rules in order, each by its address.
func (s *ruleSet) all() iter.Seq2[int, *rule] {
	return func(yield func(int, *rule) bool) {
		for i := range s.rules {
			if !yield(i, &s.rules[i]) {
				return
			}
		}
	}
}

// name is the rule's name.
func (s *ruleSet) name(r *rule) string { return s.text[r.name.at : r.name.at+r.name.n] }

// extrasOf are the rule's extras: the parts that most rules do not have.
func (s *ruleSet) extrasOf(r *rule) *ruleExtras { return &s.extras[r.extras] }

// statsOf are the rule's counters.
func (s *ruleSet) statsOf(r *rule) *ruleStats { return s.registry.counters(int(r.stats)) }

// matches reports whether the rule's conditions hold. A rule that looks at
// the body anywhere, even inside any or not, fails on a body that cannot be
// evaluated as the kind it reads (JSON, form, multipart, XML), so that an
// unreadable body can never select a rule.
func (s *ruleSet) matches(r *rule, x *exchange) bool {
	for _, ref := range s.refs[r.conds.at : r.conds.at+r.conds.n] {
		if ref.literal {
			if !s.holdsLiteral(&s.literals[ref.at], x) {
				return false
			}
		} else if !s.conds[ref.at].holds(x) {
			return false
		}
	}
	return r.needs == 0 || x.bodyMeets(r.needs)
}

// holdsLiteral evaluates a literal condition as the condition it was
// compiled from, rebuilt where it runs: the same code, the same meaning.
func (s *ruleSet) holdsLiteral(l *literalCondition, x *exchange) bool {
	if l.on == onPath { // the commonest: no pattern to rebuild
		return literalMatch(x.req.URL.Path, s.text[l.lit.at:l.lit.at+l.lit.n], l.exact) != l.negate
	}
	p, name := s.literalPattern(l), s.text[l.name.at:l.name.at+l.name.n]
	switch l.on {
	case onHeader:
		return headerCondition{name, p}.holds(x)
	case onQuery:
		return queryCondition{name, p}.holds(x)
	case onCookie:
		return cookieCondition{name, p}.holds(x)
	default:
		return bodyCondition{name, p}.holds(x)
	}
}

// literalPattern is a literal condition's pattern.
func (s *ruleSet) literalPattern(l *literalCondition) pattern {
	return pattern{
		src:    s.text[l.src.at : l.src.at+l.src.n],
		negate: l.negate, litExact: l.exact,
		litStart: uint8(l.lit.at - l.src.at), litEnd: int32(l.lit.at - l.src.at + l.lit.n),
	}
}

// conditions are the rule's conditions, as conditions: for what looks at
// them one by one (Explain, the near-miss log), not for the request path,
// where holdsLiteral evaluates a literal one without boxing it.
func (s *ruleSet) conditions(r *rule) []condition {
	refs := s.refs[r.conds.at : r.conds.at+r.conds.n]
	out := make([]condition, len(refs))
	for i, ref := range refs {
		if !ref.literal {
			out[i] = s.conds[ref.at]
			continue
		}
		l := &s.literals[ref.at]
		p, name := s.literalPattern(l), s.text[l.name.at:l.name.at+l.name.n]
		switch l.on {
		case onPath:
			out[i] = &pathCondition{p}
		case onHeader:
			out[i] = headerCondition{name, p}
		case onQuery:
			out[i] = queryCondition{name, p}
		case onCookie:
			out[i] = cookieCondition{name, p}
		default:
			out[i] = bodyCondition{name, p}
		}
	}
	return out
}

// serve runs the rule's action.
func (s *ruleSet) serve(w http.ResponseWriter, x *exchange, r *rule) {
	if r.static {
		a := &s.answers[r.action]
		writeStatic(w, a.status, s.headers[a.header], s.body(a))
		return
	}
	s.actions[r.action].serve(w, x)
}

// actionOf is the rule's action, as an action: for what needs it as one
// (Check, Explain). A static answer is made into a response.
func (s *ruleSet) actionOf(r *rule) action {
	if !r.static {
		return s.actions[r.action]
	}
	a := &s.answers[r.action]
	return &response{status: a.status, header: s.headers[a.header], body: s.body(a)}
}

// body is a static answer's body, capped: nothing can append into the
// next one's.
func (s *ruleSet) body(a *staticAnswer) []byte {
	end := a.body.at + a.body.n
	return s.bodies[a.body.at:end:end]
}
