package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzHelpers: helpers fed with any request — query objects, cookies, the
// forwarded host, body paths, decoders, numbers, computed regexps — never
// panic, and the answer is valid JSON: the rendered body, or the rule's 500.
func FuzzHelpers(f *testing.F) {
	f.Add("f[a]=1&f[b][c]=2&f[l][]=x&n=3", "session=a; x=\"q\"", "api.example.com:8443", "aGk=", "[a-z]+", []byte(`{"a":{"b":"x"}}`))
	f.Add("f[=1&f[a]]=2&f[a][b][c][d][e][f][g][h][i]=deep&n=1e400", "session=\xff", "[::1]:80", "!!", "(", []byte("\x00"))
	f.Add("f[]=1&f[][]=2&n=-9223372036854775808", ";;=;", ",", "", "a{1000}{1000}", []byte(`[`))
	e, err := New(context.Background(), decodeJSON(f, `{"rules":[{"name":"r","response":{"seed":"{{ .Query.Get \"n\" }}","body_template":
		"{\"o\":{{ queryObject \"f\" | json }},\"c\":{{ cookie \"session\" | json }},\"h\":{{ hostname | json }},\"p\":{{ port | json }},\"b\":{{ bodyOr \"a.b\" \"d\" | json }},\"d\":{{ .Header.Get \"X-B64\" | b64dec | json }},\"u\":{{ .Query.Get \"n\" | urlDecode | json }},\"n\":{{ .Query.Get \"n\" | add 1 }},\"r\":{{ regexFind (.Header.Get \"X-Re\") .Path | json }},\"k\":{{ keys (queryObject \"f\") | json }},\"t\":{{ .Header.Get \"X-B64\" | substr 1 3 | title | json }},\"z\":{{ fakeName | json }}}"}}]}`), Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, rawQuery, cookie, host, b64, re string, body []byte) {
		req := &http.Request{
			Method: "POST",
			URL:    &url.URL{Scheme: "http", Host: "backend.invalid", Path: "/x/" + re, RawQuery: rawQuery},
			Header: http.Header{"Cookie": {cookie}, "X-Forwarded-Host": {host}, "X-B64": {b64}, "X-Re": {re}},
			Body:   io.NopCloser(bytes.NewReader(body)),
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req.WithContext(context.Background()))
		if w.Code != 200 && w.Code != 500 {
			t.Fatalf("status %d", w.Code)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("invalid JSON: %q", w.Body.String())
		}
		if w.Code == 200 && !utf8.Valid(w.Body.Bytes()) {
			t.Fatalf("invalid UTF-8: %q", w.Body.String())
		}
		if w.Code == 500 && !strings.Contains(w.Body.String(), "response template failed") {
			t.Fatalf("500 without the rule's error: %q", w.Body.String())
		}
	})
}
