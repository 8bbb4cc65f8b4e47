package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"krakend-rules/config"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// decodeJSON turns a JSON text into what a gateway hands a plugin: maps,
// slices, strings, bools and float64 numbers.
func decodeJSON(t testing.TB, text string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("bad test config: %v\n%s", err, text)
	}
	return v
}

func newEngine(t testing.TB, config string, log Logger) *Engine {
	t.Helper()
	e, err := New(context.Background(), decodeJSON(t, config), Options{Logger: log})
	if err != nil {
		t.Fatalf("config rejected: %v", err)
	}
	return e
}

// backendRequest builds a request the way Lura builds the one it hands a
// client plugin: http.NewRequest with the backend URL.
func backendRequest(t testing.TB, method, url, body string, header http.Header) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[http.CanonicalHeaderKey(k)] = v
	}
	return req
}

// serve runs a request through the engine as Lura does: into a recorder,
// returning the recorder's Result.
func serve(e http.Handler, req *http.Request) (*http.Response, string) {
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	res := w.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// testLogger records log lines by level.
type testLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *testLogger) add(level string, v []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, level+": "+strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}

func (l *testLogger) Debug(v ...any)   { l.add("DEBUG", v) }
func (l *testLogger) Info(v ...any)    { l.add("INFO", v) }
func (l *testLogger) Warning(v ...any) { l.add("WARNING", v) }
func (l *testLogger) Error(v ...any)   { l.add("ERROR", v) }

func (l *testLogger) contains(t *testing.T, level, text string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.HasPrefix(line, level+": ") && strings.Contains(line, text) {
			return
		}
	}
	t.Errorf("no %s log line contains %q; lines:\n%s", level, text, strings.Join(l.lines, "\n"))
}

// echoBackend answers 200 with a JSON description of the request it got.
func echoBackend(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"backend": true,
			"method":  r.Method,
			"path":    r.URL.Path,
			"query":   r.URL.RawQuery,
			"header":  r.Header,
			"body":    string(body),
			"length":  r.ContentLength,
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

type echoed struct {
	Backend bool
	Method  string
	Path    string
	Query   string
	Header  http.Header
	Body    string
	Length  int64
}

func decodeEcho(t *testing.T, body string) echoed {
	t.Helper()
	var e echoed
	if err := json.Unmarshal([]byte(body), &e); err != nil || !e.Backend {
		t.Fatalf("not an answer of the echo backend: %v: %s", err, body)
	}
	return e
}

// loadWithRulesFile loads a configuration as New does, without starting the
// poller: tests call reloadRulesFile themselves, for a poll. It must not
// block, whatever the rules_file is.
func loadWithRulesFile(t *testing.T, text string, log Logger) *Engine {
	t.Helper()
	cfg, err := config.Decode(decodeJSON(t, text))
	if err != nil {
		t.Fatal(err)
	}
	var e *Engine
	within(t, "loading "+text, func() { e, err = Compile(cfg, Options{Logger: log}) })
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// within runs fn and stops the whole test binary if it has not returned
// after 10 seconds: a read that blocks (a named pipe) or never ends
// (/dev/zero, which would fill the memory meanwhile) must fail, not hang.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		panic(t.Name() + ": " + what + " did not return within 10s")
	}
}

// poll is one poll of the rules_file.
func poll(t *testing.T, e *Engine) {
	t.Helper()
	within(t, "a poll", e.reloadRulesFile)
}

// answer is the body the engine answers for path.
func answer(t *testing.T, e *Engine, path string) string {
	t.Helper()
	res, body := serve(e, backendRequest(t, "GET", "http://backend.invalid"+path, "", nil))
	return strconv.Itoa(res.StatusCode) + " " + body
}

func fileRules(v string) string {
	return `{"rules":[{"name":"file","match":{"path":"/file"},"response":{"body":{"v":"` + v + `"}}}]}`
}
