package rules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"krakend-rules/config"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// NewTransport returns the transport an engine delegates through: its own,
// sized for a gateway (250 idle connections per host, as Lura configures its
// default transport), so that delegation keeps connections alive under load
// whatever the host did to http.DefaultTransport. Compression is left to the
// client and the backend: what the backend sends is what is copied back.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          0, // no limit across hosts
		MaxIdleConnsPerHost:   250,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
		DisableCompression:    true,
	}
}

// backend is what every delegate of an engine shares: the transport, the
// bounds on the answers, and the log.
type backend struct {
	transport   http.RoundTripper
	maxResponse int64
	maxShadow   int64 // max_shadow_bytes
	maxDepth    int   // max_body_depth, which also bounds what a shadow comparison walks
	log         *logger
	callbacks   *callbackQueue // sends the rules' callbacks
	records     engineRecords  // the record files its delegates write
}

// delegate sends the request on to the backend it was meant for, or the one
// "to" names, and copies the answer back: status (mapped), headers (less
// hop-by-hop ones) and body; or answers from its fallback when the backend
// cannot.
type delegate struct {
	*backend
	to              *target    // nil: the request's own URL
	strip           *pathStrip // nil: the path is not shortened
	requestHeaders  []headerChange
	responseHeaders []headerChange
	status          map[int]int
	timeout         time.Duration
	fallback        *fallback
	static          *staticData
	shadow          *shadow
	record          *recording   // nil when the answers are not recorded
	templates       *templateSet // nil when nothing is a template
}

// headerChange sets a header, or removes it.
type headerChange struct {
	name   string
	value  text
	more   []text // the values after the first, of a response header set several times
	remove bool
}

// fallback answers instead of the backend.
type fallback struct {
	onStatus map[int]bool
	answer   action // nil when only recorded answers
	recorded bool   // the delegate's last recorded answer for the request comes first
}

func compileDelegate(errs *config.Errors, loc config.Path, cfg *config.Delegate, be *backend) *delegate {
	d := &delegate{backend: be, templates: newTemplateSet(), status: cfg.Status}
	changes := func(where string, m map[string]*string) []headerChange {
		var out []headerChange
		for _, name := range config.SortedKeys(m) {
			if m[name] == nil {
				out = append(out, headerChange{name: headerName(errs, loc.Field(where).Key(name), name), remove: true})
				continue
			}
			v, err := compileText(d.templates, loc.Field(where).Key(name), *m[name])
			if err == nil && v.template < 0 && controlByte(v.plain) >= 0 {
				err = errControlByte(v.plain)
			}
			if err != nil {
				errs.Add(loc.Field(where).Key(name), "%v", err)
				continue
			}
			out = append(out, headerChange{name: headerName(errs, loc.Field(where).Key(name), name), value: v})
		}
		return out
	}
	d.requestHeaders = changes("request_headers", cfg.RequestHeaders)
	d.responseHeaders = compileHeaderValues(errs, loc.Field("response_headers"), d.templates, cfg.ResponseHeaders)
	if cfg.To != "" {
		d.to = compileTarget(errs, loc.Field("to"), d.templates, cfg.To)
	}
	d.strip = compileStripPrefix(errs, loc.Field("strip_prefix"), cfg.StripPrefix)
	d.timeout = cfg.TimeoutValue
	if cfg.Record != nil {
		d.record = compileRecord(errs, loc.Field("record"), cfg.Record, be)
	}
	if f := cfg.Fallback; f != nil {
		floc := loc.Field("fallback")
		d.fallback = &fallback{onStatus: map[int]bool{}, recorded: f.Recorded}
		if f.Recorded && cfg.Record == nil {
			errs.Add(floc.Field("recorded"), "goes with the delegate's record: nothing is recorded to answer from")
		}
		statuses := f.OnStatus
		if statuses == nil {
			statuses = config.DefaultFallbackStatuses
		}
		for _, st := range statuses {
			d.fallback.onStatus[st] = true
		}
		if f.Mode != "" && f.Responses == nil {
			errs.Add(floc.Field("mode"), "goes with responses")
		}
		switch {
		case f.Response != nil && f.Responses != nil:
			errs.Add(floc, "has both response and responses: choose one")
		case f.Response != nil:
			d.fallback.answer = compileResponse(errs, floc.Field("response"), f.Response, be.log)
		case f.Responses != nil:
			d.fallback.answer = compileResponseSet(errs, floc, f.Mode, f.Responses, be.log)
		case !f.Recorded:
			errs.Add(floc, "has no answer: give it a response or responses")
		}
	}
	if cfg.Static != nil {
		d.static = compileStatic(errs, loc.Field("static"), cfg.Static)
	}
	if cfg.Shadow != nil {
		d.shadow = &shadow{response: compileResponse(errs, loc.Field("shadow"), cfg.Shadow, be.log)}
	}
	if len(d.templates.names) == 0 {
		d.templates = nil
	}
	return d
}

