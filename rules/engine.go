package rules

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Engine answers the backend requests of one backend: the first rule whose
// conditions hold runs its action; when none does, the request is delegated.
// It is an http.Handler, the form a KrakenD client plugin hands the gateway.
type Engine struct {
	rules     []*rule
	noMatch   *delegate // what happens when no rule matches
	maxBody   int64
	transport *http.Transport // owned by the engine, closed with its context
	log       *logger
	exchanges sync.Pool
}

// rule is a compiled Rule.
type rule struct {
	name       string
	conditions []condition // cheapest first
	action     action
	answered   string // the debug log line's text, prepared once
}

// action is what a matching rule does with the request.
type action interface {
	serve(w http.ResponseWriter, x *exchange)
}

// Options are what the host gives an engine besides its configuration.
type Options struct {
	// Logger receives the engine's logs; nil discards them.
	Logger Logger
	// Transport, when set, replaces the engine's own transport (tests).
	Transport http.RoundTripper
}

// New decodes and compiles a "krakend-rules" object. When ctx ends, the
// engine's idle backend connections are closed.
func New(ctx context.Context, raw any, opts Options) (*Engine, error) {
	cfg, decodeErr := Decode(raw)
	e, compileErr := Compile(cfg, opts)
	if err := joinErrors(decodeErr, compileErr); err != nil {
		return nil, err
	}
	if e.transport != nil && ctx != nil && ctx.Done() != nil {
		go func() {
			<-ctx.Done()
			e.transport.CloseIdleConnections()
		}()
	}
	return e, nil
}

// joinErrors flattens the configuration errors of both passes into one
// list, ordered by location so that the problems of one rule stand together.
func joinErrors(errs ...error) error {
	var all errorList
	for _, err := range errs {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			all = append(all, j.Unwrap()...)
		} else if err != nil {
			all = append(all, err)
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		return locationLess(locationOf(all[i]), locationOf(all[j]))
	})
	return all.err()
}

func locationOf(err error) string {
	if ce, ok := err.(*ConfigError); ok {
		return ce.Location
	}
	return ""
}

// locationLess orders locations by their rule index as a number, so that
// rules[2] comes before rules[10]; the rest of a location keeps its order.
func locationLess(a, b string) bool {
	return ruleIndex(a) < ruleIndex(b)
}

func ruleIndex(loc string) int {
	rest, ok := strings.CutPrefix(loc, "rules[")
	if !ok {
		return -1
	}
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return -1
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil {
		return -1
	}
	return n
}

// Compile prepares a decoded Config: globs, templates and static bodies are
// compiled here, once. Every problem is reported, each with its location.
func Compile(cfg *Config, opts Options) (*Engine, error) {
	log := newLogger(opts.Logger)
	e := &Engine{maxBody: cfg.MaxBodyBytes, log: log}
	transport := opts.Transport
	if transport == nil {
		e.transport = NewTransport()
		transport = e.transport
	}
	if e.maxBody <= 0 {
		e.maxBody = DefaultMaxBodyBytes
	}
	e.exchanges.New = func() any { return new(exchange) }

	var errs errorList
	names := map[string]int{}
	for i, rc := range cfg.Rules {
		loc := index("rules", i)
		name := rc.Name
		if name == "" {
			name = "rule[" + strconv.Itoa(i) + "]"
		}
		if first, dup := names[name]; dup {
			errs.add(field(loc, "name"), "duplicate rule name %q (also rules[%d])", name, first)
		} else {
			names[name] = i
		}
		r := &rule{name: name, answered: "rule " + strconv.Quote(name) + " answered"}
		e.rules = append(e.rules, r)
		if rc.undecodable {
			continue
		}
		if rc.Match != nil {
			r.conditions = compileMatch(&errs, field(loc, "match"), rc.Match)
		}
		switch {
		case rc.Response != nil && rc.Delegate != nil:
			errs.add(loc, "has both response and delegate: a rule has exactly one action")
		case rc.Response != nil:
			r.action = compileResponse(&errs, field(loc, "response"), name, rc.Response, log)
		case rc.Delegate != nil:
			r.action = compileDelegate(&errs, field(loc, "delegate"), name, rc.Delegate, transport, log)
		default:
			errs.add(loc, "has no action: give it a response or a delegate")
		}
	}
	e.noMatch = compileDelegate(&errs, "", "", &Delegate{}, transport, log)
	if err := errs.err(); err != nil {
		return nil, err
	}

	if len(e.rules) == 0 {
		log.Warning("no rules configured: every request is delegated to the backend")
	} else {
		ruleNames := make([]string, len(e.rules))
		for i, r := range e.rules {
			ruleNames[i] = r.name
		}
		log.Info(fmt.Sprintf("%d rules loaded: %s", len(e.rules), strings.Join(ruleNames, ", ")))
	}
	return e, nil
}

