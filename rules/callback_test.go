package rules

import (
	"context"
	"io"
	"krakend-rules/config"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hook is a callback as a target server received it.
type hook struct {
	method, uri string
	header      http.Header
	body        string
}

// callbackTarget is a real HTTP server on 127.0.0.1 that hands every
// request it receives to the test, and answers what answer says (200 when
// nil).
type callbackTarget struct {
	*httptest.Server
	host     string // 127.0.0.1:port
	received chan hook
	count    atomic.Int64
}

func newCallbackTarget(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *callbackTarget {
	t.Helper()
	c := &callbackTarget{received: make(chan hook, 100)}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.count.Add(1)
		body, _ := io.ReadAll(r.Body)
		c.received <- hook{r.Method, r.RequestURI, r.Header.Clone(), string(body)}
		if answer != nil {
			answer(w, r)
		}
	}))
	t.Cleanup(c.Close)
	c.host = strings.TrimPrefix(c.URL, "http://")
	return c
}

// next waits for the next callback, at most 10 seconds.
func (c *callbackTarget) next(t *testing.T) hook {
	t.Helper()
	select {
	case h := <-c.received:
		return h
	case <-time.After(10 * time.Second):
		t.Fatal("no callback arrived within 10s")
		return hook{}
	}
}

// callbackEngine builds an engine whose context the test ends.
func callbackEngine(t *testing.T, config string, log Logger) (*Engine, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e, err := New(ctx, decodeJSON(t, config), Options{Logger: log})
	if err != nil {
		t.Fatalf("config rejected: %v", err)
	}
	return e, cancel
}

// settle waits until the engine has no callback pending, at most 10 s.
func settle(t *testing.T, e *Engine) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if !e.backend.callbacks.wait(ctx) {
		t.Fatal("callbacks still pending after 10s")
	}
}

func TestCallbacksReachTheirTargetBesideEveryAction(t *testing.T) {
	target := newCallbackTarget(t, nil)
	backend := echoBackend(t)
	callbacks := `"callbacks":[
		{"method":"PUT","url":"http://` + target.host + `/hooks/{{ index .Segments 1 }}?event=paid",
		 "headers":{"X-Signature":"{{ .Header.Get \"X-Req\" }}","X-Static":"s"},
		 "body":{"id":"{{ body \"id\" }}","amount":"{{ body \"amount\" }}","status":"paid"}},
		{"url":"http://` + target.host + `/raw","body_template":"{\"n\": {{ bodyRaw \"amount\" }}}","headers":{"Content-Type":"application/x-test"}},
		{"url":"http://` + target.host + `/empty","method":"{{ .Header.Get \"X-Method\" }}"}]`
	tests := []struct {
		name, action string
		status       int
		backendBody  bool // the backend echoes the request body
	}{
		{"beside a response", `"response":{"status":202,"body":{"accepted":true}}`, 202, false},
		{"beside responses", `"responses":[{"status":202,"body":{"accepted":1}},{"status":202}]`, 202, false},
		{"beside a delegate, which still gets the body", `"delegate":{"to":"` + backend.URL + `"}`, 200, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := callbackEngine(t, `{"callback_hosts":["`+target.host+`"],"rules":[{"name":"pay",`+tt.action+`,`+callbacks+`}]}`, nil)
			const body = `{"id":"p-1","amount":12.5}`
			res, answer := serve(e, backendRequest(t, "POST", "http://backend.invalid/payments/p-1", body,
				http.Header{"X-Req": {"sig-1"}, "X-Method": {"DELETE"}}))
			if res.StatusCode != tt.status {
				t.Fatalf("answered %d %s", res.StatusCode, answer)
			}
			if tt.backendBody && decodeEcho(t, answer).Body != body {
				t.Errorf("the backend got %q, want the request body", decodeEcho(t, answer).Body)
			}
			settle(t, e)
			got := map[string]hook{}
			for range 3 {
				h := target.next(t)
				got[strings.Split(h.uri, "?")[0]] = h
			}
			h := got["/hooks/p-1"]
			if h.method != "PUT" || h.uri != "/hooks/p-1?event=paid" || h.body != `{"amount":"12.5","id":"p-1","status":"paid"}` ||
				h.header.Get("X-Signature") != "sig-1" || h.header.Get("X-Static") != "s" || h.header.Get("Content-Type") != "application/json" {
				t.Errorf("templated callback: %+v", h)
			}
			h = got["/raw"]
			if h.method != "POST" || h.body != `{"n": 12.5}` || h.header.Get("Content-Type") != "application/x-test" {
				t.Errorf("body_template callback: %+v", h)
			}
			h = got["/empty"]
			if h.method != "DELETE" || h.body != "" || h.header.Get("Content-Type") != "" {
				t.Errorf("callback without a body: %+v", h)
			}
		})
	}
}

