package rules

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// countingReader serves n bytes of JSON-ish filler and counts what was read.
type countingReader struct {
	left, read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), c.left)
	for i := range n {
		p[i] = ' '
	}
	c.left -= n
	c.read += n
	return n, nil
}

func TestABodyIsNeverReadPastTheBound(t *testing.T) {
	e := newEngine(t, `{"max_body_bytes":1024,"rules":[
		{"match":{"body":{"a":"x"}},"response":{}},
		{"match":{"body_json":{"a":"x"}},"response":{}},
		{"match":{"not":{"body":{"b":"*"}}},"response":{}}]}`, nil)
	for _, length := range []int64{-1, 10 << 20} { // unknown and declared
		src := &countingReader{left: 10 << 20}
		req := httptest.NewRequest("POST", "http://backend.invalid/", nil)
		req.Body, req.ContentLength = io.NopCloser(src), length
		x := &exchange{}
		x.reset(req, e.maxBody)
		if r := e.current.Load().find(x); r != nil {
			t.Fatalf("a body over the bound selected %s", r.name)
		}
		if length > 0 && src.read != 0 {
			t.Errorf("a body declared longer than the bound was read (%d bytes)", src.read)
		}
		if src.read > 1025 {
			t.Errorf("read %d bytes of a body bounded to 1024", src.read)
		}
	}
}

func TestDeeplyNestedBodies(t *testing.T) {
	backend := echoBackend(t)
	e := newEngine(t, `{"max_body_bytes":1048576,"rules":[
		{"name":"field","match":{"body":{"a.b":"x"}},"response":{"status":418}},
		{"name":"json","match":{"body_json":{"a":{"b":"x"}}},"response":{"status":419}},
		{"name":"tmpl","match":{"path":"/render"},"response":{"body":{"raw":"{{ bodyRaw \"a\" }}"}}}]}`, nil)
	for _, depth := range []int{10_000, 100_000} {
		nested := strings.Repeat(`{"a":`, depth) + `1` + strings.Repeat(`}`, depth)
		res, body := serve(e, backendRequest(t, "POST", backend.URL+"/x", nested, nil))
		if res.StatusCode != 200 {
			t.Fatalf("depth %d: status %d", depth, res.StatusCode)
		}
		if got := decodeEcho(t, body); got.Body != nested {
			t.Errorf("depth %d: the backend got %d bytes, want %d", depth, len(got.Body), len(nested))
		}
		res, _ = serve(e, backendRequest(t, "POST", backend.URL+"/render", nested, nil))
		if res.StatusCode != 200 {
			t.Errorf("depth %d: rendering answered %d", depth, res.StatusCode)
		}
		arrays := strings.Repeat(`[`, depth) + strings.Repeat(`]`, depth)
		if res, _ := serve(e, backendRequest(t, "POST", backend.URL+"/x", arrays, nil)); res.StatusCode != 200 {
			t.Errorf("depth %d arrays: status %d", depth, res.StatusCode)
		}
	}
}

func TestReplayIsByteForByte(t *testing.T) {
	payload := []byte("{\"a\":\"\xff\x00 binary \r\n\"}")
	for _, max := range []int64{1, 5, int64(len(payload)), 1 << 20} {
		var b requestBody
		b.reset(io.NopCloser(bytes.NewReader(payload)), -1, max)
		b.JSON()
		got, err := io.ReadAll(b.replay())
		if err != nil || !bytes.Equal(got, payload) {
			t.Errorf("max %d: replayed %q, %v", max, got, err)
		}
	}
	var b requestBody
	b.reset(nil, 0, 10)
	if _, ok := b.JSON(); ok || b.replay() != nil {
		t.Error("no body became a body")
	}
}

func TestConcurrentMixedLoad(t *testing.T) {
	backend := echoBackend(t)
	e := newEngine(t, `{"debug_header":true,"rules":[
		{"name":"static","match":{"path":"/static"},"response":{"body":{"ok":true}}},
		{"name":"templated","match":{"path":"/t/*"},"response":{"body":{"id":"{{ index .Segments 1 }}","n":"{{ counter }}"}}},
		{"name":"body","match":{"methods":["POST"],"body":{"kind":"mock"}},"response":{"body_template":"{{ bodyRaw \"kind\" }}"}},
		{"name":"seq","match":{"path":"/seq"},"responses":[{"status":201},{"status":202}]},
		{"name":"pass","delegate":{"request_headers":{"X-Rule":"{{ .Rule }}"}}}]}`, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := make(chan string, 100)
	done := make(chan struct{})
	for g := range 16 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 50 {
				if ctx.Err() != nil {
					return
				}
				var path, body, want string
				switch (g + i) % 5 {
				case 0:
					path, want = "/static", `{"ok":true}`
				case 1:
					path = "/t/" + string(rune('a'+i%26))
					want = `"id":"` + string(rune('a'+i%26)) + `"`
				case 2:
					path, body, want = "/b", `{"kind":"mock"}`, `"mock"`
				case 3:
					path, want = "/seq", ""
				case 4:
					path, body, want = "/pass", `{"kind":"real"}`, `"body":"{\"kind\":\"real\"}"`
				}
				res, got := serve(e, backendRequest(t, "POST", backend.URL+path, body, nil))
				if !strings.Contains(got, want) || (path == "/seq") != (res.StatusCode == 201 || res.StatusCode == 202) {
					errs <- path + ": " + res.Status + " " + got
					cancel()
				}
			}
		}()
	}
	for range 16 {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