func (d *delegate) templateSets() []*templateSet {
	sets := []*templateSet{d.templates}
	if d.fallback != nil && d.fallback.answer != nil {
		sets = append(sets, d.fallback.answer.templateSets()...)
	}
	if d.shadow != nil {
		sets = append(sets, d.shadow.response.templateSet())
	}
	return sets
}

// target is a compiled "to": a parsed URL, or a template that gives one.
type target struct {
	fixed *url.URL
	text  text
}

func compileTarget(errs *config.Errors, loc config.Path, s *templateSet, src string) *target {
	t, err := compileText(s, loc, src)
	if err != nil {
		errs.Add(loc, "%v", err)
		return nil
	}
	if t.template >= 0 {
		return &target{text: t}
	}
	u, err := parseTarget(src)
	if err != nil {
		errs.Add(loc, "%v", err)
		return nil
	}
	return &target{fixed: u}
}

// parseTarget checks a "to" URL: absolute http(s), with a host and no query.
func parseTarget(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("bad URL %q: %v", s, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%q must be an absolute http or https URL", s)
	case u.Host == "":
		return nil, fmt.Errorf("%q has no host", s)
	case u.RawQuery != "" || u.ForceQuery:
		return nil, fmt.Errorf("%q has a query string: the request's own query is kept, so \"to\" may not have one", s)
	case u.Fragment != "":
		return nil, fmt.Errorf("%q has a fragment", s)
	}
	return u, nil
}

// resolve returns the URL the request goes to: the target's scheme and host,
// the target's path before the request's, the request's query.
func (t *target) resolve(req *url.URL, bt *boundTemplates, scratch *bytes.Buffer) (*url.URL, error) {
	base := t.fixed
	if base == nil {
		s, err := t.text.render(bt, scratch)
		if err != nil {
			return nil, err
		}
		if base, err = parseTarget(s); err != nil {
			return nil, err
		}
	}
	u := *req
	u.Scheme, u.Host, u.User = base.Scheme, base.Host, base.User
	if prefix := strings.TrimSuffix(base.Path, "/"); prefix != "" {
		u.Path = prefix + req.Path
		if req.RawPath != "" {
			u.RawPath = strings.TrimSuffix(base.EscapedPath(), "/") + req.RawPath
		}
	}
	return &u, nil
}

// hopHeaders are meaningful for one connection only and never cross a proxy
// (RFC 9110, section 7.6.1), as in net/http/httputil.ReverseProxy.
var hopHeaders = []string{
	"Connection",
	"Proxy-Connection", // non-standard, sent by some old clients
	"Keep-Alive",
	"Proxy-Authenticate",
	"Proxy-Authorization",
	"Te",
	"Trailer",
	"Transfer-Encoding",
	"Upgrade",
}

func hasHopHeaders(h http.Header) bool {
	for _, name := range hopHeaders {
		if _, ok := h[name]; ok {
			return true
		}
	}
	return false
}

