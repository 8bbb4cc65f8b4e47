package rules

import (
	"bytes"
	"context"
	"io"
	"krakend-rules/config"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
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
		x.reset(req, e.bodyLimits)
		if r := e.current.Load().find(x); r != nil {
			t.Fatalf("a body over the bound selected %s", x.set.name(r))
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
		b.reset(io.NopCloser(bytes.NewReader(payload)), -1, bodyLimits{max, config.DefaultMaxBodyDepth})
		b.JSON()
		got, err := io.ReadAll(b.replay())
		if err != nil || !bytes.Equal(got, payload) {
			t.Errorf("max %d: replayed %q, %v", max, got, err)
		}
	}
	var b requestBody
	b.reset(nil, 0, bodyLimits{10, config.DefaultMaxBodyDepth})
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

// TestABodyOfMaxPlusOneBytesIsNeverEvaluated: a reader may hand over the
// last bytes together with io.EOF (chunked bodies do), and a body one byte
// over the bound is still not evaluated, declared or not.
func TestABodyOfMaxPlusOneBytesIsNeverEvaluated(t *testing.T) {
	const max = 64
	e := newEngine(t, `{"max_body_bytes":64,"rules":[
		{"name":"field","match":{"body":{"a":"x*"}},"response":{"status":418}},
		{"name":"json","match":{"body_json":{"b":1}},"response":{"status":419}}]}`, nil)
	backend := echoBackend(t)
	for _, size := range []int{max, max + 1} {
		body := `{"b":1,"a":"x` + strings.Repeat("y", size-len(`{"b":1,"a":"x"}`)) + `"}`
		for _, declared := range []bool{false, true} {
			req := backendRequest(t, "POST", backend.URL+"/", "", nil)
			req.Body = io.NopCloser(iotest.DataErrReader(strings.NewReader(body)))
			req.ContentLength = -1
			if declared {
				req.ContentLength = int64(size)
			}
			res, got := serve(e, req)
			wantStatus := 418
			if size > max {
				wantStatus = 200
				if echo := decodeEcho(t, got); echo.Body != body {
					t.Errorf("%d bytes, declared %v: the backend got %q", size, declared, echo.Body)
				}
			}
			if res.StatusCode != wantStatus {
				t.Errorf("%d bytes with max_body_bytes %d, declared %v: status %d, want %d", size, max, declared, res.StatusCode, wantStatus)
			}
		}
	}
}

func TestABodyDeeperThanMaxBodyDepthIsNotEvaluated(t *testing.T) {
	backend := echoBackend(t)
	e := newEngine(t, `{"max_body_depth":3,"rules":[
		{"name":"field","match":{"body":{"a.b.c":"1"}},"response":{"status":418}},
		{"name":"absent","match":{"not":{"body":{"z":"*"}}},"response":{"status":419}}]}`, nil)
	for _, tt := range []struct {
		body   string
		status int
	}{
		{`{"a":{"b":{"c":1}}}`, 418},
		{`{"a":{"b":{"c":2}}}`, 419},
		{`{"a":{"b":{"c":1}},"d":[[[]]]}`, 200},
		{`{"a":{"b":{"c":[1]}}}`, 200},
	} {
		res, got := serve(e, backendRequest(t, "POST", backend.URL+"/", tt.body, nil))
		if res.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.body, res.StatusCode, tt.status)
		}
		if tt.status == 200 && decodeEcho(t, got).Body != tt.body {
			t.Errorf("%s: the backend got %s", tt.body, got)
		}
	}
}

