package rules

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkBodyKinds decides on a body of about 1 KiB of each kind, a rule
// with one condition on it, the whole ServeHTTP of a static answer: what a
// form, multipart, XPath, body_xml or body_text condition costs beside
// BenchmarkBodyRule's JSON one. Comparisons on a header beside a glob.
func BenchmarkBodyKinds(b *testing.B) {
	pad := strings.Repeat("x", 1000)
	mp, mpType := multipartBody(b, map[string]string{"title": "Hello", "note": pad}, "f", "a.png", "image/png", "PNG")
	items := strings.Repeat("<item sku='A1'><qty>1</qty></item>", 28)
	xml := `<order id="7"><pad>` + pad[:0] + `</pad>` + items + `<item sku="B2"><qty>5</qty></item></order>`
	tests := []struct {
		name, match, contentType, body string
		header                         http.Header
	}{
		{"form", `{"form":{"title":"Hello"}}`, formType, "note=" + pad + "&title=Hello", nil},
		{"multipart", `{"multipart":{"f":{"filename":"*.png"}}}`, mpType, mp, nil},
		{"xpath", `{"xpath":{"//item[@sku='B2']/qty":"num:>=5"}}`, "application/xml", xml, nil},
		{"body_xml", `{"body_xml":` + jsonString(xml) + `}`, "application/xml", xml, nil},
		{"body_text", `{"body_text":"*sku=\"B2\"*"}`, "text/plain", xml, nil},
		{"header-glob", `{"headers":{"X-Count":"1?"}}`, "", "", http.Header{"X-Count": {"12"}}},
		{"header-num", `{"headers":{"X-Count":"num:10..20"}}`, "", "", http.Header{"X-Count": {"12"}}},
		{"header-time", `{"headers":{"X-At":"time:<now+1h"}}`, "", "", http.Header{"X-At": {"2026-01-01T00:00:00Z"}}},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			e, err := New(context.Background(), decodeJSON(b, `{"rules":[{"match":`+tt.match+`,"response":{}}]}`), Options{})
			if err != nil {
				b.Fatal(err)
			}
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			b.SetBytes(int64(len(tt.body)))
			for b.Loop() {
				req := httptest.NewRequest("POST", "http://backend.invalid/o", strings.NewReader(tt.body))
				if tt.contentType != "" {
					req.Header.Set("Content-Type", tt.contentType)
				}
				for k, v := range tt.header {
					req.Header[k] = v
				}
				w.code = 0
				e.ServeHTTP(w, req)
				if w.code != 200 {
					b.Fatalf("no match: %d", w.code)
				}
			}
		})
	}
}

// BenchmarkXPathLarge evaluates //item[last()]/qty on a 64 KiB document:
// the parse, once, and the evaluation, linear.
func BenchmarkXPathLarge(b *testing.B) {
	body := []byte("<order>" + strings.Repeat("<item sku='A1'><qty>1</qty></item>", 64<<10/36) + "</order>")
	e, _ := compileXPath("//item[last()]/qty")
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			parseXML(body, 1000)
		}
	})
	doc, _ := parseXML(body, 1000)
	b.Run("evaluate", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if e.first(doc) != "1" {
				b.Fatal("wrong value")
			}
		}
	})
}