// removeHopHeaders deletes the hop-by-hop headers and those that Connection
// names from h, which must be a map the caller owns: a copy, or the
// backend's answer's own.
func removeHopHeaders(h http.Header) {
	for _, v := range h["Connection"] {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopHeaders {
		delete(h, name)
	}
}

func (d *delegate) serve(w http.ResponseWriter, x *exchange) {
	var bt *boundTemplates
	var scratch *bytes.Buffer // what templates render into; plain texts need none
	if d.templates != nil {
		bt = d.templates.bind(x)
		defer d.templates.release(bt)
		scratch = getBuffer()
		defer putBuffer(scratch)
	}

	x.outcome = outcomeDelegated
	if d.record != nil {
		x.recordKey = d.record.key(x) // before the body goes to the backend
	}
	out, err := d.outgoing(x, bt, scratch)
	if err != nil {
		d.failTemplate(w, x, err)
		return
	}
	if d.timeout > 0 {
		ctx, cancel := context.WithTimeout(out.Context(), d.timeout)
		defer cancel()
		out = out.WithContext(ctx)
	}

	resp, err := d.transport.RoundTrip(out)
	if err != nil {
		d.failBackend(w, x, err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		// The request asked for no upgrade (Upgrade is hop-by-hop and never
		// forwarded), and its body would be the raw connection, read until
		// the deadline: refused, as net/http/httputil.ReverseProxy does.
		d.failBackend(w, x, errSwitchedProtocols)
		return
	}
	if d.fallback != nil && d.fallback.onStatus[resp.StatusCode] && d.answerFallback(w, x, "backend answered "+strconv.Itoa(resp.StatusCode)) {
		return
	}

	// The whole answer is read before anything is written, so that a
	// backend that fails half way, or sends more than the bound, gets a
	// clean 502 instead of a truncated answer passed off as a success.
	// (KrakenD buffers the plugin's answer whole anyway.)
	rec := recorderOf(w)
	var body []byte
	var pooled *[]byte // the pooled buffer the answer was read into; nil when read into the recorder
	if rec != nil && d.static == nil && resp.ContentLength >= 0 && resp.ContentLength <= d.maxResponse {
		body, err = readIntoRecorder(rec, resp, d.maxResponse)
	} else {
		pooled = answerBuffers.Get().(*[]byte)
		body, err = readAnswer((*pooled)[:0], resp, d.maxResponse)
	}
	release := func() {
		if pooled != nil {
			answerBuffers.Put(pooled)
		}
	}
	if err != nil {
		release()
		d.failBackend(w, x, err)
		return
	}

	var h http.Header
	if rec != nil && resp.Header != nil {
		// The backend's header map is handed over whole rather than copied
		// value by value: it is this delegation's own (a transport makes
		// one per answer, and net/http/httputil.ReverseProxy too edits it
		// in place), nothing reads it once the answer is read, and the
		// recorder snapshots it when the status is written. What was set
		// before (the debug header) is kept unless the backend sent it
		// too, as a copy would keep it.
		h = resp.Header
		for name, values := range rec.HeaderMap {
			if _, ok := h[name]; !ok {
				h[name] = values
			}
		}
		rec.HeaderMap = h
	} else {
		h = w.Header()
		for name, values := range resp.Header {
			h[name] = values
		}
	}
	if hasHopHeaders(h) {
		removeHopHeaders(h)
	}
	if x.debugValue != nil {
		h[DebugHeader] = x.debugValue // the plugin's, whatever the backend sent
	}
	for i := range d.responseHeaders {
		c := &d.responseHeaders[i]
		if c.remove {
			delete(h, c.name)
			continue
		}
		v, err := c.render(bt, scratch)
		if err != nil {
			release()
			d.failTemplate(w, x, err)
			return
		}
		h[c.name] = v
	}
	if d.static != nil {
		merged, changed, err := d.static.apply(rec, h, resp.StatusCode, body, d.maxDepth, d.maxResponse)
		if err != nil {
			release()
			d.failBackend(w, x, err)
			return
		}
		if changed { // the answer is merged, where the recorder holds it
			release()
			body, pooled = merged, nil
		}
	}
	status := resp.StatusCode
	if mapped, ok := d.status[status]; ok {
		status = mapped
	}
	w.WriteHeader(status)
	w.Write(body) // into a recorder: where body already lies, so nothing is copied
	if x.recordKey != nil && d.record.keeps(resp.StatusCode, d.fallback) {
		d.record.add(x.recordKey, status, h, body)
	}
	switch {
	case d.shadow == nil:
		release()
	case pooled == nil:
		d.compareShadow(x, body)
	case !d.shadow.compare(x, body, pooled, d.backend):
		// A shadow comparison takes the answer as it is, buffer and all,
		// and hands the buffer back when it is done.
		release()
	}
}

// compareShadow hands the rule's shadow an answer that lies in the
// recorder, which the gateway reads as soon as the plugin returns: the
// comparison gets a copy of its own, made only when one can run now
// (comparisons are rate-limited), in a pooled buffer it hands back.
func (d *delegate) compareShadow(x *exchange, body []byte) {
	s := d.shadow
	if time.Now().UnixNano() < s.nextLog.Load() || s.busy.Load() {
		return // compare would skip it
	}
	if int64(len(body)) > d.maxShadow {
		s.compare(x, body, nil, d.backend) // which only says so, keeping nothing
		return
	}
	pooled := answerBuffers.Get().(*[]byte)
	answer := *pooled
	if cap(answer) < len(body) {
		answer = make([]byte, 0, len(body)) // not pooled: a large answer does not stay in the pool
	}
	answer = append(answer[:0], body...)
	if !s.compare(x, answer, pooled, d.backend) {
		answerBuffers.Put(pooled)
	}
}

// recorderOf returns w when it is the httptest.ResponseRecorder that a
// Lura-based gateway hands a client plugin (one per request, whose Body it
// reads once the plugin returns), with nothing written to it yet; or nil.
func recorderOf(w http.ResponseWriter) *httptest.ResponseRecorder {
	if rec, ok := w.(*httptest.ResponseRecorder); ok && rec.Body != nil && rec.Body.Len() == 0 {
		return rec
	}
	return nil
}

// readIntoRecorder reads an answer of known length into the spare room of
// the recorder's body, where the gateway reads it, instead of into a buffer
// of the plugin's that would then be copied there. Nothing is committed: the
// recorder's body stays empty until the caller writes the returned slice,
// which lies where it would be copied to, so that the copy is skipped.
func readIntoRecorder(rec *httptest.ResponseRecorder, resp *http.Response, limit int64) ([]byte, error) {
	if resp.Body != http.NoBody { // see readAnswer
		rec.Body.Grow(int(resp.ContentLength) + 1) // +1: room to see EOF without growing
	}
	return readAnswer(rec.Body.AvailableBuffer(), resp, limit)
}

// outgoing builds the request for the backend. When nothing in it changes,
// it is the caller's request itself, which a transport does not modify.
// Otherwise a shallow copy shares the caller's header map; it is replaced
// by a copy before anything in it changes, so the caller's map never does.
func (d *delegate) outgoing(x *exchange, bt *boundTemplates, scratch *bytes.Buffer) (*http.Request, error) {
	rewrite := len(d.requestHeaders) > 0 || hasHopHeaders(x.req.Header)
	if d.to == nil && d.strip == nil && !rewrite && x.req.RequestURI == "" && !x.body.read {
		return x.req, nil // its URL, headers and unread body go as they are
	}
	out := x.req.WithContext(x.req.Context())
	out.RequestURI = ""
	if d.strip != nil {
		out.URL = d.strip.apply(x.req.URL)
	}
	if d.to != nil {
		u, err := d.to.resolve(out.URL, bt, scratch)
		if err != nil {
			return nil, err
		}
		out.URL, out.Host = u, u.Host
	}
	if rewrite {
		out.Header = out.Header.Clone()
		if out.Header == nil {
			out.Header = http.Header{}
		}
		removeHopHeaders(out.Header)
		for _, c := range d.requestHeaders {
			if c.remove {
				delete(out.Header, c.name)
				if c.name == "User-Agent" {
					// Go's transport adds its own User-Agent to a request
					// without one; an empty one sends none (as ReverseProxy).
					out.Header[c.name] = []string{""}
				}
				continue
			}
			v, err := c.value.render(bt, scratch)
			if err != nil {
				return nil, err
			}
			out.Header[c.name] = []string{sanitizeHeaderValue(v)}
		}
	}
	out.Body = x.body.replay() // last: nothing can fail after the body is taken
	return out, nil
}

// answerFallback serves the fallback — the last recorded answer for the
// request first, when the fallback says so — saying why in the debug header
// and the log. It answers nothing, and returns false, when the fallback has
// only recorded answers and none for this request.
func (d *delegate) answerFallback(w http.ResponseWriter, x *exchange, why string) bool {
	answer := d.fallback.answer
	if d.fallback.recorded {
		if recorded := d.record.recorded(x); recorded != nil {
			answer, why = recorded, why+", recorded answer"
		}
	}
	if answer == nil {
		return false
	}
	x.outcome = outcomeFallback
	if d.log.debug {
		d.log.Debug(who(x), "fallback for", x.requestLine(), "-", why)
	}
	if x.debugValue != nil {
		x.debugValue = []string{sanitizeHeaderValue(x.ruleName() + " (fallback: " + why + ")")}
		w.Header()[DebugHeader] = x.debugValue
	}
	answer.serve(w, x)
	return true
}

// errSwitchedProtocols is the error of a backend that answered 101
// Switching Protocols to a request that asked for no upgrade.
var errSwitchedProtocols = errors.New("the backend switched protocols (101) unasked")

// errTooLarge is the error of an answer longer than max_response_bytes.
type errTooLarge struct{ limit int64 }

func (e errTooLarge) Error() string {
	return "the answer is longer than max_response_bytes (" + strconv.FormatInt(e.limit, 10) + ")"
}

// errIncomplete is the error of an answer whose body broke off.
type errIncomplete struct{ err error }

func (e errIncomplete) Error() string { return "reading the answer: " + e.err.Error() }
func (e errIncomplete) Unwrap() error { return e.err }

// answerBuffers hold the answers of delegations while they are copied: most
// answers fit, and a larger one gets a slice of its own.
var answerBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// readAnswer reads the backend's answer body, at most limit bytes, into b's
// spare room when it is large enough, or else into a slice of its own. That
// slice grows by doubling but never past limit+1, so an answer that is too
// long costs at most about one and a half times the limit while it is found
// out.
func readAnswer(b []byte, resp *http.Response, limit int64) ([]byte, error) {
	if resp.Body == http.NoBody {
		// An answer to HEAD, a 204 or a 304: a length it declares is that
		// of a body it does not have.
		return b[:0], nil
	}
	if resp.ContentLength > limit {
		return nil, errTooLarge{limit}
	}
	if resp.ContentLength >= 0 && int64(cap(b)) < resp.ContentLength+1 {
		b = make([]byte, 0, resp.ContentLength+1) // +1: room to see EOF without growing
	}
	for {
		if len(b) == cap(b) {
			grown := make([]byte, len(b), min(2*int64(cap(b))+bytes.MinRead, limit+1))
			copy(grown, b)
			b = grown
		}
		n, err := resp.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			return nil, errTooLarge{limit}
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, errIncomplete{err}
		}
	}
}

// failBackend answers 504 when the deadline passed, 502 otherwise, with a
// message that tells the kind of failure; or the fallback, if there is one.
func (d *delegate) failBackend(w http.ResponseWriter, x *exchange, err error) {
	status, message := http.StatusBadGateway, "backend error"
	var tooLarge errTooLarge
	var incomplete errIncomplete
	var netErr *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(x.req.Context().Err(), context.DeadlineExceeded):
		status, message = http.StatusGatewayTimeout, "backend timeout"
	case errors.Is(err, context.Canceled):
		message = "request cancelled"
	case errors.As(err, &tooLarge):
		message = "backend answer too large"
	case errors.As(err, &incomplete):
		message = "backend answer incomplete"
	case errors.As(err, &netErr) && netErr.Op == "dial":
		message = "backend unreachable"
	}
	if d.fallback != nil && x.req.Context().Err() == nil && d.answerFallback(w, x, message) {
		return
	}
	d.log.Warning(who(x), "could not delegate", x.requestLine(), "-", message+":", err)
	x.fail(w, status, message)
}

func (d *delegate) failTemplate(w http.ResponseWriter, x *exchange, err error) {
	d.log.Error(who(x), "could not render the delegation of", x.requestLine(), "-", err)
	x.fail(w, http.StatusInternalServerError, "delegate template failed")
}

// who starts a log line about a request: which rule had it.
func who(x *exchange) string {
	if x.rule == nil {
		return "no rule matched:"
	}
	return "rule " + strconv.Quote(x.ruleName()) + ":"
}
