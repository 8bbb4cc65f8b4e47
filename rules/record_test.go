package rules

import (
	"bytes"
	"container/list"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"krakend-rules/config"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gobwas/glob"
)

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	s := httptest.NewServer(http.NotFoundHandler())
	addr := s.Listener.Addr().String()
	s.Close()
	return addr
}

// waitFor polls cond for up to 10 seconds: for what a goroutine does on
// its own once a test has set it going.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("the condition never held")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLiteralGlobMatchesOnlyItself checks that a recorded path or value,
// glob characters and all, matches itself and nothing else.
func TestLiteralGlobMatchesOnlyItself(t *testing.T) {
	values := []string{"/orders/7", "/a*b/c?d", "/[x]/{a,b}/\\", "!negated", "~regexp", "a-b^c,d", "", "/**", "/odd space/é",
		"num:abc", "num:5", "len:3", "time:now", "i:abcd", "!num:1"} // a value that reads as a comparison stays a literal
	for _, v := range values {
		for _, c := range []struct {
			name string
			kind string
		}{{"path", "path"}, {"value", "value"}} {
			compiler := valueGlobs
			if c.kind == "path" {
				compiler = pathGlobs
			}
			p, err := compilePattern(compiler, literalGlob(v))
			if err != nil {
				t.Errorf("%s %q: %v", c.name, v, err)
				continue
			}
			if !p.matchOne(v) {
				t.Errorf("%s %q: the pattern %q does not match it", c.name, v, literalGlob(v))
			}
			for _, other := range []string{v + "x", "x" + v, strings.ToUpper(v) + "Z", "/orders/8", "abcd"} {
				if other != v && p.matchOne(other) {
					t.Errorf("%s %q: the pattern %q also matches %q", c.name, v, literalGlob(v), other)
				}
			}
		}
	}
}

