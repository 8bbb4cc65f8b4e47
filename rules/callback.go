package rules

import (
	"bytes"
	"fmt"
	"krakend-rules/config"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Callbacks: HTTP requests a rule sends after it answered. Everything
// static is prepared at load; the request's part (templates) is rendered
// while the request is there, and sending is left to the backend's
// callbackQueue, so that the answer never waits.

// ruleCallbacks are the callbacks of one rule.
type ruleCallbacks struct {
	list  []*callback
	queue *callbackQueue
}

// callback is a compiled config.Callback.
type callback struct {
	where string // `rule "pay" callbacks[0]`, for logs

	method text
	url    text
	fixed  *url.URL // the URL when it is no template

	header    []headerField // static fields, canonical names
	templated []headerText

	body          []byte   // the static body; nil when none
	jsonBody      jsonBody // a "body" with templates
	rawBody       int      // index of "body_template"; -1 when none
	bodyTemplated bool     // body has templates: render jsonBody

	delay     config.DelayRange
	timeout   time.Duration
	templates *templateSet // nil when nothing is a template
}

// outgoing is a callback rendered for one request, waiting to be sent.
type outgoing struct {
	callback *callback
	method   string
	url      *url.URL
	header   http.Header
	body     []byte
}

func compileCallbacks(errs *config.Errors, loc config.Path, rule string, cfgs []config.Callback, q *callbackQueue) *ruleCallbacks {
	if len(cfgs) == 0 {
		return nil
	}
	rc := &ruleCallbacks{queue: q}
	for i := range cfgs {
		where := "rule " + strconv.Quote(rule) + " callbacks[" + strconv.Itoa(i) + "]"
		rc.list = append(rc.list, compileCallback(errs, loc.Index(i), where, &cfgs[i], q))
	}
	return rc
}

func compileCallback(errs *config.Errors, loc config.Path, where string, cfg *config.Callback, q *callbackQueue) *callback {
	c := &callback{
		where:     where,
		rawBody:   -1,
		delay:     cfg.DelayRange,
		timeout:   cfg.TimeoutValue,
		templates: newTemplateSet(),
	}
	if c.timeout <= 0 {
		c.timeout = config.DefaultCallbackTimeout
	}
	method := cfg.Method
	if method == "" {
		method = http.MethodPost
	}
	var err error
	if c.method, err = compileText(c.templates, loc.Field("method"), method); err != nil {
		errs.Add(loc.Field("method"), "%v", err)
	} else if c.method.template < 0 && !validMethod(c.method.plain) {
		errs.Add(loc.Field("method"), "%q is not an HTTP method (a token: letters, digits and !#$%%&'*+-.^_`|~)", c.method.plain)
	}
	if cfg.URL != "" {
		c.compileURL(errs, loc.Field("url"), cfg.URL, q)
	}

	hasContentType := false
	for _, name := range config.SortedKeys(cfg.Headers) {
		hloc := loc.Field("headers").Key(name)
		canon := headerName(errs, hloc, name)
		hasContentType = hasContentType || canon == "Content-Type"
		v, err := compileText(c.templates, hloc, cfg.Headers[name])
		switch {
		case err != nil:
			errs.Add(hloc, "%v", err)
		case v.template < 0 && controlByte(v.plain) >= 0:
			errs.Add(hloc, "%v", errControlByte(v.plain))
		case v.template >= 0:
			c.templated = append(c.templated, headerText{name: canon, values: []text{v}})
		default:
			c.header = append(c.header, headerField{name: canon, values: []string{v.plain}})
		}
	}
	switch {
	case cfg.HasBodyTemplate:
		i, err := c.templates.add(loc.Field("body_template"), cfg.BodyTemplate)
		if err != nil {
			errs.Add(loc.Field("body_template"), "%v", err)
		}
		c.rawBody = i
	case cfg.HasBody:
		c.jsonBody = compileJSONBody(errs, c.templates, loc.Field("body"), cfg.Body)
		if body, ok := c.jsonBody.static(); ok {
			c.body = body
		} else {
			c.bodyTemplated = true
		}
	}
	if !hasContentType && (cfg.HasBody || cfg.HasBodyTemplate) {
		c.header = append(c.header, headerField{name: "Content-Type", values: []string{"application/json"}})
	}
	if len(c.templates.names) == 0 {
		c.templates = nil
	}
	return c
}

// compileURL checks the url: a static one whole, a template as far as its
// text before the first "{{" goes, so that a host not in callback_hosts is
// a configuration error whenever it can be known at load.
func (c *callback) compileURL(errs *config.Errors, loc config.Path, src string, q *callbackQueue) {
	t, err := compileText(c.templates, loc, src)
	if err != nil {
		errs.Add(loc, "%v", err)
		return
	}
	c.url = t
	if t.template < 0 {
		u, err := url.Parse(src)
		if err != nil {
			errs.Add(loc, "bad URL %q: %v", src, err)
			return
		}
		if why := q.refuses(u); why != "" {
			errs.Add(loc, "%s", why)
			return
		}
		c.fixed = u
		return
	}
	// "https://host:port/..{{": scheme and host are known at load.
	prefix, _, _ := strings.Cut(src, "{{")
	scheme, rest, ok := strings.Cut(prefix, "://")
	if !ok {
		return
	}
	if s := strings.ToLower(scheme); s != "http" && s != "https" {
		errs.Add(loc, "%q must be an absolute http or https URL", src)
		return
	}
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		if u, err := url.Parse(scheme + "://" + rest[:end]); err == nil {
			if why := q.refuses(u); why != "" {
				errs.Add(loc, "%s", why)
			}
		}
	}
}

