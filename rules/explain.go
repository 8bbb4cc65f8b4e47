package rules

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
)

// explainer is what a condition says about itself when a request is
// explained: the condition as the configuration wrote it ("headers.X-Tenant
// \"acme-*\"") and the value of the request it looked at. Every condition
// kind implements it with this one method, beside its holds; a kind that
// does not is shown by its Go type, with no value.
type explainer interface {
	explain(x *exchange) (condition, saw string)
}

// Explanation says which rule answers a request and why the rules before
// it did not: the engine's own compiled rules and conditions, evaluated in
// the order ServeHTTP evaluates them.
type Explanation struct {
	// Request is "METHOD /path?query".
	Request string `json:"request"`
	// Rule is the name of the rule that answers, "" when none applies and
	// the request is delegated; Position its index among the rules (the
	// inline ones, then the rules_file's), -1 when none.
	Rule     string `json:"rule,omitempty"`
	Position int    `json:"position"`
	// Answer is what the rule answers; nil when it delegates (the backend
	// answers) or no rule applies.
	Answer *Answer `json:"answer,omitempty"`
	// Delegated: the request goes to a backend, by a delegate rule or
	// because no rule applies.
	Delegated bool `json:"delegated"`
	// Tried are the rules tried before it (all of them when none applies),
	// in order, each with why it did not apply.
	Tried []Miss `json:"tried"`
}

// Answer is an answer the engine rendered for an explanation.
type Answer struct {
	Status int         `json:"status"`
	Header http.Header `json:"headers"`
	Body   string      `json:"body"`
}