// TestRecordedComparisonLikeValuesLoad: a request whose keyed query value
// reads as a comparison ("num:abc") is recorded as a literal: before, it
// was written as the pattern num:abc, and the record file (and the
// backend with it) failed to load at the next start.
func TestRecordedComparisonLikeValuesLoad(t *testing.T) {
	backend, _ := recordBackend(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"ok":true}`) })
	file := filepath.Join(t.TempDir(), "recorded.json")
	cfg := `{"rules":[{"name":"rec","delegate":{"record":{"file":` + strconv.Quote(file) + `,"key":{"query":["q"]}}}}]}`
	e := newEngine(t, cfg, nil)
	for _, q := range []string{"num:abc", "i:x", "len:3"} {
		serve(e, backendRequest(t, "GET", backend.URL+"/x?q="+url.QueryEscape(q), "", nil))
	}
	recordFileOf(t, file).flush()
	content, _ := os.ReadFile(file)
	if _, err := config.DecodeRulesFile(file, content); err != nil {
		t.Fatalf("the record file does not decode: %v", err)
	}
	replay := newEngine(t, `{"rules_file":`+strconv.Quote(file)+`}`, nil) // answers 500 if it did not load
	for _, q := range []string{"num:abc", "i:x", "len:3", "I:X"} {
		res, body := serve(replay, backendRequest(t, "GET", "http://backend.invalid/x?q="+url.QueryEscape(q), "", nil))
		if recorded := res.StatusCode == 200 && body == `{"ok":true}`; recorded != (q != "I:X") {
			t.Errorf("q=%s: %d %s", q, res.StatusCode, body)
		}
	}
}

// TestEscapedTemplatesRenderTheText checks that recorded text with template
// delimiters is served as it was, through body_template and headers.
func TestEscapedTemplatesRenderTheText(t *testing.T) {
	for _, text := range []string{`{{ .Path }}`, `{{"{{"}}`, `a{{{b}}}c`, `}}{{`, `plain`} {
		var errs config.Errors
		r := compileResponse(&errs, nil, &config.Response{Status: 200, BodyTemplate: escapeTemplate(text), HasBodyTemplate: true,
			Headers: map[string]config.HeaderValues{"X-T": {escapeTemplate(text)}}}, newLogger(nil, "t"))
		if err := errs.Err(); err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		w := httptest.NewRecorder()
		x := &exchange{}
		x.reset(httptest.NewRequest("GET", "/p", nil), bodyLimits{bytes: 10, depth: 10})
		r.serve(w, x)
		if got := w.Body.String(); got != text {
			t.Errorf("body %q renders as %q", text, got)
		}
		if got := w.Header().Get("X-T"); got != text {
			t.Errorf("header %q renders as %q", text, got)
		}
	}
}

// recordBackend answers what its handler says, counting requests.
func recordBackend(t *testing.T, handler http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	return s, &n
}

func readRecordFile(t *testing.T, path string) []recordedRule {
	t.Helper()
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Rules []recordedRule }
	if err := json.Unmarshal(content, &f); err != nil {
		t.Fatalf("%v\n%s", err, content)
	}
	return f.Rules
}

func recordFileOf(t *testing.T, path string) *recordFile {
	t.Helper()
	abs, _ := filepath.Abs(path)
	recordFiles.Lock()
	defer recordFiles.Unlock()
	f := recordFiles.byPath[abs]
	if f == nil {
		t.Fatalf("%s is not open", path)
	}
	return f
}

// TestRecordAndReplay records answers keyed by query, header and body, and
// checks the file: sensitive headers absent, one rule per key, the newest
// answer of a key in place of the older; then a second engine serves the
// file as its rules_file with the backend stopped.
func TestRecordAndReplay(t *testing.T) {
	var version atomic.Int64
	backend, _ := recordBackend(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("ETag", `"v`+strconv.FormatInt(version.Load(), 10)+`"`)
		h.Set("Set-Cookie", "session=secret")
		h.Set("Authorization", "Bearer secret")
		h.Set("X-Secret", "secret")
		h.Set("X-Api-Key", "secret")
		if r.URL.Path == "/text" {
			h.Set("Content-Type", "text/plain")
			fmt.Fprintf(w, "plain {{ .Path }} text %d", version.Load())
			return
		}
		fmt.Fprintf(w, `{"path":%q,"page":%q,"tenant":%q,"body":%q,"v":%d,"big":12345678901234567890}`,
			r.URL.Path, r.URL.Query().Get("page"), r.Header.Get("X-Tenant"), body, version.Load())
	})
	file := filepath.Join(t.TempDir(), "recorded.json")
	e := newEngine(t, `{"label":"record-test","rules":[{"name":"rec","delegate":{"record":{"file":`+strconv.Quote(file)+`,
		"key":{"query":["page"],"headers":["X-Tenant"],"body":true},
		"headers":["Content-Type","ETag","Set-Cookie","Authorization","X-Secret","Cookie"],"exclude_headers":["X-Secret","X-Api-Key"]}}}]}`, nil)
	send := func(method, target, tenant, body string) string {
		h := http.Header{}
		if tenant != "" {
			h.Set("X-Tenant", tenant)
		}
		_, got := serve(e, backendRequest(t, method, backend.URL+target, body, h))
		return got
	}
	send("GET", "/orders/7?page=2", "acme", "")
	send("GET", "/orders/7?page=3", "acme", "")
	send("GET", "/orders/7", "", "")
	version.Store(1)
	newest := send("GET", "/orders/7?page=2", "acme", "") // replaces the first
	send("POST", "/orders", "", `{"b":1, "a":[1,2]}`)
	send("GET", "/text", "", "")
	recordFileOf(t, file).flush()

	rules := readRecordFile(t, file)
	if len(rules) != 5 {
		t.Fatalf("%d rules recorded, want 5: %+v", len(rules), rules)
	}
	content, _ := os.ReadFile(file)
	if strings.Contains(string(content), "secret") {
		t.Errorf("a sensitive or excluded header was written:\n%s", content)
	}
	if rules[0].Match.Path != "/text" || rules[2].Name != `GET /orders/7 query:page="2" header:X-Tenant="acme"` {
		t.Errorf("not newest first, or badly named: %q, %q", rules[0].Match.Path, rules[2].Name)
	}
	if got := fmt.Sprint(rules[2].Response.Headers["Etag"]) + fmt.Sprint(rules[2].Response.Headers["ETag"]); strings.ReplaceAll(got, "<nil>", "") != `"v1"` {
		t.Errorf("the newest ETag is not the one recorded: %q (%v)", got, rules[2].Response.Headers)
	}
	if rules[0].Response.BodyTemplate == nil || rules[2].Response.BodyTemplate == nil {
		t.Errorf("text, and JSON whose numbers a float cannot hold, are recorded verbatim: %+v", rules)
	}
	var compact bytes.Buffer
	json.Compact(&compact, rules[1].Match.BodyJSON)
	if compact.String() != `{"a":[1,2],"b":1}` {
		t.Errorf("the body key is %s", rules[1].Match.BodyJSON)
	}
	if _, err := config.DecodeRulesFile(file, content); err != nil {
		t.Fatalf("the record file is not a valid rules_file: %v", err)
	}

	backend.Close()
	replay := newEngine(t, `{"label":"replay-test","rules_file":`+strconv.Quote(file)+`}`, nil)
	for _, c := range []struct {
		method, target, tenant, body, want string
	}{
		{"GET", "/orders/7?page=2", "acme", "", newest},
		{"GET", "/orders/7", "", "", `{"path":"/orders/7","page":"","tenant":"","body":"","v":0,"big":12345678901234567890}`},
		{"POST", "/orders", "", `{"a":[1,2],"b":1}`, `{"path":"/orders","page":"","tenant":"","body":"{\"b\":1, \"a\":[1,2]}","v":1,"big":12345678901234567890}`},
		{"GET", "/text", "", "", "plain {{ .Path }} text 1"},
	} {
		h := http.Header{}
		if c.tenant != "" {
			h.Set("X-Tenant", c.tenant)
		}
		res, got := serve(replay, backendRequest(t, c.method, backend.URL+c.target, c.body, h))
		if got != c.want {
			t.Errorf("replayed %s %s: %d %s\nwant %s", c.method, c.target, res.StatusCode, got, c.want)
		}
	}
	res, _ := serve(replay, backendRequest(t, "GET", backend.URL+"/orders/7?page=9", "", http.Header{"X-Tenant": {"acme"}}))
	if res.StatusCode != http.StatusBadGateway {
		t.Errorf("a key never recorded is delegated (and the backend is gone): got %d", res.StatusCode)
	}
}

// TestRecordedFallback answers from the last recording when the backend
// fails or answers one of on_status, and otherwise from the fallback's
// response or the backend itself.
func TestRecordedFallback(t *testing.T) {
	var status atomic.Int64
	status.Store(200)
	backend, _ := recordBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(status.Load()))
		fmt.Fprintf(w, `{"path":%q,"status":%d}`, r.URL.Path, status.Load())
	})
	dir := t.TempDir()
	cfg := func(label, fallbackResponse string) string {
		fb := `{"recorded":true,"on_status":[404,503]` + fallbackResponse + `}`
		return `{"label":"` + label + `","debug_header":true,"rules":[{"name":"snap","delegate":{"timeout":"1s",
			"record":{"file":` + strconv.Quote(filepath.Join(dir, label+".json")) + `},"fallback":` + fb + `}}]}`
	}
	only := newEngine(t, cfg("snapshot-only", ""), nil)
	withResponse := newEngine(t, cfg("snapshot-and-response", `,"response":{"status":200,"body":{"mock":true}}`), nil)
	get := func(e *Engine, path string) (*http.Response, string) {
		return serve(e, backendRequest(t, "GET", backend.URL+path, "", nil))
	}

	res, body := get(only, "/a")
	if body != `{"path":"/a","status":200}` {
		t.Fatalf("recording: %s", body)
	}
	status.Store(503)
	res, body = get(only, "/a")
	if body != `{"path":"/a","status":200}` || res.Header.Get(DebugHeader) != "snap (fallback: backend answered 503, recorded answer)" {
		t.Errorf("503 with a recording: %s (%s)", body, res.Header.Get(DebugHeader))
	}
	res, body = get(only, "/never")
	if res.StatusCode != 503 || body != `{"path":"/never","status":503}` {
		t.Errorf("503 without a recording nor a response: the backend's own answer, got %d %s", res.StatusCode, body)
	}
	status.Store(404)
	get(only, "/missing")
	res, body = get(only, "/missing") // a status of on_status is not recorded
	if res.StatusCode != 404 || res.Header.Get(DebugHeader) != "snap" {
		t.Errorf("a 404 of on_status, passed back, was recorded: %d %s (%s)", res.StatusCode, body, res.Header.Get(DebugHeader))
	}
	_, body = get(withResponse, "/never")
	if body != `{"mock":true}` {
		t.Errorf("503 without a recording: the fallback's response, got %s", body)
	}
	status.Store(200)
	get(only, "/a") // nothing new
	backend.Close()
	res, body = get(only, "/a")
	if res.StatusCode != 200 || body != `{"path":"/a","status":200}` || !strings.Contains(res.Header.Get(DebugHeader), "recorded answer") {
		t.Errorf("backend down with a recording: %d %s (%s)", res.StatusCode, body, res.Header.Get(DebugHeader))
	}
	res, _ = get(only, "/never")
	if res.StatusCode != http.StatusBadGateway {
		t.Errorf("backend down without a recording nor a response: got %d", res.StatusCode)
	}
}

// TestRecordBounds drops the oldest recordings past max_entries and
// max_bytes, and records nothing larger than max_bytes alone.
func TestRecordBounds(t *testing.T) {
	size := 10
	backend, _ := recordBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, strings.Repeat("x", size))
	})
	dir := t.TempDir()
	entries := filepath.Join(dir, "entries.json")
	e := newEngine(t, `{"rules":[{"name":"bounded","delegate":{"record":{"file":`+strconv.Quote(entries)+`,"max_entries":2}}}]}`, nil)
	for _, p := range []string{"/1", "/2", "/3"} {
		serve(e, backendRequest(t, "GET", backend.URL+p, "", nil))
	}
	recordFileOf(t, entries).flush()
	rules := readRecordFile(t, entries)
	if len(rules) != 2 || rules[0].Match.Path != "/3" || rules[1].Match.Path != "/2" {
		t.Errorf("max_entries 2 keeps /3 and /2: %+v", rules)
	}

	bytesFile := filepath.Join(dir, "bytes.json")
	e = newEngine(t, `{"rules":[{"name":"bounded","delegate":{"record":{"file":`+strconv.Quote(bytesFile)+`,"max_bytes":400}}}]}`, nil)
	for _, p := range []string{"/1", "/2", "/3", "/4"} {
		serve(e, backendRequest(t, "GET", backend.URL+p, "", nil))
	}
	f := recordFileOf(t, bytesFile)
	f.flush()
	content, _ := os.ReadFile(bytesFile)
	rules = readRecordFile(t, bytesFile)
	if len(content) > 400 || len(rules) != 2 || rules[0].Match.Path != "/4" || rules[1].Match.Path != "/3" {
		t.Errorf("max_bytes 400 keeps /4 and /3 (about 150 bytes each): %d bytes, %d rules:\n%s", len(content), len(rules), content)
	}
	size = 800 // larger than max_bytes alone
	serve(e, backendRequest(t, "GET", backend.URL+"/big", "", nil))
	if f.answer("GET /big") != nil {
		t.Error("an answer larger than max_bytes was recorded")
	}
}

// TestRecordFileIsLoadedAtStart serves a recording from an earlier run.
func TestRecordFileIsLoadedAtStart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "earlier.json")
	os.WriteFile(file, []byte(`{"rules": [
  {"name": "GET /x", "match": {"path": "/x", "methods": ["GET"]}, "response": {"status": 200, "headers": {"Content-Type": "application/json"}, "body": {"earlier": true}}}
]}`), 0o644)
	e := newEngine(t, `{"rules":[{"name":"r","delegate":{"record":{"file":`+strconv.Quote(file)+`},"fallback":{"recorded":true}}}]}`, nil)
	_, body := serve(e, backendRequest(t, "GET", "http://"+closedPort(t)+"/x", "", nil))
	if body != `{"earlier":true}` {
		t.Errorf("the recording of an earlier run: %s", body)
	}
	os.WriteFile(filepath.Join(filepath.Dir(file), "bad.json"), []byte(`{"rules": [{"name": "x", "delegate": {}}]}`), 0o644)
	_, err := New(context.Background(), decodeJSON(t, `{"rules":[{"delegate":{"record":{"file":`+strconv.Quote(filepath.Join(filepath.Dir(file), "bad.json"))+`}}}]}`), Options{})
	if err == nil || !strings.Contains(err.Error(), "rules[0].delegate.record.file: is not a valid record file") || !strings.Contains(err.Error(), "rules[0]: a record file holds named rules with a response") {
		t.Errorf("a record file with a delegate rule: %v", err)
	}
}

// TestRecordFileWritesAreAtomic reads the file while it is rewritten over
// and over: every read is a whole file.
func TestRecordFileWritesAreAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "atomic.json")
	f := &recordFile{path: path, maxEntries: 1000, maxBytes: 1 << 20, log: newLogger(nil, "t"),
		entries: map[string]*list.Element{}, order: list.New(), wake: make(chan struct{}, 1)}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			rule := recordedRule{Name: "GET /" + strconv.Itoa(i), Match: recordedMatch{Path: "/" + strconv.Itoa(i), Methods: []string{"GET"}},
				Response: recordedResponse{Status: 200, Body: json.RawMessage(`"` + strings.Repeat("y", 4000) + `"`)}}
			encoded, _ := json.MarshalIndent(rule, "  ", "  ")
			f.put(&recordEntry{name: rule.Name, encoded: encoded})
			f.flush()
		}
	}()
	writes := func() int {
		f.writeMu.Lock()
		defer f.writeMu.Unlock()
		return f.writes
	}
	reads := 0
	deadline := time.Now().Add(30 * time.Second)
	for writes() < 20 && time.Now().Before(deadline) {
		content, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue
		}
		reads++
		if _, err := config.DecodeRulesFile(path, content); err != nil {
			t.Fatalf("read %d: a partial file (%d bytes): %v", reads, len(content), err)
		}
	}
	close(stop)
	wg.Wait()
	if f.writes < 20 || reads == 0 {
		t.Errorf("%d writes, %d reads in 30 s", f.writes, reads)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// TestRecordFileIsWrittenWhenTheContextEnds stops an engine and finds its
// recording on disk.
func TestRecordFileIsWrittenWhenTheContextEnds(t *testing.T) {
	backend, _ := recordBackend(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"ok":true}`) })
	path := filepath.Join(t.TempDir(), "stop.json")
	ctx, cancel := context.WithCancel(context.Background())
	e, err := New(ctx, decodeJSON(t, `{"rules":[{"delegate":{"record":{"file":`+strconv.Quote(path)+`}}}]}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	serve(e, backendRequest(t, "GET", backend.URL+"/s", "", nil))
	f := recordFileOf(t, path)
	f.writer.mu.Lock()
	stopped := f.writer.stop
	f.writer.mu.Unlock()
	cancel()
	<-stopped // the writer's stop: it writes what it has as it ends
	waitFor(t, func() bool {
		f.writeMu.Lock()
		defer f.writeMu.Unlock()
		return f.writes > 0
	})
	if rules := readRecordFile(t, path); len(rules) != 1 || rules[0].Name != "GET /s" {
		t.Errorf("written at stop: %+v", rules)
	}
}

// FuzzLiteralGlob: whatever a path or value holds, its literal pattern
// compiles, matches it, and does not match it with a byte more.
func FuzzLiteralGlob(f *testing.F) {
	for _, s := range []string{"/orders/7", "/a*b?[c]{d,e}\\", "!x", "~y", "", "/**/", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip("a key that is not UTF-8 is not recorded")
		}
		for _, c := range []glob.Compiler{pathGlobs, valueGlobs} {
			p, err := compilePattern(c, literalGlob(s))
			if err != nil {
				t.Fatalf("%q: %v", s, err)
			}
			if !p.matchOne(s) || p.matchOne(s+"x") || p.matchOne("x"+s) {
				t.Fatalf("%q: the literal pattern %q matches wrongly", s, literalGlob(s))
			}
		}
	})
}

// BenchmarkDelegateRecording delegates with and without a record of a
// 1 KiB JSON answer: what recording adds to a delegation.
func BenchmarkDelegateRecording(b *testing.B) {
	answer := `{"id":1,"pad":"` + strings.Repeat("x", 1000) + `"}`
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, answer)
	}))
	defer backend.Close()
	file := filepath.Join(b.TempDir(), "bench.json")
	for _, c := range []struct{ name, delegate string }{
		{"record=none", `{}`},
		{"record=file", `{"record":{"file":` + strconv.Quote(file) + `,"key":{"query":["page"]}}}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			e, err := New(context.Background(), decodeJSON(b, `{"rules":[{"name":"d","delegate":`+c.delegate+`}]}`), Options{})
			if err != nil {
				b.Fatal(err)
			}
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				req, _ := http.NewRequest("GET", backend.URL+"/orders/1?page=2", nil)
				e.ServeHTTP(w, req)
				if w.code != 200 {
					b.Fatal(w.code)
				}
			}
		})
	}
}

