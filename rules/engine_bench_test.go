package rules

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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

// rulesConfig builds n rules of one shape: each on its own path prefix,
// limited to GET and POST, and requiring a tenant header.
func rulesConfig(n int) string {
	var b strings.Builder
	b.WriteString(`{"rules":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"r%d","match":{"path":"/svc%d/**","methods":["GET","POST"],"headers":{"X-Tenant":"acme-*"}},"response":{"status":200,"body":{"rule":%d}}}`, i, i, i)
	}
	b.WriteString(`]}`)
	return b.String()
}

// BenchmarkDecide measures the decision path: which rule wins. "last" makes
// the last rule win, so every rule is evaluated; "none" matches no rule.
func BenchmarkDecide(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		e, err := New(context.Background(), decodeJSON(b, rulesConfig(n)), Options{})
		if err != nil {
			b.Fatal(err)
		}
		for _, tc := range []struct{ name, path string }{
			{"last", fmt.Sprintf("/svc%d/orders/1", n-1)},
			{"none", "/elsewhere/orders/1"},
		} {
			b.Run(fmt.Sprintf("rules=%d/%s", n, tc.name), func(b *testing.B) {
				req := httptest.NewRequest("GET", "http://backend.invalid"+tc.path, nil)
				req.Header.Set("X-Tenant", "acme-eu")
				x := &exchange{}
				b.ReportAllocs()
				for b.Loop() {
					x.reset(req, e.maxBody)
					if r := e.find(x); (r != nil) != (tc.name == "last") {
						b.Fatal("wrong decision")
					}
				}
			})
		}
	}
}

// BenchmarkStaticResponse is the whole ServeHTTP of a static answer after
// 10 rules have been tried.
func BenchmarkStaticResponse(b *testing.B) {
	e, err := New(context.Background(), decodeJSON(b, rulesConfig(10)), Options{})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "http://backend.invalid/svc9/orders/1", nil)
	req.Header.Set("X-Tenant", "acme-eu")
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		e.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatal(w.code)
		}
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
	e, err := New(context.Background(), decodeJSON(b, rulesConfig(10)), Options{})
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
