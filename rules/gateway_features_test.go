package rules

import (
	"context"
	"io"
	"krakend-rules/config"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestDelegateTo(t *testing.T) {
	main := echoBackend(t)
	canary := echoBackend(t)
	canaryHost := strings.TrimPrefix(canary.URL, "http://")
	e := newEngine(t, `{"rules":[
		{"name":"canary","match":{"headers":{"X-Tenant":"beta-*"}},"delegate":{"to":"`+canary.URL+`/v2/"}},
		{"name":"templated","match":{"headers":{"X-Target":"*"}},"delegate":{"to":"http://{{ .Header.Get \"X-Target\" }}"}},
		{"name":"bad","match":{"headers":{"X-Bad":"*"}},"delegate":{"to":"{{ .Header.Get \"X-Bad\" }}"}}]}`, nil)

	_, body := serve(e, backendRequest(t, "GET", main.URL+"/orders?x=1", "", http.Header{"X-Tenant": {"beta-1"}}))
	got := decodeEcho(t, body)
	if got.Path != "/v2/orders" || got.Query != "x=1" {
		t.Errorf("canary got %s?%s", got.Path, got.Query)
	}
	_, body = serve(e, backendRequest(t, "GET", main.URL+"/orders", "", http.Header{"X-Target": {canaryHost}}))
	if got := decodeEcho(t, body); got.Path != "/orders" || got.Header.Get("X-Target") != canaryHost {
		t.Errorf("templated target got %+v", got)
	}
	res, body := serve(e, backendRequest(t, "GET", main.URL+"/orders", "", http.Header{"X-Bad": {"/relative"}}))
	if res.StatusCode != 500 || body != `{"error":"delegate template failed","rule":"bad"}` {
		t.Errorf("a bad templated target: %d %s", res.StatusCode, body)
	}
}

func TestDelegateToSetsTheHost(t *testing.T) {
	var host string
	canary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { host = r.Host }))
	defer canary.Close()
	e := newEngine(t, `{"rules":[{"delegate":{"to":"`+canary.URL+`"}}]}`, nil)
	req := backendRequest(t, "GET", "http://original.invalid/x", "", nil)
	serve(e, req)
	if host != strings.TrimPrefix(canary.URL, "http://") {
		t.Errorf("the canary saw Host %q", host)
	}
}

func TestHeaderRemovalAndStatusMapping(t *testing.T) {
	var got http.Header
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("X-Internal", "secret")
		w.Header().Set("X-Kept", "yes")
		w.WriteHeader(http.StatusNotImplemented)
		io.WriteString(w, `{"todo":true}`)
	}))
	defer backend.Close()
	e := newEngine(t, `{"rules":[{"delegate":{
		"request_headers":{"X-Debug":null,"X-Added":"1"},
		"response_headers":{"X-Internal":null},
		"status":{"501":404}}}]}`, nil)
	req := backendRequest(t, "GET", backend.URL+"/", "", http.Header{"X-Debug": {"on"}, "X-Other": {"o"}})
	res, body := serve(e, req)
	if res.StatusCode != 404 || body != `{"todo":true}` {
		t.Errorf("got %d %s", res.StatusCode, body)
	}
	if res.Header.Get("X-Internal") != "" || res.Header.Get("X-Kept") != "yes" {
		t.Errorf("answer headers %v", res.Header)
	}
	if got.Get("X-Debug") != "" || got.Get("X-Added") != "1" || got.Get("X-Other") != "o" {
		t.Errorf("backend headers %v", got)
	}
	if req.Header.Get("X-Debug") != "on" {
		t.Error("the caller's header map lost a header")
	}
}

