package rules

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestDelegateCopiesStatusHeadersAndBody(t *testing.T) {
	var got *http.Request
	var gotBody string
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		h := w.Header()
		h.Set("X-Backend", "yes")
		h.Add("X-Multi", "1")
		h.Add("X-Multi", "2")
		h.Set("Connection", "X-Private")
		h.Set("X-Private", "hop")
		h.Set("Keep-Alive", "timeout=5")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"created":true}`)
	}))
	defer backend.Close()

	e := newEngine(t, `{"rules":[{"name":"pass","match":{"methods":["POST"]},"delegate":{
		"request_headers":{"X-Added":"{{ .Rule }}:{{ .Method }}"},
		"response_headers":{"X-Answered-By":"{{ .Rule }}"}}}]}`, nil)
	header := http.Header{
		"X-Tenant":       {"acme"},
		"Connection":     {"X-Conn-Private"},
		"X-Conn-Private": {"secret"},
		"Te":             {"trailers"},
		"Upgrade":        {"websocket"},
	}
	req := backendRequest(t, "POST", backend.URL+"/orders/7?x=1&y=2", `{"a":1}`, header)
	callerHeader := req.Header.Clone()

	res, body := serve(e, req)
	if res.StatusCode != 201 || body != `{"created":true}` {
		t.Fatalf("got %d %s", res.StatusCode, body)
	}
	if res.Header.Get("X-Backend") != "yes" || strings.Join(res.Header.Values("X-Multi"), ",") != "1,2" {
		t.Errorf("backend headers not copied: %v", res.Header)
	}
	if res.Header.Get("X-Answered-By") != "pass" {
		t.Errorf("response_headers not set: %v", res.Header)
	}
	for _, hop := range []string{"Connection", "X-Private", "Keep-Alive"} {
		if v := res.Header.Values(hop); len(v) > 0 {
			t.Errorf("hop-by-hop %s crossed back: %v", hop, v)
		}
	}

	if got.Method != "POST" || got.URL.Path != "/orders/7" || got.URL.RawQuery != "x=1&y=2" || gotBody != `{"a":1}` {
		t.Errorf("backend got %s %s?%s %q", got.Method, got.URL.Path, got.URL.RawQuery, gotBody)
	}
	if got.Header.Get("X-Tenant") != "acme" || got.Header.Get("X-Added") != "pass:POST" {
		t.Errorf("backend headers %v", got.Header)
	}
	for _, hop := range []string{"X-Conn-Private", "Te", "Upgrade"} {
		if v := got.Header.Values(hop); len(v) > 0 {
			t.Errorf("hop-by-hop %s reached the backend: %v", hop, v)
		}
	}
	if !equalHeaders(req.Header, callerHeader) {
		t.Errorf("the caller's header map changed:\n got %v\nwant %v", req.Header, callerHeader)
	}
}

func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "\x00") != strings.Join(b[k], "\x00") {
			return false
		}
	}
	return true
}

func TestDelegatedBodyArrivesIntactAfterABodyRuleReadIt(t *testing.T) {
	backend := echoBackend(t)
	e := newEngine(t, `{"max_body_bytes": 64, "rules":[{"match":{"body":{"kind":"special"}},"response":{"status":418}}]}`, nil)
	bodies := []string{
		`{"kind":"ordinary","n":[1,2,3]}`,
		`not json at all`,
		`{"kind":"` + strings.Repeat("long", 100) + `"}`, // over max_body_bytes
		"",
	}
	for _, b := range bodies {
		res, out := serve(e, backendRequest(t, "PUT", backend.URL+"/x", b, nil))
		if res.StatusCode != 200 {
			t.Fatalf("body %.20q: status %d %s", b, res.StatusCode, out)
		}
		got := decodeEcho(t, out)
		if got.Body != b || got.Length != int64(len(b)) {
			t.Errorf("body %.20q: the backend got %.20q with length %d", b, got.Body, got.Length)
		}
	}
}

// failingReader yields some bytes, then an error, as a client that goes away
// mid-upload does.
type failingReader struct{ data string }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestABodyThatFailsHalfWayIsNotDeliveredShortened(t *testing.T) {
	var reached int
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err == nil {
			reached++
		}
	}))
	defer backend.Close()
	e := newEngine(t, `{"rules":[{"match":{"body":{"a":"*"}},"response":{"status":418}}]}`, nil)
	req, _ := http.NewRequest("POST", backend.URL+"/x", &failingReader{data: `{"a":"b"`})
	res, body := serve(e, req)
	if res.StatusCode != 502 || reached != 0 {
		t.Errorf("status %d (%s); complete bodies at the backend: %d", res.StatusCode, body, reached)
	}
}

func TestRedirectsArePassedBackNotFollowed(t *testing.T) {
	followed := false
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/target" {
			followed = true
		}
		http.Redirect(w, r, "/target", http.StatusFound)
	}))
	defer backend.Close()
	e := newEngine(t, `{"rules":[]}`, nil)
	res, _ := serve(e, backendRequest(t, "GET", backend.URL+"/start", "", nil))
	if res.StatusCode != 302 || res.Header.Get("Location") != "/target" || followed {
		t.Errorf("status %d location %q followed %v", res.StatusCode, res.Header.Get("Location"), followed)
	}
}

func TestUnreachableBackendAnswers502(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more

	log := &testLogger{}
	e := newEngine(t, `{"rules":[{"name":"down","match":{"path":"/named"},"delegate":{}}]}`, log)
	res, body := serve(e, backendRequest(t, "GET", "http://"+addr+"/named", "", nil))
	if res.StatusCode != 502 || body != `{"error":"backend unreachable","rule":"down"}` {
		t.Errorf("named rule: %d %s", res.StatusCode, body)
	}
	log.contains(t, "WARNING", `rule "down": could not delegate GET /named - backend unreachable`)

	res, body = serve(e, backendRequest(t, "GET", "http://"+addr+"/other", "", nil))
	if res.StatusCode != 502 || body != `{"error":"backend unreachable"}` {
		t.Errorf("no rule matched: %d %s", res.StatusCode, body)
	}
	log.contains(t, "WARNING", "no rule matched: could not delegate GET /other")
}

func TestCancellationReachesTheBackend(t *testing.T) {
	arrived, gone := make(chan struct{}), make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		select {
		case <-r.Context().Done():
			close(gone)
		case <-time.After(10 * time.Second):
		}
	}))
	defer backend.Close()
	e := newEngine(t, `{"rules":[]}`, nil)

	ctx, cancel := context.WithCancel(context.Background())
	req := backendRequest(t, "GET", backend.URL+"/slow", "", nil).WithContext(ctx)
	done := make(chan *http.Response)
	go func() {
		res, _ := serve(e, req)
		done <- res
	}()
	<-arrived
	cancel()
	select {
	case res := <-done:
		if res.StatusCode != 502 {
			t.Errorf("a cancelled request answered %d", res.StatusCode)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the engine kept waiting after the request was cancelled")
	}
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("the backend never saw the cancellation")
	}
}

func TestDeadlineAnswers504(t *testing.T) {
	release := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer backend.Close()
	defer close(release)
	e := newEngine(t, `{"rules":[{"name":"slow","delegate":{}}]}`, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, body := serve(e, backendRequest(t, "GET", backend.URL+"/", "", nil).WithContext(ctx))
	if res.StatusCode != 504 || body != `{"error":"backend timeout","rule":"slow"}` {
		t.Errorf("got %d %s", res.StatusCode, body)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("the engine waited %v past a 50ms deadline", time.Since(start))
	}
}

func TestDelegationKeepsConnectionsAlive(t *testing.T) {
	var conns int
	backend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	backend.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns++
		}
	}
	backend.Start()
	defer backend.Close()
	e := newEngine(t, `{"rules":[]}`, nil)
	for range 20 {
		serve(e, backendRequest(t, "GET", backend.URL+"/", "", nil))
	}
	if conns != 1 {
		t.Errorf("20 sequential delegations opened %d connections, want 1", conns)
	}
}

func TestAnswersOverTheBoundAre502(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/declared" {
			w.Header().Set("Content-Length", "2000")
		}
		w.Write([]byte(strings.Repeat("x", 2000))) // without a length: chunked
	}))
	defer backend.Close()
	log := &testLogger{}
	e := newEngine(t, `{"max_response_bytes":1000,"rules":[{"name":"big","delegate":{}}]}`, log)
	for _, path := range []string{"/declared", "/chunked"} {
		res, body := serve(e, backendRequest(t, "GET", backend.URL+path, "", nil))
		if res.StatusCode != 502 || body != `{"error":"backend answer too large","rule":"big"}` {
			t.Errorf("%s: got %d %s", path, res.StatusCode, body)
		}
	}
	log.contains(t, "WARNING", "the answer is longer than max_response_bytes (1000)")

	// Exactly at the bound is fine.
	e = newEngine(t, `{"max_response_bytes":2000,"rules":[]}`, nil)
	if res, body := serve(e, backendRequest(t, "GET", backend.URL+"/chunked", "", nil)); res.StatusCode != 200 || len(body) != 2000 {
		t.Errorf("at the bound: %d, %d bytes", res.StatusCode, len(body))
	}
}

func TestAnAnswerCutShortIs502(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: application/json\r\n\r\n{\"partial\":")
		buf.Flush()
		conn.Close()
	}))
	defer backend.Close()
	e := newEngine(t, `{"rules":[]}`, nil)
	res, body := serve(e, backendRequest(t, "GET", backend.URL+"/", "", nil))
	if res.StatusCode != 502 || body != `{"error":"backend answer incomplete"}` {
		t.Errorf("got %d %s", res.StatusCode, body)
	}
}

func TestInvalidHTTPFromTheBackendIs502(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Read(make([]byte, 4096))
			conn.Write([]byte("this is not HTTP\r\n\r\n"))
			conn.Close()
		}
	}()
	e := newEngine(t, `{"rules":[]}`, nil)
	res, body := serve(e, backendRequest(t, "GET", "http://"+ln.Addr().String()+"/", "", nil))
	if res.StatusCode != 502 || body != `{"error":"backend error"}` {
		t.Errorf("got %d %s", res.StatusCode, body)
	}
}

// TestAnUnsolicitedSwitchingProtocolsIs502: a backend that answers 101 to a
// request that asked for no upgrade would hand over a raw connection, read
// until the deadline; it is refused at once, as ReverseProxy refuses it.
func TestAnUnsolicitedSwitchingProtocolsIs502(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		buf.Flush()
		io.Copy(io.Discard, conn) // hold the connection open until the client lets go
	}))
	defer backend.Close()
	e := newEngine(t, `{"rules":[]}`, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a guard: the answer comes at once
	defer cancel()
	res, body := serve(e, backendRequest(t, "GET", backend.URL+"/", "", nil).WithContext(ctx))
	if res.StatusCode != 502 || body != `{"error":"backend error"}` {
		t.Errorf("got %d %s, want 502 backend error", res.StatusCode, body)
	}
	if ctx.Err() != nil {
		t.Error("the answer waited for the deadline")
	}
}

// TestABackendCannotForgeTheDebugHeader: with debug_header on, the header
// always names what the plugin did, whatever the backend sent.
func TestABackendCannotForgeTheDebugHeader(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(DebugHeader, "mock-that-never-ran")
		w.Write([]byte(`{}`))
	}))
	defer backend.Close()
	e := newEngine(t, `{"debug_header":true,"rules":[{"name":"pass","match":{"path":"/pass"},"delegate":{}}]}`, nil)
	for path, want := range map[string]string{"/pass": "pass", "/other": "delegated"} {
		res, _ := serve(e, backendRequest(t, "GET", backend.URL+path, "", nil))
		if got := res.Header.Values(DebugHeader); len(got) != 1 || got[0] != want {
			t.Errorf("%s: %s is %q, want %q", path, DebugHeader, got, want)
		}
	}
	quiet := newEngine(t, `{"rules":[]}`, nil)
	if res, _ := serve(quiet, backendRequest(t, "GET", backend.URL+"/", "", nil)); res.Header.Get(DebugHeader) != "mock-that-never-ran" {
		t.Errorf("without debug_header the backend's own header is passed back: got %q", res.Header.Get(DebugHeader))
	}
}

// TestHeaderValuesCarryNoControlBytes: whatever a request carries, the
// header values the plugin writes from templates hold no control byte
// (tab excepted), towards the client and towards the backend.
func TestHeaderValuesCarryNoControlBytes(t *testing.T) {
	var got http.Header
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Write([]byte(`{}`))
	}))
	defer backend.Close()
	e := newEngine(t, `{"debug_header":true,"rules":[
		{"name":"answer","match":{"path":"/answer"},"response":{"headers":{"X-Echo":"{{ body \"v\" }}"}}},
		{"name":"pass","delegate":{"request_headers":{"X-Echo":"{{ body \"v\" }}"},"response_headers":{"X-Back":"{{ body \"v\" }}"}}}]}`, nil)
	var all strings.Builder
	for c := range 0x80 {
		all.WriteByte(byte(c))
	}
	value, _ := json.Marshal(map[string]string{"v": all.String()})
	clean := func(s string) bool {
		for i := range len(s) {
			if c := s[i]; c < 0x20 && c != '\t' || c == 0x7F {
				return false
			}
		}
		return true
	}
	res, _ := serve(e, backendRequest(t, "POST", backend.URL+"/answer", string(value), nil))
	if v := res.Header.Get("X-Echo"); res.StatusCode != 200 || !clean(v) || !strings.Contains(v, "\t") || !strings.Contains(v, "!\"#$") {
		t.Errorf("answer: %d, X-Echo %q", res.StatusCode, v)
	}
	res, _ = serve(e, backendRequest(t, "POST", backend.URL+"/pass", string(value), nil))
	if res.StatusCode != 200 || !clean(res.Header.Get("X-Back")) || !clean(got.Get("X-Echo")) || got.Get("X-Echo") == "" {
		t.Errorf("delegated: %d, X-Back %q, the backend got X-Echo %q", res.StatusCode, res.Header.Get("X-Back"), got.Get("X-Echo"))
	}
	named := newEngine(t, `{"debug_header":true,"rules":[{"name":"a\u0001b\u007f","response":{}}]}`, nil)
	if res, _ := serve(named, backendRequest(t, "GET", backend.URL+"/", "", nil)); res.Header.Get(DebugHeader) != "a b " {
		t.Errorf("the debug header of a rule named with control characters: %q", res.Header.Get(DebugHeader))
	}
}

// headerWriter is a ResponseWriter that is not the recorder Lura hands a
// plugin, so that delegation takes its general path.
type headerWriter struct {
	h    http.Header
	code int
	body strings.Builder
}

func (w *headerWriter) Header() http.Header { return w.h }
func (w *headerWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = 200
	}
	return w.body.Write(b)
}
func (w *headerWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

// TestDelegationAnswersAlikeIntoEveryWriter: the answer read straight into
// Lura's recorder and the answer copied into any other ResponseWriter are
// the same, with a length or chunked, whatever the writer held before.
func TestDelegationAnswersAlikeIntoEveryWriter(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Backend", "yes")
		h.Set("Connection", "X-Private")
		h.Set("X-Private", "hop")
		h.Set(DebugHeader, "forged")
		h.Set("X-Preset", "from the backend")
		if r.URL.Path == "/length" {
			h.Set("Content-Length", "16")
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"created":`)
		w.(http.Flusher).Flush() // chunked, without a length
		io.WriteString(w, `true}`)
	}))
	defer backend.Close()
	e := newEngine(t, `{"debug_header":true,"rules":[{"name":"pass","delegate":{
		"status":{"201":200},"response_headers":{"X-Answered-By":"{{ .Rule }}","X-Backend":null}}}]}`, nil)
	for _, path := range []string{"/length", "/chunked"} {
		for _, preset := range []string{"", "X-Preset", "X-Kept"} {
			rec := httptest.NewRecorder()
			other := &headerWriter{h: http.Header{}}
			if preset != "" {
				rec.Header().Set(preset, "before")
				other.h.Set(preset, "before")
			}
			e.ServeHTTP(rec, backendRequest(t, "GET", backend.URL+path, "", nil))
			e.ServeHTTP(other, backendRequest(t, "GET", backend.URL+path, "", nil))
			res := rec.Result()
			got, _ := io.ReadAll(res.Body)
			want := http.Header{
				"Content-Type":  {"text/plain; charset=utf-8"},
				DebugHeader:     {"pass"},
				"X-Answered-By": {"pass"},
				"X-Preset":      {"from the backend"},
			}
			if path == "/length" {
				want["Content-Length"] = []string{"16"}
			}
			if preset == "X-Kept" {
				want["X-Kept"] = []string{"before"}
			}
			res.Header.Del("Date")
			other.h.Del("Date")
			if res.StatusCode != 200 || string(got) != `{"created":true}` || !equalHeaders(res.Header, want) {
				t.Errorf("%s, %q set before: the recorder got %d %s %v", path, preset, res.StatusCode, got, res.Header)
			}
			if other.code != 200 || other.body.String() != `{"created":true}` || !equalHeaders(other.h, want) {
				t.Errorf("%s, %q set before: another writer got %d %s %v", path, preset, other.code, other.body.String(), other.h)
			}
		}
	}
}