func TestCallbacksNeverDelayTheAnswer(t *testing.T) {
	release := make(chan struct{})
	target := newCallbackTarget(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	defer close(release)
	e, _ := callbackEngine(t, `{"callback_hosts":["`+target.host+`"],"rules":[{"name":"pay",
		"response":{"status":202},"callbacks":[{"url":"http://`+target.host+`/slow"},{"url":"http://`+target.host+`/slow","delay":"1h"}]}]}`, nil)
	within(t, "an answer whose callback's target never answers", func() {
		res, _ := serve(e, backendRequest(t, "POST", "http://backend.invalid/pay", "", nil))
		if res.StatusCode != 202 {
			t.Errorf("answered %d", res.StatusCode)
		}
	})
	// The callback is being sent while its target holds it: the answer came first.
	if h := target.next(t); h.uri != "/slow" {
		t.Errorf("got %+v", h)
	}
}

func TestCallbackDelays(t *testing.T) {
	target := newCallbackTarget(t, nil)
	e, _ := callbackEngine(t, `{"callback_hosts":["`+target.host+`"],"rules":[{"name":"pay",
		"response":{"status":202},"callbacks":[{"url":"http://`+target.host+`/later","delay":"5ms-20ms"}]}]}`, nil)
	serve(e, backendRequest(t, "POST", "http://backend.invalid/pay", "", nil))
	if h := target.next(t); h.uri != "/later" {
		t.Errorf("got %+v", h)
	}
}

func TestAFullCallbackQueueDropsAndShutdownCancels(t *testing.T) {
	target := newCallbackTarget(t, nil)
	log := &testLogger{}
	e, cancel := callbackEngine(t, `{"callback_hosts":["`+target.host+`"],"rules":[{"name":"pay",
		"response":{"status":202},"callbacks":[{"url":"http://`+target.host+`/hook","delay":"1h"}]}]}`, log)
	e.backend.callbacks.slots = make(chan struct{}, 2) // the queue holds two
	for range 3 {
		if res, _ := serve(e, backendRequest(t, "POST", "http://backend.invalid/pay", "", nil)); res.StatusCode != 202 {
			t.Fatalf("answered %d", res.StatusCode)
		}
	}
	log.contains(t, "WARNING", `rule "pay" callbacks[0] dropped, not sent to http://`+target.host+`/hook: 2 callbacks are pending already, the most one backend holds (1 callback dropped since the last such line)`)

	cancel() // the gateway shuts down
	settle(t, e)
	if n := target.count.Load(); n != 0 {
		t.Errorf("%d callbacks were sent", n)
	}
	log.contains(t, "WARNING", `rule "pay" callbacks[0] not sent to http://`+target.host+`/hook - the gateway shut down during its delay`)
	serve(e, backendRequest(t, "POST", "http://backend.invalid/pay", "", nil))
	log.contains(t, "WARNING", "- the gateway is shutting down")
}

func TestShutdownCancelsACallbackBeingSent(t *testing.T) {
	target := newCallbackTarget(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	log := &testLogger{}
	e, cancel := callbackEngine(t, `{"callback_hosts":["`+target.host+`"],"rules":[{"name":"pay",
		"response":{"status":202},"callbacks":[{"url":"http://`+target.host+`/hook"}]}]}`, log)
	serve(e, backendRequest(t, "POST", "http://backend.invalid/pay", "", nil))
	target.next(t) // it is being sent
	cancel()
	settle(t, e)
	log.contains(t, "WARNING", `rule "pay" callbacks[0] failed: POST http://`+target.host+`/hook - cancelled: the gateway shut down`)
}

func TestCallbackFailuresAreLogged(t *testing.T) {
	failing := newCallbackTarget(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	hanging := newCallbackTarget(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	tests := []struct {
		name, callback, want string
	}{
		{"a status other than 2xx", `{"url":"http://` + failing.host + `/x"}`, `rule "r" callbacks[0] failed: POST http://` + failing.host + `/x - answered 503`},
		{"no answer within the timeout", `{"url":"http://` + hanging.host + `/x","timeout":"20ms"}`, `rule "r" callbacks[0] failed: POST http://` + hanging.host + `/x - no answer within its timeout (20ms)`},
		{"connection refused", `{"url":"http://` + closed + `/x"}`, `rule "r" callbacks[0] failed: POST http://` + closed + `/x - dial tcp ` + closed + `: connect: connection refused`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &testLogger{}
			e, _ := callbackEngine(t, `{"callback_hosts":["127.0.0.1"],"rules":[{"name":"r","response":{"status":202},"callbacks":[`+tt.callback+`]}]}`, log)
			if res, _ := serve(e, backendRequest(t, "GET", "http://backend.invalid/", "", nil)); res.StatusCode != 202 {
				t.Errorf("answered %d", res.StatusCode)
			}
			settle(t, e)
			log.contains(t, "WARNING", tt.want)
		})
	}
}

func TestCallbackHostsAreEnforced(t *testing.T) {
	allowed := newCallbackTarget(t, nil)
	other := newCallbackTarget(t, nil)
	redirecting := newCallbackTarget(t, func(w http.ResponseWriter, r *http.Request) {
		to := other.URL
		if r.URL.Path == "/inside" {
			to = allowed.URL
		}
		http.Redirect(w, r, to+"/landed", http.StatusTemporaryRedirect)
	})
	log := &testLogger{}
	e, _ := callbackEngine(t, `{"callback_hosts":["`+allowed.host+`","`+redirecting.host+`","*.example.invalid"],"rules":[{"name":"r","response":{"status":202},
		"callbacks":[{"url":"{{ .Header.Get \"X-Callback\" }}"}]}]}`, log)
	send := func(url string) {
		t.Helper()
		if res, _ := serve(e, backendRequest(t, "POST", "http://backend.invalid/", "", http.Header{"X-Callback": {url}})); res.StatusCode != 202 {
			t.Errorf("answered %d", res.StatusCode)
		}
		settle(t, e)
	}

	send(other.URL + "/refused")
	log.contains(t, "WARNING", `rule "r" callbacks[0] not sent for POST / - the host `+other.host+` is not in callback_hosts (`+allowed.host+`, `+redirecting.host+`, *.example.invalid)`)
	send("ftp://" + allowed.host + "/x")
	log.contains(t, "WARNING", `"ftp://`+allowed.host+`/x" is not an absolute http or https URL`)
	send("http://evil.example.invalid.attacker.test/x")
	log.contains(t, "WARNING", "the host evil.example.invalid.attacker.test:80 is not in callback_hosts")

	send(redirecting.URL + "/outside")
	log.contains(t, "WARNING", `rule "r" callbacks[0] failed: POST `+redirecting.URL+`/outside - redirected, but the host `+other.host+` is not in callback_hosts`)
	if n := other.count.Load(); n != 0 {
		t.Errorf("a host not in callback_hosts got %d requests", n)
	}

	send(redirecting.URL + "/inside")
	for _, want := range []string{"/outside", "/inside"} {
		if h := redirecting.next(t); h.uri != want {
			t.Errorf("the redirecting target got %s, want %s", h.uri, want)
		}
	}
	if h := allowed.next(t); h.uri != "/landed" {
		t.Errorf("the redirect to an allowed host reached %s", h.uri)
	}
}

func TestCallbackRenderingFailuresLeaveTheAnswer(t *testing.T) {
	target := newCallbackTarget(t, nil)
	log := &testLogger{}
	e, _ := callbackEngine(t, `{"callback_hosts":["`+target.host+`"],"rules":[{"name":"r","response":{"status":202,"body":{"ok":true}},
		"callbacks":[{"url":"http://`+target.host+`/{{ index .Segments 5 }}"},{"url":"http://`+target.host+`/x","method":"{{ \"BAD METHOD\" }}"},{"url":"http://`+target.host+`/fine"}]}]}`, log)
	res, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/a", "", nil))
	if res.StatusCode != 202 || body != `{"ok":true}` {
		t.Errorf("answered %d %s", res.StatusCode, body)
	}
	log.contains(t, "ERROR", `rule "r" callbacks[0] could not be rendered for GET /a - url:`)
	log.contains(t, "ERROR", `rule "r" callbacks[1] could not be rendered for GET /a - method: "BAD METHOD" is not an HTTP method`)
	if h := target.next(t); h.uri != "/fine" {
		t.Errorf("got %+v", h)
	}
}

func TestCallbackConfigErrors(t *testing.T) {
	tests := []struct {
		name, config, want string
	}{
		{"a static URL whose host is not allowed",
			`{"callback_hosts":["127.0.0.1:9000"],"rules":[{"response":{},"callbacks":[{"url":"http://127.0.0.1:9001/x"}]}]}`,
			`rules[0].callbacks[0].url: the host 127.0.0.1:9001 is not in callback_hosts (127.0.0.1:9000)`},
		{"callbacks without callback_hosts",
			`{"rules":[{"response":{},"callbacks":[{"url":"https://pay.example.com/x"}]}]}`,
			`rules[0].callbacks[0].url: the host pay.example.com:443 is not in callback_hosts (none)`},
		{"a template whose host is known at load",
			`{"callback_hosts":["127.0.0.1:9000"],"rules":[{"response":{},"callbacks":[{"url":"http://other:9000/{{ .Path }}"}]}]}`,
			`rules[0].callbacks[0].url: the host other:9000 is not in callback_hosts (127.0.0.1:9000)`},
		{"not http",
			`{"callback_hosts":["h"],"rules":[{"response":{},"callbacks":[{"url":"ftp://h/{{ .Path }}"}]}]}`,
			`rules[0].callbacks[0].url: "ftp://h/{{ .Path }}" must be an absolute http or https URL`},
		{"a relative URL",
			`{"callback_hosts":["h"],"rules":[{"response":{},"callbacks":[{"url":"/x"}]}]}`,
			`rules[0].callbacks[0].url: "/x" is not an absolute http or https URL`},
		{"a bad method", `{"callback_hosts":["h"],"rules":[{"response":{},"callbacks":[{"url":"http://h/","method":"GE T"}]}]}`,
			`rules[0].callbacks[0].method: "GE T" is not an HTTP method`},
		{"a bad template", `{"callback_hosts":["h"],"rules":[{"response":{},"callbacks":[{"url":"http://h/","body":{"a":"{{ .Nope"}}]}]}`,
			`rules[0].callbacks[0].body.a: bad template`},
		{"a bad header name", `{"callback_hosts":["h"],"rules":[{"response":{},"callbacks":[{"url":"http://h/","headers":{"X Y":"1"}}]}]}`,
			`rules[0].callbacks[0].headers["X Y"]: is not a valid header name`},
		{"no url", `{"callback_hosts":["h"],"rules":[{"response":{},"callbacks":[{"method":"POST"}]}]}`,
			`rules[0].callbacks[0]: has no url`},
		{"two bodies", `{"callback_hosts":["h"],"rules":[{"response":{},"callbacks":[{"url":"http://h/","body":1,"body_template":"x"}]}]}`,
			`rules[0].callbacks[0]: has both body and body_template: choose one`},
		{"a bad delay and timeout", `{"callback_hosts":["h"],"rules":[{"response":{},"callbacks":[{"url":"http://h/","delay":"soon","timeout":"0s"}]}]}`,
			`rules[0].callbacks[0].delay: must be a duration`},
		{"an empty list", `{"callback_hosts":["h"],"rules":[{"response":{},"callbacks":[]}]}`,
			`rules[0].callbacks: must not be empty`},
		{"callbacks are no action", `{"callback_hosts":["h"],"rules":[{"callbacks":[{"url":"http://h/"}]}]}`,
			`rules[0]: has no action`},
		{"a bad host", `{"callback_hosts":["http://h/"],"rules":[]}`,
			`callback_hosts[0]: "http://h/" is not a host: a URL or a path`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(context.Background(), decodeJSON(t, tt.config), Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v\nwant %q", err, tt.want)
			}
		})
	}
}

// TestTheLinterSeesWhatCallbacksRead checks that Check lists the
// callbacks' templates with what they read, so that the linter warns
// about a header the endpoint does not forward.
func TestTheLinterSeesWhatCallbacksRead(t *testing.T) {
	checked, err := Check(decodeJSON(t, `{"callback_hosts":["h"],"rules":[{"response":{},"callbacks":[
		{"url":"http://h/{{ .Query.Get \"order\" }}","headers":{"X-Sig":"{{ .Header.Get \"X-Req\" }}"}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, u := range checked.Templates {
		found = append(found, u.Location.String()+" "+strings.Join(u.Reads.Headers, ",")+"/"+strings.Join(u.Reads.Query, ","))
	}
	for _, want := range []string{`rules[0].callbacks[0].url /order`, `rules[0].callbacks[0].headers["X-Sig"] X-Req/`} {
		if !slices.Contains(found, want) {
			t.Errorf("Check lists %q, want %q among them", found, want)
		}
	}
}

// BenchmarkCallbackRender is what a templated callback costs the request
// that triggers it: rendering method, URL, headers and body, before it is
// handed to the queue.
func BenchmarkCallbackRender(b *testing.B) {
	e, err := New(context.Background(), decodeJSON(b, `{"callback_hosts":["127.0.0.1:9000"],"rules":[{"name":"pay","response":{"status":202},
		"callbacks":[{"url":"http://127.0.0.1:9000/hooks/{{ index .Segments 1 }}","headers":{"X-Request-Id":"{{ .Header.Get \"X-Request-Id\" }}"},
		"body":{"id":"{{ index .Segments 1 }}","status":"paid"}}]}]}`), Options{})
	if err != nil {
		b.Fatal(err)
	}
	set := e.current.Load()
	r := &set.rules[0]
	callbacks := set.extrasOf(r).callbacks
	req := httptest.NewRequest("POST", "http://backend.invalid/payments/p-1", nil)
	req.Header.Set("X-Request-Id", "req-1")
	x := new(exchange)
	b.ReportAllocs()
	for b.Loop() {
		x.reset(req, e.bodyLimits)
		x.set, x.rule = set, r
		if o := callbacks.list[0].render(x, e.backend.callbacks); o == nil {
			b.Fatal("not rendered")
		}
	}
}

// FuzzCallbackURL renders any text as a callback URL: one the allow-list
// accepts keeps its host and port when it is written out and read again
// (as the request that is sent reads it), so what was checked is what is
// dialled.
func FuzzCallbackURL(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:9000/x", "https://a.example.internal/p?q=1", "http://[::1]:9000/", "http://u:p@127.0.0.1:9000/",
		"http://127.0.0.1:9000@evil.test/", "http://evil.test#@127.0.0.1:9000", "http://127.0.0.1:9000%2f@evil/", "HTTP://A.EXAMPLE.INTERNAL./", "http://.example.internal/", "http://a.example.internal:/"} {
		f.Add(s)
	}
	q := newCallbackQueue(nil, nil, newLogger(nil, "fuzz"))
	for _, h := range []string{"127.0.0.1:9000", "*.example.internal", "[::1]:9000"} {
		p, err := config.ParseHostPattern(h)
		if err != nil {
			f.Fatal(err)
		}
		q.hosts = append(q.hosts, p)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil || q.refuses(u) != "" {
			return
		}
		req, err := http.NewRequest("POST", u.String(), nil)
		if err != nil {
			return // not sent: the failure is logged
		}
		if req.URL.Host != u.Host || q.refuses(req.URL) != "" {
			t.Errorf("%q is allowed as host %q, but is sent to %q", s, u.Host, req.URL.Host)
		}
	})
}