func TestFallback(t *testing.T) {
	status := http.StatusNotFound
	slow := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-slow:
			case <-r.Context().Done():
			}
			return
		}
		w.WriteHeader(status)
		io.WriteString(w, `{"real":true}`)
	}))
	defer backend.Close()
	defer close(slow)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := ln.Addr().String()
	ln.Close()

	e := newEngine(t, `{"debug_header":true,"rules":[{"name":"orders","delegate":{
		"timeout":"100ms",
		"status":{"404":410},
		"fallback":{"response":{"status":200,"body":{"mock":true,"path":"{{ .Path }}"}}}}}]}`, nil)
	tests := []struct {
		name, url, why string
	}{
		{"a 404 is replaced, before status mapping", backend.URL + "/o", "backend answered 404"},
		{"an unreachable backend", "http://" + down + "/o", "backend unreachable"},
		{"a backend slower than delegate.timeout", backend.URL + "/slow", "backend timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			res, body := serve(e, backendRequest(t, "GET", tt.url, "", nil))
			if res.StatusCode != 200 || !strings.HasPrefix(body, `{"mock":true`) {
				t.Errorf("got %d %s", res.StatusCode, body)
			}
			if got := res.Header.Get(DebugHeader); got != "orders (fallback: "+tt.why+")" {
				t.Errorf("%s = %q", DebugHeader, got)
			}
			if time.Since(start) > 3*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
		})
	}
	status = http.StatusOK // the real backend is ready: the mock retires itself
	res, body := serve(e, backendRequest(t, "GET", backend.URL+"/o", "", nil))
	if res.StatusCode != 200 || body != `{"real":true}` || res.Header.Get(DebugHeader) != "orders" {
		t.Errorf("a ready backend: %d %s %q", res.StatusCode, body, res.Header.Get(DebugHeader))
	}
	status = http.StatusGone // not in on_status: passed on
	if res, _ := serve(e, backendRequest(t, "GET", backend.URL+"/o", "", nil)); res.StatusCode != 410 {
		t.Errorf("a status outside on_status answered %d", res.StatusCode)
	}
}

func TestShadowLogsStructuralDifferences(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":1,"name":"real","items":[{"sku":"a","qty":2}],"extra":{}}`)
	}))
	defer backend.Close()
	log := &testLogger{}
	e := newEngine(t, `{"rules":[{"name":"orders","delegate":{"shadow":{"body":{
		"id":"{{ index .Segments 0 }}","name":"mock","items":[{"sku":"x","price":1}],"missing":true}}}}]}`, log)
	for range 5 {
		res, body := serve(e, backendRequest(t, "GET", backend.URL+"/7", "", nil))
		if res.StatusCode != 200 || !strings.HasPrefix(body, `{"id":1`) {
			t.Fatalf("the client did not get the real answer: %d %s", res.StatusCode, body)
		}
	}
	want := `rule "orders" shadow: the mock differs from the backend at $.extra (only in the backend); $.id (number in the backend, string in the mock); $.items[0].price (only in the mock); $.items[0].qty (only in the backend); $.missing (only in the mock)`
	deadline := time.Now().Add(5 * time.Second)
	for {
		log.mu.Lock()
		n := 0
		for _, l := range log.lines {
			if strings.Contains(l, "shadow:") {
				n++
			}
		}
		log.mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			if n != 1 {
				t.Errorf("%d shadow lines for 5 requests within the rate limit, want 1", n)
			}
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	log.contains(t, "WARNING", want)
}

func TestJSONDifferences(t *testing.T) {
	tests := []struct{ real, mock, want string }{
		{`{"a":1}`, `{"a":2}`, ``},
		{`{"a":[1,2]}`, `{"a":[3]}`, ``},
		{`{"a":null}`, `{"a":{}}`, `$.a (null in the backend, object in the mock)`},
		{`[{"a":1}]`, `[{"b":1}]`, `$[0].a (only in the backend)|$[0].b (only in the mock)`},
		{`not json`, `{}`, `$ (the backend's answer is not JSON, or nests deeper than max_body_depth)`},
		{`{}`, `{`, `$ (the mock is not JSON, or nests deeper than max_body_depth)`},
	}
	for _, tt := range tests {
		if got := strings.Join(jsonDifferences([]byte(tt.real), []byte(tt.mock), config.DefaultMaxBodyDepth), "|"); got != tt.want {
			t.Errorf("%s vs %s: got %q, want %q", tt.real, tt.mock, got, tt.want)
		}
	}
}