// TestJSONReplaysExactly tells which JSON bodies a "body" replays with the
// same meaning.
func TestJSONReplaysExactly(t *testing.T) {
	for body, want := range map[string]bool{
		`{"a":1.1,"b":[1.10,-0.5,1.5e3,0]}`:               true,
		`{"id":9007199254740993}`:                         false, // 2^53+1: a float64 rounds it
		`{"id":123456789012345}`:                          true,
		`[12345678901234567890]`:                          false,
		`{"n":1e400}`:                                     false,
		`{"s":"12345678901234567890"}`:                    true, // a string
		`{"s":"\"12345678901234567890 \\\" 1e400"}`:       true, // escapes inside a string
		`{"t":"{{ .Path }}"}`:                             false,
		`not json`:                                        false,
		`{"a":0.30000000000000004,"b":0.1}`:               true,
		`{"a":0.300000000000000040000000000000000000001}`: false,
	} {
		if got := jsonReplaysExactly([]byte(body)); got != want {
			t.Errorf("%s: %v, want %v", body, got, want)
		}
	}
}

// TestJSONReplaysExactlyIsLinear: a hostile backend's answer of numbers a
// float64 cannot hold (1e-999999: a big.Rat of 10^999999, 50 ms each) or
// of a million digits is judged in time and memory linear in its size.
func TestJSONReplaysExactlyIsLinear(t *testing.T) {
	for _, tc := range []struct {
		body string
		want bool
	}{
		{"[" + strings.Repeat("1e-999999,", 20) + "0]", false},
		{"[-0.0e-999999,0e999999,0.000]", true},
		{"[0." + strings.Repeat("1", 200000) + "]", false},
		{"[1." + strings.Repeat("0", 200000) + "]", false}, // 1 padded: kept as text, which is exact too
	} {
		body := []byte(tc.body)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got := jsonReplaysExactly(body)
		runtime.ReadMemStats(&after)
		if got != tc.want {
			t.Errorf("%.40s…: %v, want %v", tc.body, got, tc.want)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<10 {
			t.Errorf("%.40s…: allocated %d bytes for a %d-byte body", tc.body, alloc, len(tc.body))
		}
	}
}

// FuzzRecordFile: any bytes found as a record file at start load, or are
// a located problem; never a panic. What loads is written back as a valid
// rules_file.
func FuzzRecordFile(f *testing.F) {
	f.Add([]byte(`{"rules": [{"name":"GET /x","match":{"path":"/x","methods":["GET"]},"response":{"status":200,"body":{"a":1}}}]}`))
	f.Add([]byte(`{"rules": [{"name":"x","delegate":{}}]}`))
	f.Add([]byte(`{"rules": [{"name":"t","response":{"body_template":"{{ .Path }"}}]}`))
	f.Add([]byte(`{"$schema":"x","rules":[]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, content []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "r.json")
		os.WriteFile(path, content, 0o644)
		file, problem := openRecordFile(&config.Record{File: path, MaxEntries: 3, MaxBytes: 1 << 20}, newLogger(nil, "fuzz"))
		recordFiles.Lock()
		delete(recordFiles.byPath, path)
		recordFiles.Unlock()
		if problem != "" {
			if file != nil {
				t.Fatal("a problem and a file")
			}
			return
		}
		file.mu.Lock()
		out := file.content()
		file.mu.Unlock()
		if _, err := config.DecodeRulesFile(path, out); err != nil {
			t.Fatalf("loaded %q, written back %q: %v", content, out, err)
		}
	})
}

// TestRecordKeepsBinaryBodiesAndHeaderLines records a binary answer as
// body_base64 and a header sent twice as two lines, and replays both byte
// for byte, from the file and as the snapshot fallback.
func TestRecordKeepsBinaryBodiesAndHeaderLines(t *testing.T) {
	png := []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0xff, 0xfe}
	var down atomic.Bool
	backend, _ := recordBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Header()["Link"] = []string{"</a>; rel=next", "</b>; rel=last"}
		w.Write(png)
	})
	file := filepath.Join(t.TempDir(), "binary.json")
	e := newEngine(t, `{"label":"record-binary","rules":[{"delegate":{"record":{"file":`+strconv.Quote(file)+`,
		"headers":["Content-Type","Link"]},"fallback":{"recorded":true,"on_status":[503]}}}]}`, nil)
	if _, got := serve(e, backendRequest(t, "GET", backend.URL+"/logo.png", "", nil)); got != string(png) {
		t.Fatalf("delegated %q", got)
	}
	recordFileOf(t, file).flush()
	rules := readRecordFile(t, file)
	if len(rules) != 1 || rules[0].Response.BodyBase64 == "" {
		t.Fatalf("recorded %+v", rules)
	}
	check := func(what string, res *http.Response, got string) {
		t.Helper()
		if got != string(png) || res.Header.Get("Content-Type") != "image/png" || !slices.Equal(res.Header["Link"], []string{"</a>; rel=next", "</b>; rel=last"}) {
			t.Errorf("%s: %d %q %v", what, res.StatusCode, got, res.Header)
		}
	}
	down.Store(true)
	res, got := serve(e, backendRequest(t, "GET", backend.URL+"/logo.png", "", nil))
	check("snapshot fallback", res, got)
	replay := newEngine(t, `{"label":"replay-binary","rules_file":`+strconv.Quote(file)+`}`, nil)
	res, got = serve(replay, backendRequest(t, "GET", backend.URL+"/logo.png", "", nil))
	check("replay", res, got)
}