// TestAShadowComparesItsOwnCopyOfTheAnswer: the answer read into the
// recorder is the gateway's as soon as the plugin returns; the comparison
// running in the background has a copy of its own.
func TestAShadowComparesItsOwnCopyOfTheAnswer(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"a":1,"pad":"`+strings.Repeat("x", 100)+`"}`)
	}))
	defer backend.Close()
	log := &testLogger{}
	e := newEngine(t, `{"rules":[{"name":"orders","delegate":{"shadow":{"body":{"a":1,"pad":"","b":2}}}}]}`, log)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, backendRequest(t, "GET", backend.URL+"/", "", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), `{"a":1,`) {
		t.Fatalf("got %d %s", rec.Code, rec.Body.String())
	}
	b := rec.Body.Bytes()
	copy(b, `{"z":[]}`+strings.Repeat(" ", len(b)-8)) // the gateway's buffer, reused
	want := `rule "orders" shadow: the mock differs from the backend at $.b (only in the mock)`
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		log.mu.Lock()
		lines := strings.Join(log.lines, "\n")
		log.mu.Unlock()
		if strings.Contains(lines, "shadow:") {
			if !strings.Contains(lines, want) {
				t.Errorf("the comparison saw another answer:\n%s", lines)
			}
			return
		}
	}
	t.Fatal("no shadow comparison was logged")
}

// TestAHeadRequestPassesTheLengthOfTheBodyItHasNot: the answer to HEAD
// declares the length of the body a GET would get, and has none; the
// length is passed back, however large, and nothing is set aside for it.
func TestAHeadRequestPassesTheLengthOfTheBodyItHasNot(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", r.URL.Query().Get("length"))
	}))
	defer backend.Close()
	e := newEngine(t, `{"max_response_bytes":1000,"rules":[]}`, nil)
	for _, length := range []string{"10", "2000", "1000000000"} {
		var res *http.Response
		var body string
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		res, body = serve(e, backendRequest(t, "HEAD", backend.URL+"/?length="+length, "", nil))
		runtime.ReadMemStats(&after)
		if res.StatusCode != 200 || body != "" || res.Header.Get("Content-Length") != length {
			t.Errorf("HEAD of %s bytes: %d %q, Content-Length %q", length, res.StatusCode, body, res.Header.Get("Content-Length"))
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("HEAD of %s bytes allocated %d bytes", length, n)
		}
	}
}