// TestBodiesCostBoundedMemory: whatever its shape, evaluating a body of
// the largest size allowed allocates about its size once more, at most:
// the body is checked and walked where it lies, never decoded.
func TestBodiesCostBoundedMemory(t *testing.T) {
	const size = 8 << 20
	e := newEngine(t, `{"max_body_bytes":8388608,"max_body_depth":10000,"rules":[
		{"name":"field","match":{"body":{"a":"x*"}},"response":{"status":418}},
		{"name":"json","match":{"body_json":{"a":1,"list":[1,2]}},"response":{"status":419}},
		{"name":"any-order","match":{"body_json":{"list":[2,1]},"ignore_array_order":true},"response":{"status":420}},
		{"name":"rest","response":{"status":204}}]}`, nil)
	fill := func(prefix, unit, suffix string) []byte {
		n := (size - len(prefix) - len(suffix)) / len(unit)
		return []byte(prefix + strings.Repeat(unit, n) + suffix)
	}
	half := size / 2
	shapes := map[string][]byte{
		"nested arrays, too deep":   []byte(strings.Repeat("[", size)),
		"nested objects, too deep":  fill("", `{"a":`, ""),
		"nested arrays, valid":      []byte(strings.Repeat("[", 5000) + strings.Repeat(" ", size-10000) + strings.Repeat("]", 5000)),
		"a huge string":             fill(`{"a":"`, "y", `"}`),
		"many keys":                 manyKeys(size),
		"a long array of numbers":   fill(`{"a":2,"list":[`, "1,", `1]}`),
		"a long array, any order":   fill(`{"list":[`, "2,", `1]}`),
		"half spaces, half numbers": []byte(`[` + strings.Repeat(" ", half) + strings.Repeat("1,", (size-half-3)/2) + `1]`),
	}
	for name, body := range shapes {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "http://backend.invalid/", bytes.NewReader(body))
			req.ContentLength = -1 // unknown, as with a chunked upload: the worst case for the buffer
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			res, _ := serve(e, req)
			runtime.ReadMemStats(&after)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d bytes: status %d, %.2f× the body allocated", len(body), res.StatusCode, float64(allocated)/float64(len(body)))
			if !raceDetector && allocated > uint64(len(body))*5/2 {
				t.Errorf("evaluating a %d-byte body allocated %d bytes (%.1f×), want at most 2.5×", len(body), allocated, float64(allocated)/float64(len(body)))
			}
		})
	}
}

// manyKeys is an object of about size bytes with as many members as fit.
func manyKeys(size int) []byte {
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i := 0; len(b) < size-20; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"', 'k')
		b = strconv.AppendInt(b, int64(i), 36)
		b = append(b, `":1`...)
	}
	return append(b, '}')
}

// TestIgnoringArrayOrderIsPolynomial: pairing expected and actual elements
// by trying every assignment takes factorial time when nearly all of them
// fit; a matching takes a few milliseconds.
func TestIgnoringArrayOrderIsPolynomial(t *testing.T) {
	const n = 40
	want := strings.Repeat(`{"k":1},`, n-1) + `{"k":2}`
	got := strings.Repeat(`{"k":1,"x":0},`, n-1) + `{"k":1}`
	e := newEngine(t, `{"rules":[{"name":"set","match":{"body_json":{"items":[`+want+`]},"ignore_array_order":true},"response":{"status":418}},
		{"name":"rest","response":{"status":204}}]}`, nil)
	done := make(chan int, 1)
	go func() {
		res, _ := serve(e, backendRequest(t, "POST", "http://backend.invalid/", `{"items":[`+got+`]}`, nil))
		done <- res.StatusCode
	}()
	select {
	case status := <-done:
		if status != 204 {
			t.Errorf("status %d, want 204: no element has k=2", status)
		}
	case <-time.After(time.Minute):
		t.Fatal("still matching after a minute") // a guard against a hang, not a timing
	}
	matching := `{"items":[` + strings.Repeat(`{"k":1},`, n-1) + `{"k":2}]}`
	if res, _ := serve(e, backendRequest(t, "POST", "http://backend.invalid/", matching, nil)); res.StatusCode != 418 {
		t.Errorf("a matching body answered %d", res.StatusCode)
	}
}