// validMethod tells whether s is an HTTP method: a token.
func validMethod(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return s != ""
}

// serve renders the rule's callbacks, runs its action (run), and then hands the
// callbacks to the queue. They are rendered before the action runs: a
// delegate hands the request body on to the backend, and a callback's
// template may still want to read it.
func (rc *ruleCallbacks) serve(w http.ResponseWriter, x *exchange, run func(http.ResponseWriter, *exchange)) {
	var out [4]*outgoing
	pending := out[:0]
	for _, c := range rc.list {
		if o := c.render(x, rc.queue); o != nil {
			pending = append(pending, o)
		}
	}
	run(w, x)
	for _, o := range pending {
		rc.queue.enqueue(o)
	}
}

// templateSets are the callbacks' templates, for Check; none for nil.
func (rc *ruleCallbacks) templateSets() []*templateSet {
	if rc == nil {
		return nil
	}
	var sets []*templateSet
	for _, c := range rc.list {
		sets = append(sets, c.templates)
	}
	return sets
}

// render prepares the callback for this request; nil when it cannot be
// sent, which it logs.
func (c *callback) render(x *exchange, q *callbackQueue) *outgoing {
	o := &outgoing{callback: c, method: c.method.plain, url: c.fixed, header: make(http.Header, len(c.header)+len(c.templated))}
	for _, f := range c.header {
		o.header[f.name] = f.values
	}
	if c.templates == nil {
		o.body = c.body
		return o
	}
	bt := c.templates.bind(x)
	defer c.templates.release(bt)
	scratch := getBuffer()
	defer putBuffer(scratch)
	fail := func(what string, err error) *outgoing {
		q.log.Error(c.where, "could not be rendered for", x.requestLine(), "-", what+":", err)
		return nil
	}

	if c.method.template >= 0 {
		m, err := c.method.render(bt, scratch)
		if err != nil {
			return fail("method", err)
		}
		if !validMethod(m) {
			return fail("method", fmt.Errorf("%q is not an HTTP method", m))
		}
		o.method = m
	}
	if o.url == nil {
		s, err := c.url.render(bt, scratch)
		if err != nil {
			return fail("url", err)
		}
		u, err := url.Parse(s)
		if err != nil {
			return fail("url", fmt.Errorf("bad URL %q", s))
		}
		if why := q.refuses(u); why != "" {
			q.log.Warning(c.where, "not sent for", x.requestLine(), "-", why)
			return nil
		}
		o.url = u
	}
	for _, t := range c.templated {
		values := make([]string, len(t.values))
		for i, tv := range t.values {
			v, err := tv.render(bt, scratch)
			if err != nil {
				return fail("header "+t.name, err)
			}
			values[i] = sanitizeHeaderValue(v)
		}
		o.header[t.name] = values
	}
	switch {
	case c.rawBody >= 0:
		var body bytes.Buffer
		if err := bt.execute(&body, c.rawBody); err != nil {
			return fail("body_template", err)
		}
		o.body = body.Bytes()
	case c.bodyTemplated:
		var body bytes.Buffer
		if err := c.jsonBody.render(bt, &body, scratch); err != nil {
			return fail("body", err)
		}
		o.body = body.Bytes()
	default:
		o.body = c.body
	}
	return o
}