// writeFile replaces a file atomically, as editors and deploy tools do.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestRulesFile drives the polls of a rules_file itself, one by one.
func TestRulesFile(t *testing.T) {
	backend := echoBackend(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.json")
	log := &testLogger{}
	e := loadWithRulesFile(t, `{"rules_file":`+strconv.Quote(path)+`,
		"rules":[{"name":"inline","match":{"path":"/inline"},"response":{"body":{"from":"inline"}}}]}`, log)
	get := func(p string) (int, string) {
		res, body := serve(e, backendRequest(t, "GET", backend.URL+p, "", nil))
		return res.StatusCode, body
	}

	// Missing at start-up: fail closed.
	if status, body := get("/inline"); status != 500 || body != `{"error":"krakend-rules: invalid configuration"}` {
		t.Errorf("a missing rules_file: %d %s", status, body)
	}
	log.contains(t, "ERROR", "cannot be read")

	writeFile(t, path, `{"rules":[{"name":"file","match":{"path":"/file"},"response":{"body":{"v":1}}}]}`)
	poll(t, e)
	if _, body := get("/file"); body != `{"v":1}` {
		t.Errorf("a valid rules_file: %s", body)
	}
	if _, body := get("/inline"); body != `{"from":"inline"}` {
		t.Errorf("inline rules lost: %s", body)
	}
	log.contains(t, "INFO", `2 rules loaded (with rules_file "`+path+`"): inline, file`)

	// An invalid edit is rejected, with its location; the rules stay.
	writeFile(t, path, `{"rules":[{"name":"file","match":{"path":"/file/[a-"},"response":{"body":{"v":2}}}]}`)
	poll(t, e)
	if _, body := get("/file"); body != `{"v":1}` {
		t.Errorf("an invalid rules_file replaced the rules: %s", body)
	}
	log.contains(t, "ERROR", `invalid configuration: rules_file(`+path+`).rules[0].match.path: bad glob "/file/[a-"`)
	log.contains(t, "ERROR", "the rules in force stay")

	writeFile(t, path, `{"rules":[`)
	poll(t, e)
	log.contains(t, "ERROR", "not valid JSON at line 1, column 11")

	writeFile(t, path, `{"rules":[{"name":"inline","response":{}}]}`)
	poll(t, e)
	log.contains(t, "ERROR", `rules_file(`+path+`).rules[0].name: duplicate rule name "inline" (also rules[0])`)

	writeFile(t, path, `{"rules":[{"name":"file","match":{"path":"/file"},"response":{"body":{"v":3}}}]}`)
	poll(t, e)
	if _, body := get("/file"); body != `{"v":3}` {
		t.Errorf("a valid rules_file again: %s", body)
	}
}

// TestRulesFileSwapsAtomicallyUnderLoad runs the real poller, every 100ms,
// while requests flow.
func TestRulesFileSwapsAtomicallyUnderLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.json")
	version := func(v int) string {
		// Two rules of one version: a request must never see one of each.
		return `{"rules":[
			{"name":"a","match":{"path":"/a"},"response":{"headers":{"X-V":"` + strconv.Itoa(v) + `"},"body":{"v":` + strconv.Itoa(v) + `}}},
			{"name":"b","match":{"path":"/a"},"response":{"status":500}}]}`
	}
	writeFile(t, path, version(0))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, err := New(ctx, decodeJSON(t, `{"rules_file":`+strconv.Quote(path)+`,"reload_interval":"100ms"}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var failures, seen atomic.Int64
	versions := sync.Map{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/a", "", nil))
				seen.Add(1)
				if res.StatusCode != 200 || body != `{"v":`+res.Header.Get("X-V")+`}` {
					failures.Add(1)
				}
				versions.Store(body, true)
			}
		}()
	}
	for v := 1; v <= 5; v++ {
		time.Sleep(150 * time.Millisecond)
		writeFile(t, path, version(v))
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failures.Load() != 0 {
		t.Errorf("%d of %d requests failed or saw a mix of versions", failures.Load(), seen.Load())
	}
	n := 0
	versions.Range(func(_, _ any) bool { n++; return true })
	if _, ok := versions.Load(`{"v":5}`); !ok || n < 3 {
		t.Errorf("saw %d versions; the last one seen: %v", n, ok)
	}
}
