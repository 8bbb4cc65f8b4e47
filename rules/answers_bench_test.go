package rules

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchAnswer serves req with a new recorder per request, as Lura does.
func benchAnswer(b *testing.B, config string, req *http.Request, status int) {
	b.Helper()
	e, err := New(context.Background(), decodeJSON(b, config), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		if w.Code != status {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}

// BenchmarkAnswers: the kinds of answers beyond JSON.
func BenchmarkAnswers(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "42.json"), []byte(`{"id":42,"name":"fixture","items":[1,2,3]}`), 0o644); err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "http://backend.invalid/users/42?q=x", nil)
	for _, tc := range []struct{ name, response string }{
		{"text", `{"headers": {"Content-Type": "text/plain"}, "body": "OK"}`},
		{"text-templated", `{"headers": {"Content-Type": "text/plain"}, "body": "user {{ index .Segments 1 }}"}`},
		{"base64", `{"body_base64": "iVBORw0KGgo="}`},
		{"header-list", `{"headers": {"Set-Cookie": ["a=1", "b={{ .Query.Get \"q\" }}"]}, "body": {}}`},
		{"body-file-templated", fmt.Sprintf(`{"body_dir": %q, "body_file": "{{ index .Segments 1 }}.json"}`, dir)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			benchAnswer(b, `{"rules":[{"response":`+tc.response+`}]}`, req, 200)
		})
	}
}

// BenchmarkStaticMerge delegates into a recorder and merges static data
// into the 1 KiB JSON answer.
func BenchmarkStaticMerge(b *testing.B) {
	answer := `{"pad":"` + strings.Repeat("x", 1000) + `","id":1,"degraded":false}`
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, answer)
	}))
	defer backend.Close()
	for _, tc := range []struct{ name, delegate string }{
		{"without", `{}`},
		{"static", `{"static": {"data": {"degraded": true, "source": "static"}}}`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e, err := New(context.Background(), decodeJSON(b, `{"rules":[{"delegate":`+tc.delegate+`}]}`), Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(answer)))
			for b.Loop() {
				req, _ := http.NewRequest("GET", backend.URL+"/x", nil)
				w := httptest.NewRecorder()
				e.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
