package rules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
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
// bound on an answer's size, and the log.
type backend struct {
	transport   http.RoundTripper
	maxResponse int64
	log         *logger
}

// delegate sends the request on to the backend it was meant for and copies
// the answer back: status, headers (less hop-by-hop ones) and body.
type delegate struct {
	*backend
	requestHeaders  []headerText
	responseHeaders []headerText
	templates       *templateSet // nil when no header is a template
}

func compileDelegate(errs *errorList, loc string, cfg *Delegate, be *backend) *delegate {
	d := &delegate{backend: be, templates: newTemplateSet()}
	compile := func(where string, m map[string]string) []headerText {
		var out []headerText
		for _, name := range sortedKeys(m) {
			v, err := compileText(d.templates, key(field(loc, where), name), m[name])
			if err != nil {
				errs.add(key(field(loc, where), name), "%v", err)
				continue
			}
			out = append(out, headerText{name: canonicalHeader(name), value: v})
		}
		return out
	}
	d.requestHeaders = compile("request_headers", cfg.RequestHeaders)
	d.responseHeaders = compile("response_headers", cfg.ResponseHeaders)
	if len(d.templates.names) == 0 {
		d.templates = nil
	}
	return d
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
// names from h, which must be a copy the caller owns.
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
	if d.templates != nil {
		bt = d.templates.bind(x)
		defer d.templates.release(bt)
	}
	scratch := getBuffer()
	defer putBuffer(scratch)

	// A shallow copy shares the caller's header map; it is replaced by a
	// copy before anything in it changes, so the caller's map never does.
	out := x.req.WithContext(x.req.Context())
	out.RequestURI = ""
	out.Body = x.body.replay()
	if len(d.requestHeaders) > 0 || hasHopHeaders(out.Header) {
		out.Header = out.Header.Clone()
		if out.Header == nil {
			out.Header = http.Header{}
		}
		removeHopHeaders(out.Header)
		for _, f := range d.requestHeaders {
			v, err := f.value.render(bt, scratch)
			if err != nil {
				d.failTemplate(w, x, err)
				closeBody(out.Body)
				return
			}
			out.Header[f.name] = []string{sanitizeHeaderValue(v)}
		}
	}

	resp, err := d.transport.RoundTrip(out)
	if err != nil {
		d.failBackend(w, x, err)
		return
	}
	defer resp.Body.Close()

	// The whole answer is read before anything is written, so that a
	// backend that fails half way, or sends more than the bound, gets a
	// clean 502 instead of a truncated answer passed off as a success.
	// (KrakenD buffers the plugin's answer whole anyway.)
	body := getBuffer()
	defer putBuffer(body)
	if err := readAnswer(body, resp, d.maxResponse); err != nil {
		d.failBackend(w, x, err)
		return
	}

	h := w.Header()
	for name, values := range resp.Header {
		h[name] = values
	}
	if hasHopHeaders(h) {
		removeHopHeaders(h)
	}
	for _, f := range d.responseHeaders {
		v, err := f.value.render(bt, scratch)
		if err != nil {
			d.failTemplate(w, x, err)
			return
		}
		h[f.name] = []string{sanitizeHeaderValue(v)}
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(body.Bytes())
}

// errTooLarge is the error of an answer longer than max_response_bytes.
type errTooLarge struct{ limit int64 }

func (e errTooLarge) Error() string {
	return "the answer is longer than max_response_bytes (" + strconv.FormatInt(e.limit, 10) + ")"
}

// readAnswer reads the backend's answer body into buf, at most limit bytes.
func readAnswer(buf *bytes.Buffer, resp *http.Response, limit int64) error {
	if resp.ContentLength > limit {
		return errTooLarge{limit}
	}
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength) + bytes.MinRead) // one allocation, and room to see EOF
	}
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if n > limit {
		return errTooLarge{limit}
	}
	return nil
}

func closeBody(b io.ReadCloser) {
	if b != nil {
		b.Close()
	}
}

// failBackend answers 504 when the request's deadline passed, 502 otherwise,
// with a message that tells the kind of failure.
func (d *delegate) failBackend(w http.ResponseWriter, x *exchange, err error) {
	status, message := http.StatusBadGateway, "backend error"
	var tooLarge errTooLarge
	var netErr *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(x.req.Context().Err(), context.DeadlineExceeded):
		status, message = http.StatusGatewayTimeout, "backend timeout"
	case errors.Is(err, context.Canceled):
		message = "request cancelled"
	case errors.As(err, &tooLarge):
		message = "backend answer too large"
	case strings.HasPrefix(err.Error(), "reading the answer"):
		message = "backend answer incomplete"
	case errors.As(err, &netErr) && netErr.Op == "dial":
		message = "backend unreachable"
	}
	d.log.Warning(who(x), "could not delegate", x.requestLine(), "-", message+":", err)
	x.fail(w, status, message)
}

func (d *delegate) failTemplate(w http.ResponseWriter, x *exchange, err error) {
	d.log.Error(who(x), "could not render a header for", x.requestLine(), "-", err)
	x.fail(w, http.StatusInternalServerError, "delegate header template failed")
}

// who starts a log line about a request: which rule had it.
func who(x *exchange) string {
	if x.rule == nil {
		return "no rule matched:"
	}
	return "rule " + strconv.Quote(x.rule.name) + ":"
}
