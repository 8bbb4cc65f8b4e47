package rules

import (
	"context"
	"fmt"
	"krakend-rules/state"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkCRUDGetOne is BenchmarkStaticResponse's request answered by a
// crud rule from a memory data set of 1 000 items: the same 10 rules, the
// last one a crud rule. The target is within 2x the static answer.
func BenchmarkCRUDGetOne(b *testing.B) {
	static := rulesConfig(9, "path+method+header")
	var seed strings.Builder
	for i := range 1000 {
		if i > 0 {
			seed.WriteByte(',')
		}
		fmt.Fprintf(&seed, `{"id":%d,"customer":"c%d","total":%d.5}`, i, i, i)
	}
	cfg := strings.TrimSuffix(static, `]}`) + `,{"name":"r9","match":{"path":"/svc9/**","methods":["GET","POST"],"headers":{"X-Tenant":"acme-*"}},` +
		`"crud":{"data_set":"bench","path":"/svc9/orders","seed":[` + seed.String() + `]}}]}`
	e, err := New(context.Background(), decodeJSON(b, cfg), Options{Registry: &state.Registry{}})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "http://backend.invalid/svc9/orders/1", nil)
	req.Header.Set("X-Tenant", "acme-eu")
	if res, body := serve(e, req); res.StatusCode != 200 || body != `{"customer":"c1","id":1,"total":1.5}` {
		b.Fatalf("got %d %s", res.StatusCode, body)
	}
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

// BenchmarkCRUDFilterValues filters 4 000 items by one field with 2 and
// with 4 000 alternative values: the values are looked up in a set, so
// the second costs about the parsing of its longer query, not 2 000 times
// the comparisons.
func BenchmarkCRUDFilterValues(b *testing.B) {
	coll := filterEngine(b, 4000)
	for _, values := range []int{2, 4000} {
		b.Run(fmt.Sprintf("values=%d", values), func(b *testing.B) {
			req := backendRequest(b, "GET", filterTarget(values), "", nil)
			b.ReportAllocs()
			for b.Loop() {
				w := &discardWriter{h: http.Header{}}
				coll.ServeHTTP(w, req)
				if w.code != 200 {
					b.Fatal(w.code)
				}
			}
		})
	}
}
