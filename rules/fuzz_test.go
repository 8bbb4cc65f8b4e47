package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"krakend-rules/config"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// FuzzCompile: any bytes as a configuration give an error or an engine,
// never a panic; and an engine serves a request without panicking.
func FuzzCompile(f *testing.F) {
	for _, dir := range []string{"testdata/valid", "testdata/invalid"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var raw any
		if json.Unmarshal(data, &raw) != nil {
			return
		}
		e, err := New(context.Background(), raw, Options{Transport: refuseTransport{}})
		if (e == nil) == (err == nil) {
			t.Fatalf("engine %v with error %v", e, err)
		}
		if e == nil {
			return
		}
		req := httptest.NewRequest("POST", "http://backend.invalid/a/b?x=1", strings.NewReader(`{"a":1}`))
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // no delay may hold the fuzzer up
		e.ServeHTTP(httptest.NewRecorder(), req.WithContext(ctx))
	})
}

// refuseTransport fails every delegation at once, without a network.
type refuseTransport struct{}

func (refuseTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return nil, io.ErrUnexpectedEOF
}

// fuzzRules is the fixed rule set FuzzMatch decides with; reference below
// decides the same by hand, with no glob library and no index.
const fuzzRules = `{"max_body_bytes": 256, "rules":[
	{"name":"orders","match":{"path":"/orders/**","methods":["post","PUT"],"headers":{"X-Tenant":"acme-*"},"query":{"dry_run":"!true"},"body":{"order.currency":"{EUR,USD}"}},"response":{}},
	{"name":"users","match":{"path":"/users/*","methods":["GET"]},"response":{}},
	{"name":"admin","match":{"path":"/admin/**","headers":{"X-Env":"!*"}},"response":{}},
	{"name":"q","match":{"query":{"q":"a?c"}},"response":{}},
	{"name":"tags","match":{"body":{"tags":"b*"}},"response":{}},
	{"name":"not-json-tag","match":{"not":{"body":{"tags":"*"}},"path":"/t"},"response":{}},
	{"name":"exact","match":{"path":"/exact"},"response":{}}]}`

func reference(method, path string, header http.Header, query url.Values, body []byte, maxBody int) string {
	bodyOK := len(body) > 0 && len(body) <= maxBody && json.Valid(body) && maxNesting(body) <= config.DefaultMaxBodyDepth
	values := func(p string) []string {
		if !bodyOK {
			return nil
		}
		res := gjson.GetBytes(body, p)
		if !res.Exists() {
			return nil
		}
		if !res.IsArray() {
			return []string{res.String()}
		}
		var out []string
		for _, el := range res.Array() {
			out = append(out, el.String())
		}
		return out
	}
	anyOf := func(vs []string, pred func(string) bool) bool {
		for _, v := range vs {
			if pred(v) {
				return true
			}
		}
		return false
	}
	upper := strings.ToUpper(method)
	switch {
	case strings.HasPrefix(path, "/orders/") && (upper == "POST" || upper == "PUT") &&
		anyOf(header["X-Tenant"], func(v string) bool { return strings.HasPrefix(v, "acme-") }) &&
		!anyOf(query["dry_run"], func(v string) bool { return v == "true" }) &&
		bodyOK && anyOf(values("order.currency"), func(v string) bool { return v == "EUR" || v == "USD" }):
		return "orders"
	case strings.HasPrefix(path, "/users/") && !strings.Contains(path[len("/users/"):], "/") && upper == "GET":
		return "users"
	case strings.HasPrefix(path, "/admin/") && len(header["X-Env"]) == 0:
		return "admin"
	case anyOf(query["q"], func(v string) bool {
		r := []rune(v)
		return len(r) == 3 && r[0] == 'a' && r[2] == 'c'
	}):
		return "q"
	case bodyOK && anyOf(values("tags"), func(v string) bool { return strings.HasPrefix(v, "b") }):
		return "tags"
	case path == "/t" && bodyOK && len(values("tags")) == 0:
		return "not-json-tag"
	case path == "/exact":
		return "exact"
	}
	return ""
}

