package rules

import (
	"context"
	"fmt"
	"io"
	"krakend-rules/config"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// discardWriter is the cheapest possible ResponseWriter, so that benchmarks
// measure the engine rather than a recorder.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// rulesConfig builds n rules of one shape, each on its own path prefix:
// "path" has only the path; "path+method+header" also a method list and a
// header glob; "body" adds a body field condition.
func rulesConfig(n int, shape string) string {
	var b strings.Builder
	b.WriteString(`{"rules":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		match := fmt.Sprintf(`"path":"/svc%d/**"`, i)
		switch shape {
		case "path+method+header":
			match += `,"methods":["GET","POST"],"headers":{"X-Tenant":"acme-*"}`
		case "body":
			match += fmt.Sprintf(`,"methods":["POST"],"body":{"order.currency":"EUR","order.id":"%d"}`, i)
		}
		fmt.Fprintf(&b, `{"name":"r%d","match":{%s},"response":{"status":200,"body":{"rule":%d}}}`, i, match, i)
	}
	b.WriteString(`]}`)
	return b.String()
}

// jsonBody returns a JSON order of about size bytes.
func orderBody(size, id int) string {
	pad := max(size-60, 0)
	return fmt.Sprintf(`{"pad":"%s","order":{"currency":"EUR","id":"%d"}}`, strings.Repeat("x", pad), id)
}

// BenchmarkDecide measures the decision: which rule wins, with the winner
// first, last, or absent, for each rule shape and count.
func BenchmarkDecide(b *testing.B) {
	for _, shape := range []string{"path", "path+method+header", "body"} {
		for _, n := range []int{1, 10, 100, 1000, 10000} {
			e, err := New(context.Background(), decodeJSON(b, rulesConfig(n, shape)), Options{})
			if err != nil {
				b.Fatal(err)
			}
			for _, winner := range []string{"first", "last", "absent"} {
				idx := map[string]int{"first": 0, "last": n - 1, "absent": -1}[winner]
				path := fmt.Sprintf("/svc%d/orders/1", idx)
				if idx < 0 {
					path = "/elsewhere/orders/1"
				}
				sizes := []int{0}
				if shape == "body" {
					sizes = []int{1 << 10, 64 << 10}
				}
				for _, size := range sizes {
					label := fmt.Sprintf("%s/rules=%d/%s", shape, n, winner)
					if size > 0 {
						label += fmt.Sprintf("/body=%dKiB", size>>10)
					}
					b.Run(label, func(b *testing.B) {
						var body string
						if size > 0 {
							body = orderBody(size, max(idx, 0))
						}
						req := httptest.NewRequest("POST", "http://backend.invalid"+path, nil)
						req.Header.Set("X-Tenant", "acme-eu")
						x := &exchange{}
						reader := strings.NewReader(body)
						b.ReportAllocs()
						for b.Loop() {
							if size > 0 {
								reader.Reset(body)
								req.Body = io.NopCloser(reader)
								req.ContentLength = int64(len(body))
							}
							x.reset(req, e.bodyLimits)
							if r := e.current.Load().find(x); (r != nil) != (idx >= 0) {
								b.Fatal("wrong decision")
							}
						}
					})
				}
			}
		}
	}
}

// writers are the two ResponseWriters the answer benchmarks write into: the
// cheapest possible one, which shows the engine's own cost, and the
// httptest.ResponseRecorder that Lura hands a client plugin.
var writers = []struct {
	name string
	new  func() http.ResponseWriter
}{
	{"writer=minimal", func() http.ResponseWriter { return &discardWriter{h: http.Header{}} }},
	{"writer=recorder", func() http.ResponseWriter { return httptest.NewRecorder() }},
}

// BenchmarkStaticResponse is the whole ServeHTTP of a static answer after
// 10 rules have been tried. With the recorder, a new one per request, as
// Lura does.
func BenchmarkStaticResponse(b *testing.B) {
	e, err := New(context.Background(), decodeJSON(b, rulesConfig(10, "path+method+header")), Options{})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "http://backend.invalid/svc9/orders/1", nil)
	req.Header.Set("X-Tenant", "acme-eu")
	for _, wr := range writers {
		b.Run(wr.name, func(b *testing.B) {
			w := wr.new()
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := w.(*httptest.ResponseRecorder); ok {
					w = wr.new()
				}
				e.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkTemplatedResponse renders a body from the path, a header and
// the query.
func BenchmarkTemplatedResponse(b *testing.B) {
	e, err := New(context.Background(), decodeJSON(b, `{"rules":[{"name":"t","response":{"body":{
		"id":"{{ index .Segments 1 }}","tenant":"{{ .Header.Get \"X-Tenant\" }}","q":"{{ .Query.Get \"q\" }}","static":[1,2,3]}}}]}`), Options{})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "http://backend.invalid/users/42?q=x", nil)
	req.Header.Set("X-Tenant", "acme-eu")
	for _, wr := range writers {
		b.Run(wr.name, func(b *testing.B) {
			w := wr.new()
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := w.(*httptest.ResponseRecorder); ok {
					w = wr.new()
				}
				e.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkTemplatedHelpers renders the answer of
// BenchmarkTemplatedResponse through helpers: arithmetic, strings, a
// default and the client's host name.
func BenchmarkTemplatedHelpers(b *testing.B) {
	e, err := New(context.Background(), decodeJSON(b, `{"rules":[{"name":"t","response":{"body":{
		"id":"{{ index .Segments 1 | add 1 }}","tenant":"{{ .Header.Get \"X-Tenant\" | trimPrefix \"acme-\" | upper }}","q":"{{ .Query.Get \"q\" | default \"none\" }}@{{ hostname }}","static":[1,2,3]}}}]}`), Options{})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "http://backend.invalid/users/42?q=x", nil)
	req.Header.Set("X-Tenant", "acme-eu")
	req.Header.Set("X-Forwarded-Host", "api.example.com:8443")
	for _, wr := range writers {
		b.Run(wr.name, func(b *testing.B) {
			w := wr.new()
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := w.(*httptest.ResponseRecorder); ok {
					w = wr.new()
				}
				e.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkTemplatedFake renders a seeded answer of fake data.
func BenchmarkTemplatedFake(b *testing.B) {
	e, err := New(context.Background(), decodeJSON(b, `{"rules":[{"name":"t","response":{"seed":"{{ index .Segments 1 }}","body":{
		"name":"{{ fakeName }}","email":"{{ fakeEmail }}","city":"{{ fakeCity }}","age":"{{ fakeInt 18 90 }}"}}}]}`), Options{})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "http://backend.invalid/users/42", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		e.ServeHTTP(w, req)
	}
}

// BenchmarkBodyRule decides on a field of a 1 KiB JSON body.
func BenchmarkBodyRule(b *testing.B) {
	e, err := New(context.Background(), decodeJSON(b, `{"rules":[{"match":{"body":{"order.currency":"EUR"}},"response":{}}]}`), Options{})
	if err != nil {
		b.Fatal(err)
	}
	body := `{"pad":"` + strings.Repeat("x", 1000) + `","order":{"currency":"EUR"}}`
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req := httptest.NewRequest("POST", "http://backend.invalid/o", strings.NewReader(body))
		e.ServeHTTP(w, req)
	}
}

// BenchmarkDelegate sends requests through the engine to a local backend;
// BenchmarkDirect sends them straight through an http.Transport, the
// baseline delegation has to stay close to.
func BenchmarkDelegate(b *testing.B) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ok":true}`)
	}))
	defer backend.Close()
	e, err := New(context.Background(), decodeJSON(b, rulesConfig(10, "path+method+header")), Options{})
	if err != nil {
		b.Fatal(err)
	}
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		req, _ := http.NewRequest("GET", backend.URL+"/elsewhere", nil)
		e.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatal(w.code)
		}
	}
}

