package rules

import (
	"iter"
	"krakend-rules/config"
	"net/http"
	"strings"
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
// made of — names, literal path patterns, static answers — hold no
// pointers either. Only what cannot be flattened keeps pointers: a
// condition that is not a literal path (one per distinct condition: rules
// share identical ones), an action that is not a static answer. A set of
// ten thousand rules on literal paths with static answers is a handful of
// objects the collector does not even scan (BenchmarkGCMark).
type ruleSet struct {
	rules []rule     // all() walks them
	index *pathIndex // nil for short lists, tried one by one

	text     string           // the rules' names and literal path patterns, one after the other
	refs     []condRef        // every rule's conditions, a rule's cheapest first
	conds    []condition      // the conditions that are not literal paths, each distinct one once
	literals []literalPattern // the literal path patterns
	actions  []action         // the actions that are not static answers
	answers  []staticAnswer   // the static answers
	bodies   []byte           // the static answers' bodies, one after the other
	headers  [][]headerField  // the static answers' header lists, each distinct one once; [0] is none
	extras   []ruleExtras     // the rules' extras; [0] is noExtras, every rule's without any

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

// condRef is one condition of a rule: a literal path pattern, or another
// condition.
type condRef struct {
	at      uint32 // in literals when literal, else in conds
	literal bool
}

// literalPattern is a path pattern that is a literal or a literal prefix
// (pattern's litExact), its text in the set's text: src what the
// configuration says, lit the literal in it.
type literalPattern struct {
	src, lit span
	exact    bool
	negate   bool
}

// holds reports whether the path matches.
func (l *literalPattern) holds(text, path string) bool {
	lit := text[l.lit.at : l.lit.at+l.lit.n]
	if l.exact {
		return (path == lit) != l.negate
	}
	return strings.HasPrefix(path, lit) != l.negate
}

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
			if !s.literals[ref.at].holds(s.text, x.req.URL.Path) {
				return false
			}
		} else if !s.conds[ref.at].holds(x) {
			return false
		}
	}
	return r.needs == 0 || x.bodyMeets(r.needs)
}

// literalPath is the literal path pattern at i, as a pattern, for what
// needs one (Explain).
func (s *ruleSet) literalPath(i uint32) pattern {
	l := &s.literals[i]
	return pattern{
		src:    s.text[l.src.at : l.src.at+l.src.n],
		negate: l.negate, litExact: l.exact,
		litStart: uint8(l.lit.at - l.src.at), litEnd: int32(l.lit.at - l.src.at + l.lit.n),
	}
}

// conditions are the rule's conditions, as conditions: for what looks at
// them one by one (Explain, the near-miss log), not for the request path.
func (s *ruleSet) conditions(r *rule) []condition {
	refs := s.refs[r.conds.at : r.conds.at+r.conds.n]
	out := make([]condition, len(refs))
	for i, ref := range refs {
		if ref.literal {
			out[i] = &pathCondition{s.literalPath(ref.at)}
		} else {
			out[i] = s.conds[ref.at]
		}
	}
	return out
}

// serve runs the rule's action.
func (s *ruleSet) serve(w http.ResponseWriter, x *exchange, r *rule) {
	if r.static {
		a := &s.answers[r.action]
		writeStatic(w, a.status, s.headers[a.header], s.bodies[a.body.at:a.body.at+a.body.n:a.body.at+a.body.n])
		return
	}
	s.actions[r.action].serve(w, x)
}

// actionOf is the rule's action, as an action: for what needs it as one
// (callbacks, Check, Explain). A static answer is made into a response.
func (s *ruleSet) actionOf(r *rule) action {
	if !r.static {
		return s.actions[r.action]
	}
	a := &s.answers[r.action]
	return &response{status: a.status, header: s.headers[a.header], body: s.bodies[a.body.at : a.body.at+a.body.n : a.body.at+a.body.n]}
}