// compileMatch turns a Match into conditions, cheapest first, so that a rule
// that cannot match is usually rejected without reading headers, the query
// or the body.
func compileMatch(errs *errorList, loc string, m *Match) []condition {
	var conds []condition
	if len(m.Methods) > 0 {
		var methods methodCondition
		for _, method := range m.Methods {
			methods = append(methods, strings.ToUpper(strings.TrimSpace(method)))
		}
		conds = append(conds, methods)
	}
	if m.Path != "" {
		p, err := compilePattern(pathGlobs, m.Path)
		if err != nil {
			errs.add(field(loc, "path"), "%v", err)
		}
		conds = append(conds, pathCondition{p})
	}
	for _, name := range sortedKeys(m.Headers) {
		p, err := compilePattern(valueGlobs, m.Headers[name])
		if err != nil {
			errs.add(key(field(loc, "headers"), name), "%v", err)
		}
		conds = append(conds, headerCondition{name: canonicalHeader(name), pattern: p})
	}
	for _, name := range sortedKeys(m.Query) {
		p, err := compilePattern(valueGlobs, m.Query[name])
		if err != nil {
			errs.add(key(field(loc, "query"), name), "%v", err)
		}
		conds = append(conds, queryCondition{name: name, pattern: p})
	}
	for _, path := range sortedKeys(m.Body) {
		p, err := compilePattern(valueGlobs, m.Body[path])
		if err != nil {
			errs.add(key(field(loc, "body"), path), "%v", err)
		}
		if path == "" {
			errs.add(key(field(loc, "body"), path), "a body condition needs a gjson path")
		}
		conds = append(conds, bodyCondition{path: path, pattern: p})
	}
	return conds
}

// ServeHTTP finds the first rule whose conditions hold and runs its action;
// when none holds, the request is delegated.
func (e *Engine) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	x := e.exchanges.Get().(*exchange)
	x.reset(req, e.maxBody)
	defer e.release(x)

	if r := e.find(x); r != nil {
		x.rule = r.name
		if e.log.debug {
			e.log.Debug(r.answered, x.requestLine())
		}
		r.action.serve(w, x)
		return
	}
	if e.log.debug {
		e.log.Debug("no rule matched, delegated", x.requestLine())
	}
	e.noMatch.serve(w, x)
}

// find returns the first rule whose conditions hold, or nil.
func (e *Engine) find(x *exchange) *rule {
	for _, r := range e.rules {
		if r.matches(x) {
			return r
		}
	}
	return nil
}

func (e *Engine) release(x *exchange) {
	x.reset(nil, 0)
	e.exchanges.Put(x)
}

func (r *rule) matches(x *exchange) bool {
	for _, c := range r.conditions {
		if !c.holds(x) {
			return false
		}
	}
	return true
}

// exchange is the state of one request while the engine handles it: what
// has been read or parsed once is kept for every later rule.
type exchange struct {
	req         *http.Request
	body        requestBody
	queryValues url.Values
	queryParsed bool
	data        *templateData
	rule        string
}

func (x *exchange) reset(req *http.Request, maxBody int64) {
	*x = exchange{req: req}
	if req != nil {
		x.body.reset(req.Body, req.ContentLength, maxBody)
	}
}

func (x *exchange) query() url.Values {
	if !x.queryParsed {
		x.queryParsed = true
		x.queryValues, _ = url.ParseQuery(x.req.URL.RawQuery) // malformed pairs are skipped
	}
	return x.queryValues
}

func (x *exchange) templateData() *templateData {
	if x.data == nil {
		x.data = &templateData{
			Method:   x.req.Method,
			Path:     x.req.URL.Path,
			Segments: segments(x.req.URL.Path),
			Query:    x.query(),
			Header:   readOnlyHeader(x.req.Header),
			Host:     x.req.URL.Host,
			Rule:     x.rule,
		}
	}
	return x.data
}

// requestLine prints as "METHOD /path" in logs; it is built only when a log
// line is actually written.
func (x *exchange) requestLine() requestLine { return requestLine{x.req} }

type requestLine struct{ req *http.Request }

func (l requestLine) String() string { return l.req.Method + " " + l.req.URL.Path }

// InvalidConfig is the handler of a backend whose configuration is invalid:
// it fails closed, answering every request 500 without contacting the
// backend, because the rules it cannot apply may have been meant to protect
// that backend. The errors are for the log, not for clients.
func InvalidConfig() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusInternalServerError, "krakend-rules: invalid configuration", "")
	})
}