// BenchmarkDelegateRecorder delegates as a gateway has the plugin do it:
// a new httptest.ResponseRecorder per request, whose Result is read to the
// end afterwards, as Lura's client plugin executor does. The answers are
// small, 16 KiB with a length, and 16 KiB chunked (no length).
func BenchmarkDelegateRecorder(b *testing.B) {
	big := strings.Repeat("x", 16<<10)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/small":
			w.Header().Set("Content-Length", "11")
			io.WriteString(w, `{"ok":true}`)
		case "/big":
			w.Header().Set("Content-Length", strconv.Itoa(len(big)))
			io.WriteString(w, big)
		default:
			io.WriteString(w, big[:len(big)/2])
			w.(http.Flusher).Flush() // sent chunked
			io.WriteString(w, big[len(big)/2:])
		}
	}))
	defer backend.Close()
	e, err := New(context.Background(), decodeJSON(b, rulesConfig(10, "path+method+header")), Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct{ name, path string }{
		{"answer=11B", "/small"}, {"answer=16KiB", "/big"}, {"answer=16KiB-chunked", "/chunked"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest("GET", backend.URL+tc.path, nil)
				w := httptest.NewRecorder()
				e.ServeHTTP(w, req)
				res := w.Result()
				io.Copy(io.Discard, res.Body)
				if res.StatusCode != 200 {
					b.Fatal(res.StatusCode)
				}
			}
		})
	}
}

func BenchmarkDirect(b *testing.B) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ok":true}`)
	}))
	defer backend.Close()
	t := NewTransport()
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest("GET", backend.URL+"/elsewhere", nil)
		res, err := t.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}

// BenchmarkLoad compiles rule lists as the gateway does at start-up (and at
// each rules_file change): distinct paths, where the check for rules that
// never apply compares few pairs, and one shared path, where it compares
// every pair until its bound.
func BenchmarkLoad(b *testing.B) {
	for _, tc := range []struct {
		name  string
		n     int
		shape func(i int) string
	}{
		{"distinct-paths", 10000, func(i int) string { return fmt.Sprintf(`"path":"/svc%d/orders/*","methods":["POST"]`, i) }},
		{"one-path-1000", 1000, func(i int) string { return fmt.Sprintf(`"path":"/orders/*","headers":{"X-Tenant":"t%d"}`, i) }},
		{"one-path-10000", 10000, func(i int) string { return fmt.Sprintf(`"path":"/orders/*","headers":{"X-Tenant":"t%d"}`, i) }},
	} {
		var sb strings.Builder
		sb.WriteString(`{"rules":[`)
		for i := range tc.n {
			if i > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `{"name":"r%d","match":{%s},"response":{"body":{"rule":%d}}}`, i, tc.shape(i), i)
		}
		sb.WriteString(`]}`)
		raw := decodeJSON(b, sb.String())
		b.Run(fmt.Sprintf("%s/rules=%d", tc.name, tc.n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Compile(mustDecode(b, raw), Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func mustDecode(b *testing.B, raw any) *config.Config {
	cfg, err := config.Decode(raw)
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}
