package rules

import (
	"krakend-rules/state"
	"net/http"
	"net/url"
	"time"
)

// exchange is the state of one request while the engine handles it: what
// has been read or parsed once is kept for every later rule and template.
type exchange struct {
	req    *http.Request
	body   requestBody
	bodies parsedBodies // the body as a form, multipart parts, XML

	queryValues url.Values
	queryParsed bool
	clock       time.Time
	data        *templateData

	set        *ruleSet    // the rules in force when the request came
	rule       *rule       // in set; nil when no rule matched
	count      uint64      // this request's number among those the rule answered
	debugValue []string    // DebugHeader's value, when debug_header is on
	outcome    outcome     // what became of the request, for the rule's statistics
	recordKey  *requestKey // the request's key in its delegate's record; nil when none

	store    state.Store // the engine's, for templates
	stateErr error       // the store failed while a scenario was tried
}

func (x *exchange) reset(req *http.Request, limits bodyLimits) {
	*x = exchange{req: req}
	if req != nil {
		x.body.reset(req.Body, req.ContentLength, limits)
	}
}

func (x *exchange) ruleName() string {
	if x.rule == nil {
		return ""
	}
	return x.set.name(x.rule)
}

// now is the request's time, read once so that every rule and template of
// one request sees the same instant.
func (x *exchange) now() time.Time {
	if x.clock.IsZero() {
		x.clock = time.Now()
	}
	return x.clock
}

func (x *exchange) query() url.Values {
	if !x.queryParsed {
		x.queryParsed = true
		x.queryValues, _ = url.ParseQuery(x.req.URL.RawQuery) // malformed pairs are skipped
	}
	return x.queryValues
}

// cookie returns the values of the named cookie in the Cookie header(s).
func (x *exchange) cookie(name string) []string {
	var values []string
	for _, c := range x.req.CookiesNamed(name) {
		values = append(values, c.Value)
	}
	return values
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
			Rule:     x.ruleName(),
			Params:   x.params(),
			Form:     formReader{x},
			x:        x,
		}
	}
	return x.data
}

// params returns the named groups of the rule's path regexp.
func (x *exchange) params() map[string]string {
	if x.rule == nil || x.set.extrasOf(x.rule).pathParams == nil {
		return nil
	}
	re := x.set.extrasOf(x.rule).pathParams
	m := re.FindStringSubmatch(x.req.URL.Path)
	if m == nil {
		return nil
	}
	params := make(map[string]string, len(m))
	for i, name := range re.SubexpNames() {
		if name != "" && i < len(m) {
			params[name] = m[i]
		}
	}
	return params
}

// fail answers with a JSON error naming the rule, dropping any header an
// action had set but keeping the debug header.
func (x *exchange) fail(w http.ResponseWriter, status int, message string, fields ...string) {
	x.outcome = outcomeFailed
	h := w.Header()
	clear(h)
	if x.debugValue != nil {
		h[DebugHeader] = x.debugValue
	}
	writeError(w, status, message, x.ruleName(), fields...)
}

// requestLine prints as "METHOD /path" in logs; it is built only when a log
// line is actually written.
func (x *exchange) requestLine() requestLine { return requestLine{x.req} }

type requestLine struct{ req *http.Request }

func (l requestLine) String() string { return l.req.Method + " " + l.req.URL.Path }