// FuzzMatch: any method, path, headers, query and body against a fixed
// rule set never panics, decides as the reference does, and leaves the
// body intact for the backend.
func FuzzMatch(f *testing.F) {
	f.Add("POST", "/orders/1", "X-Tenant: acme-1", "dry_run=false", []byte(`{"order":{"currency":"EUR"}}`))
	f.Add("put", "/orders/1/x", "X-Tenant: acme-1\nX-Tenant: z", "", []byte(`{"order":{"currency":["GBP","USD"]}}`))
	f.Add("GET", "/users/ann", "", "", []byte(nil))
	f.Add("GET", "/admin/x", "X-Env: prod", "q=abc", []byte(`{"tags":["a","bee"]}`))
	f.Add("DELETE", "/t", "", "q=a%C3%A9c", []byte(`{"x":1}`))
	f.Add("GET", "/exact", "", "q=%zz&q=abc", []byte(`{"tags":`))
	f.Add("GET", "/t", "", "", []byte(`"`+strings.Repeat("x", 300)+`"`))
	e, err := New(context.Background(), decodeJSON(f, fuzzRules), Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path, headers, rawQuery string, body []byte) {
		header := http.Header{}
		for _, line := range strings.Split(headers, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				header[http.CanonicalHeaderKey(strings.TrimSpace(k))] = append(header[http.CanonicalHeaderKey(strings.TrimSpace(k))], strings.TrimSpace(v))
			}
		}
		req := &http.Request{
			Method:        method,
			URL:           &url.URL{Scheme: "http", Host: "backend.invalid", Path: path, RawQuery: rawQuery},
			Header:        header,
			Body:          io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)),
		}
		query, _ := url.ParseQuery(rawQuery)
		want := reference(method, path, header, query, body, 256)

		x := &exchange{}
		x.reset(req.WithContext(context.Background()), e.bodyLimits)
		got := ""
		if r := e.current.Load().find(x); r != nil {
			got = x.set.name(r)
		}
		if got != want {
			t.Fatalf("%s %q ? %q headers %v body %q: engine chose %q, reference %q", method, path, rawQuery, header, body, got, want)
		}
		replayed := []byte{}
		if rc := x.body.replay(); rc != nil {
			replayed, _ = io.ReadAll(rc)
		}
		if !bytes.Equal(replayed, body) {
			t.Fatalf("the backend would get %q instead of %q", replayed, body)
		}
	})
}

// FuzzRender: any request data through templated bodies gives valid JSON,
// a failing template included (its 500 error is JSON too).
func FuzzRender(f *testing.F) {
	f.Add("/a/b", "X: \"quoted\"\n", "q=%3C%2Fscript%3E", []byte(`{"x":"\n"}`))
	f.Add("/", "", "q=\xff\xfe", []byte("\x00"))
	f.Add("/\u2028/", "X: \\", "q=%E2%80%A8", []byte(`{"x":["a"]}`))
	e, err := New(context.Background(), decodeJSON(f, `{"rules":[{"name":"r","response":{"headers":{"X-Echo":"{{ .Header.Get \"X\" }}"},"body":{
		"path":"{{ .Path }}","header":"{{ .Header.Get \"X\" }}","query":"{{ .Query.Get \"q\" }}",
		"body":"{{ body \"x\" }}","raw":"{{ bodyRaw \"x\" }}","json":"{{ json .Query }}",
		"first":["{{ index .Segments 0 }}", {"n":1}], "method":"{{ .Method | lower }}"}}}]}`), Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path, headers, rawQuery string, body []byte) {
		header := http.Header{}
		for _, line := range strings.Split(headers, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				header.Add(strings.TrimSpace(k), v)
			}
		}
		req := &http.Request{
			Method: "POST",
			URL:    &url.URL{Scheme: "http", Host: "backend.invalid", Path: path, RawQuery: rawQuery},
			Header: header,
			Body:   io.NopCloser(bytes.NewReader(body)),
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req.WithContext(context.Background()))
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("invalid JSON: %q", w.Body.String())
		}
		if w.Code == 200 && !utf8.Valid(w.Body.Bytes()) {
			t.Fatalf("invalid UTF-8: %q", w.Body.String())
		}
		if strings.ContainsAny(w.Header().Get("X-Echo"), "\r\n") {
			t.Fatalf("a header value with a line break: %q", w.Header().Get("X-Echo"))
		}
	})
}