// Miss is why one rule did not apply to a request.
type Miss struct {
	Rule     string `json:"rule"`
	Position int    `json:"position"`
	// SamePath: the rule's methods and path conditions hold (or it has
	// none), so it is about this request and something else kept it out.
	SamePath bool `json:"same_path"`
	// Held is how many of its conditions held before the one that failed.
	Held int `json:"held"`
	// Condition is the first condition that failed and Saw the value of
	// the request it looked at; Reason, when no condition failed, says
	// what else did: an inactive time window, a body that cannot be
	// evaluated, a lost probability draw.
	Condition string `json:"condition,omitempty"`
	Saw       string `json:"saw,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

func (m Miss) String() string {
	s := "rule " + strconv.Quote(m.Rule) + ": "
	if m.Condition != "" {
		return s + m.Condition + " failed, saw " + m.Saw
	}
	return s + m.Reason
}

// NearMisses are the misses worth showing: those on the same path, or,
// when there are none and no rule applies, the (at most three) rules that
// got furthest.
func (e *Explanation) NearMisses() []Miss { return nearMisses(e.Tried, e.Rule == "") }

func nearMisses(tried []Miss, orNearest bool) []Miss {
	var same []Miss
	for _, m := range tried {
		if m.SamePath {
			same = append(same, m)
		}
	}
	if len(same) > 0 || !orNearest {
		return same
	}
	nearest := append([]Miss(nil), tried...)
	sort.SliceStable(nearest, func(i, j int) bool { return nearest[i].Held > nearest[j].Held })
	return nearest[:min(3, len(nearest))]
}

// Explain evaluates the request as ServeHTTP would and says which rule
// answers, what it answers (a response rule's answer is rendered, counting
// as one request it answered; a delegate rule contacts nobody), and why
// each rule before it did not apply. It reads the request's body as the
// engine does. It never runs on the request path: ServeHTTP pays nothing
// for it.
func (e *Engine) Explain(req *http.Request) *Explanation {
	ex := &Explanation{Request: req.Method + " " + req.URL.RequestURI(), Position: -1}
	set := e.current.Load()
	if set == nil {
		ex.Answer = &Answer{Status: http.StatusInternalServerError, Body: "krakend-rules: invalid configuration"}
		return ex
	}
	x := e.exchanges.Get().(*exchange)
	x.reset(req, e.bodyLimits)
	x.set = set
	defer e.release(x)

	for _, r := range set.all() {
		miss, applies := explainRule(set, r, x, true)
		if !applies {
			ex.Tried = append(ex.Tried, miss)
			continue
		}
		ex.Rule, ex.Position = set.name(r), int(r.position)
		if _, ok := set.actionOf(r).(*delegate); ok {
			ex.Delegated = true
			return ex
		}
		x.rule = r
		x.count = r.answered.Add(1)
		rec := httptest.NewRecorder()
		if e.debugHeader {
			x.debugValue = set.extrasOf(r).debugValue
			rec.Header()[DebugHeader] = x.debugValue
		}
		set.serve(rec, x, r)
		ex.Answer = &Answer{Status: rec.Code, Header: rec.Header(), Body: rec.Body.String()}
		return ex
	}
	ex.Delegated = true
	return ex
}

// explainRule mirrors exchange.applies, one condition at a time. draw
// false leaves out the probability draw (for a request already decided).
func explainRule(set *ruleSet, r *rule, x *exchange, draw bool) (Miss, bool) {
	m := Miss{Rule: set.name(r), Position: int(r.position), SamePath: true}
	extras := set.extrasOf(r)
	conds := set.conditions(r)
	if extras.active != nil && !extras.active.contains(x.now()) {
		m.Reason = "its active window does not contain " + x.now().Format("2006-01-02T15:04:05Z07:00")
		m.SamePath = pathHolds(conds, x)
		return m, false
	}
	for _, c := range conds {
		if c.holds(x) {
			m.Held++
			continue
		}
		m.Condition, m.Saw = explainCondition(c, x)
		m.SamePath = pathHolds(conds, x)
		return m, false
	}
	if r.needs != 0 && !x.bodyMeets(r.needs) {
		m.Reason = "it has a body condition and the body " + bodyKindProblem(x, r.needs)
		return m, false
	}
	if p := extras.probability; p < 1 {
		if !draw {
			m.Reason = fmt.Sprintf("its conditions held; probability %g: not drawn", p)
			return m, false
		}
		if rand.Float64() >= p {
			m.Reason = fmt.Sprintf("its conditions held; probability %g: not drawn this time", p)
			return m, false
		}
	}
	if extras.scenario != nil {
		if reason := extras.scenario.explain(x); reason != "" {
			m.Reason = reason
			return m, false
		}
	}
	return m, true
}

// pathHolds: the rule's method and path conditions hold.
func pathHolds(conds []condition, x *exchange) bool {
	for _, c := range conds {
		switch c.(type) {
		case methodCondition, *pathCondition:
			if !c.holds(x) {
				return false
			}
		}
	}
	return true
}

func explainCondition(c condition, x *exchange) (string, string) {
	if e, ok := c.(explainer); ok {
		return e.explain(x)
	}
	return fmt.Sprintf("%T", c), "(not shown)"
}

// bodyProblem says why a body cannot be evaluated.
func bodyProblem(x *exchange) string {
	b := &x.body
	buf, _ := b.JSON()
	switch {
	case b.src == nil || b.src == http.NoBody || (b.done && len(buf) == 0):
		return "is empty"
	case b.contentLength > b.max || !b.done:
		return "is longer than max_body_bytes"
	default:
		return "is not JSON, or nests deeper than max_body_depth"
	}
}

// quoteValues shows what a request had: `"a", "b"`, or (absent).
func quoteValues(values []string) string {
	if len(values) == 0 {
		return "(absent)"
	}
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(clip(v))
	}
	return strings.Join(q, ", ")
}

// clip shortens what an explanation quotes of a request.
func clip(s string) string {
	const most = 200
	if len(s) <= most {
		return s
	}
	return s[:most] + "…"
}

func (c methodCondition) explain(x *exchange) (string, string) {
	return "methods " + strings.Join(c, ","), strconv.Quote(x.req.Method)
}

func (c *pathCondition) explain(x *exchange) (string, string) {
	return "path " + strconv.Quote(c.src), strconv.Quote(clip(x.req.URL.Path))
}

func (c hostCondition) explain(x *exchange) (string, string) {
	return "host " + strconv.Quote(c.src), strconv.Quote(clientHost(x.req))
}

func (c remoteIPCondition) explain(x *exchange) (string, string) {
	ranges := make([]string, len(c))
	for i, p := range c {
		ranges[i] = p.String()
	}
	return "remote_ip " + strings.Join(ranges, ","), "X-Forwarded-For " + quoteValues(x.req.Header["X-Forwarded-For"])
}

func (c headerCondition) explain(x *exchange) (string, string) {
	return "headers." + c.name + " " + strconv.Quote(c.src), quoteValues(x.req.Header[c.name])
}

func (c queryCondition) explain(x *exchange) (string, string) {
	return "query." + c.name + " " + strconv.Quote(c.src), quoteValues(x.query()[c.name])
}

func (c cookieCondition) explain(x *exchange) (string, string) {
	return "cookies." + c.name + " " + strconv.Quote(c.src), quoteValues(x.cookie(c.name))
}

func (c bodyCondition) explain(x *exchange) (string, string) {
	what := "body." + c.path + " " + strconv.Quote(c.src)
	res, ok := x.body.get(c.path)
	switch {
	case !ok:
		return what, "a body that " + bodyProblem(x)
	case !res.Exists():
		return what, "(absent)"
	}
	return what, clip(res.Raw)
}

func (c bodyJSONCondition) explain(x *exchange) (string, string) {
	doc, ok := x.body.document()
	if !ok {
		return "body_json", "a body that " + bodyProblem(x)
	}
	return "body_json", clip(doc.Raw)
}

func (c anyCondition) explain(x *exchange) (string, string) {
	var saw []string
	for i, alt := range c {
		for _, sub := range alt {
			if !sub.holds(x) {
				what, v := explainCondition(sub, x)
				saw = append(saw, fmt.Sprintf("any[%d]: %s saw %s", i, what, v))
				break
			}
		}
	}
	return fmt.Sprintf("any (%d alternatives)", len(c)), "none held: " + strings.Join(saw, "; ")
}

func (c notCondition) explain(x *exchange) (string, string) {
	var held []string
	for _, sub := range c {
		what, v := explainCondition(sub, x)
		held = append(held, what+" saw "+v)
	}
	return "not", "its match held: " + strings.Join(held, "; ")
}

// nearMissLine is the DEBUG log's account of a request no rule matched,
// built only when the host prints the line, while the request is still
// being handled.
type nearMissLine struct {
	set *ruleSet
	x   *exchange
}

func (l nearMissLine) String() string {
	var tried []Miss
	for _, r := range l.set.all() {
		m, _ := explainRule(l.set, r, l.x, false)
		tried = append(tried, m)
	}
	near := nearMisses(tried, true)
	if len(near) == 0 {
		return "(no rules)"
	}
	parts := make([]string, len(near))
	for i, m := range near {
		parts[i] = m.String()
	}
	return "- near misses: " + strings.Join(parts, "; ")
}
