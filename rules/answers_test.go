package rules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"krakend-rules/config"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAnswersOfEveryKind(t *testing.T) {
	tests := []struct {
		name, response string
		contentType    []string // nil: no Content-Type at all
		body           string
	}{
		{"a string body is JSON by default", `{"body": "plain"}`, []string{"application/json"}, `"plain"`},
		{"a string body is JSON with a JSON type", `{"headers": {"Content-Type": "application/json; charset=utf-8"}, "body": "plain"}`, []string{"application/json; charset=utf-8"}, `"plain"`},
		{"a string body is JSON with a +json type", `{"headers": {"content-type": "Application/Problem+JSON"}, "body": "x"}`, []string{"Application/Problem+JSON"}, `"x"`},
		{"a string body is JSON with a templated type", `{"headers": {"Content-Type": "{{ .Query.Get \"t\" }}"}, "body": "x"}`, []string{""}, `"x"`},
		{"text is sent as it is", `{"headers": {"Content-Type": "text/plain; charset=utf-8"}, "body": "OK \"fine\"\n"}`, []string{"text/plain; charset=utf-8"}, "OK \"fine\"\n"},
		{"XML is sent as it is, templates verbatim", `{"headers": {"Content-Type": "application/xml"}, "body": "<a m=\"{{ .Method }}\">{{ .Path }}</a>"}`, []string{"application/xml"}, `<a m="GET">/x&y</a>`},
		{"null sends no Content-Type, and the string as it is", `{"headers": {"Content-Type": null}, "body": "pong"}`, nil, "pong"},
		{"null with an object body: JSON without a type", `{"headers": {"Content-Type": null}, "body": {"a": 1}}`, nil, `{"a":1}`},
		{"null and no body", `{"headers": {"Content-Type": null}}`, nil, ""},
		{"a non-string body stays JSON under a text type", `{"headers": {"Content-Type": "text/plain"}, "body": [1, "a"]}`, []string{"text/plain"}, `[1,"a"]`},
		{"base64 is binary, octet-stream by default", `{"body_base64": "AAEC/w=="}`, []string{"application/octet-stream"}, "\x00\x01\x02\xff"},
		{"base64 unpadded, with a type of its own", `{"headers": {"Content-Type": "image/gif"}, "body_base64": "AAEC/w"}`, []string{"image/gif"}, "\x00\x01\x02\xff"},
		{"a list of values, one line each", `{"headers": {"Set-Cookie": ["a=1", "b={{ .Method }}"], "X-One": ["only"]}, "body": {}}`, []string{"application/json"}, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, `{"rules":[{"response":`+tt.response+`}]}`, nil)
			res, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/x&y?t=", "", nil))
			if got := res.Header["Content-Type"]; !slices.Equal(got, tt.contentType) {
				t.Errorf("Content-Type %q, want %q", got, tt.contentType)
			}
			if body != tt.body {
				t.Errorf("body %q, want %q", body, tt.body)
			}
			if got := res.Header.Get("Content-Length"); got != strconv.Itoa(len(body)) && !(tt.body == "" && got == "0") {
				t.Errorf("Content-Length %q for %d bytes", got, len(body))
			}
		})
	}
}

func TestHeaderValueLists(t *testing.T) {
	e := newEngine(t, `{"rules":[{"response":{"headers": {
		"Set-Cookie": ["a=1; Path=/", "b={{ .Query.Get \"v\" }}; HttpOnly", "c=3"],
		"X-Static": ["s1", "s2"], "X-Single": "{{ .Method }}"}}}]}`, nil)
	res, _ := serve(e, backendRequest(t, "GET", "http://backend.invalid/?v=x%0D%0AInjected:%201", "", nil))
	if got, want := res.Header.Values("Set-Cookie"), []string{"a=1; Path=/", "b=x  Injected: 1; HttpOnly", "c=3"}; !slices.Equal(got, want) {
		t.Errorf("Set-Cookie %q, want %q (in order, CR LF made spaces)", got, want)
	}
	if got := res.Header.Values("X-Static"); !slices.Equal(got, []string{"s1", "s2"}) {
		t.Errorf("X-Static %q", got)
	}
	if got := res.Header.Values("X-Single"); !slices.Equal(got, []string{"GET"}) {
		t.Errorf("X-Single %q", got)
	}
	if res.Header.Get("Injected") != "" {
		t.Error("a request value added a header line")
	}
}

func TestDelegateResponseHeaderLists(t *testing.T) {
	backend := echoBackend(t)
	e := newEngine(t, `{"rules":[{"delegate":{"to": "`+backend.URL+`", "response_headers": {
		"Set-Cookie": ["a=1", "b={{ .Method }}"], "Content-Type": null, "X-One": "1"}}}]}`, nil)
	res, body := serve(e, backendRequest(t, "POST", "http://backend.invalid/p", "", nil))
	if got := res.Header.Values("Set-Cookie"); !slices.Equal(got, []string{"a=1", "b=POST"}) {
		t.Errorf("Set-Cookie %q", got)
	}
	if res.Header.Get("X-One") != "1" || res.Header["Content-Type"] != nil {
		t.Errorf("headers %v", res.Header)
	}
	if !decodeEcho(t, body).Backend {
		t.Errorf("body %s", body)
	}
}

func TestBodyFileContentTypes(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"a.json": `{"a":1}`, "b.xml": "<b/>", "c.HTML": "<p>", "d.txt": "d", "e.png": "\x89PNG", "f": "?", "g.json.tmpl": `{"m":"{{ .Method }}"}`, "h.weird-ext": "h",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ file, headers, contentType, body string }{
		{"a.json", `{}`, "application/json", `{"a":1}`},
		{"b.xml", `{}`, "application/xml", "<b/>"},
		{"c.HTML", `{}`, "text/html; charset=utf-8", "<p>"},
		{"d.txt", `{}`, "text/plain; charset=utf-8", "d"},
		{"e.png", `{}`, "image/png", "\x89PNG"},
		{"f", `{}`, "application/octet-stream", "?"},
		{"g.json.tmpl", `{}`, "application/json", `{"m":"GET"}`},
		{"h.weird-ext", `{}`, "application/octet-stream", "h"},
		{"b.xml", `{"Content-Type": "text/xml"}`, "text/xml", "<b/>"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			e := newEngine(t, fmt.Sprintf(`{"rules":[{"response":{"headers": %s, "body_file": %q}}]}`, tt.headers, filepath.Join(dir, tt.file)), nil)
			res, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/", "", nil))
			if got := res.Header.Get("Content-Type"); got != tt.contentType || body != tt.body {
				t.Errorf("got %q %q, want %q %q", got, body, tt.contentType, tt.body)
			}
		})
	}
}

func TestContentTypeOf(t *testing.T) {
	for name, want := range map[string]string{
		"x.json": "application/json", "x.JSON": "application/json", "dir.v2/x": "application/octet-stream",
		"x.svg.tmpl": "image/svg+xml", "x.yml": "application/yaml", ".json": "application/json", "": "application/octet-stream",
	} {
		if got := contentTypeOf(name)[0]; got != want {
			t.Errorf("contentTypeOf(%q) = %q, want %q", name, got, want)
		}
	}
	for ct, want := range map[string]bool{
		"application/json": true, " APPLICATION/JSON ; charset=utf-8": true, "application/vnd.api+json": true, "text/json": true,
		"text/plain": false, "application/jsonl": false, "": false, "application/xml": false,
	} {
		if isJSONType(ct) != want {
			t.Errorf("isJSONType(%q) = %v", ct, !want)
		}
	}
}

// fixtures makes a body_dir with a few files, a subdirectory, a symbolic
// link inside and one that leads out, and a secret beside the directory.
func fixtures(t *testing.T) string {
	t.Helper()
	top := t.TempDir()
	dir := filepath.Join(top, "mocks")
	for name, content := range map[string]string{
		"mocks/1.json": `{"id":1}`, "mocks/page.html": "<h1>hi</h1>", "mocks/sub/2.json": `{"id":2}`, "secret.json": `{"secret":true}`,
	} {
		p := filepath.Join(top, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("1.json", filepath.Join(dir, "inside.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(top, "secret.json"), filepath.Join(dir, "out.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../secret.json", filepath.Join(dir, "up.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "adir.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTemplatedBodyFile(t *testing.T) {
	dir := fixtures(t)
	log := &testLogger{}
	e := newEngine(t, fmt.Sprintf(`{"rules":[{"name":"files","response":{"body_dir": %q, "body_file": "{{ .Query.Get \"f\" }}"}}]}`, dir), log)
	tests := []struct {
		name, file  string
		status      int
		contentType string
		body        string
	}{
		{"a file", "1.json", 200, "application/json", `{"id":1}`},
		{"its type from the rendered name", "page.html", 200, "text/html; charset=utf-8", "<h1>hi</h1>"},
		{"a file in a subdirectory", "sub/2.json", 200, "application/json", `{"id":2}`},
		{"a name that goes up and back in", "sub/../1.json", 200, "application/json", `{"id":1}`},
		{"a symbolic link inside", "inside.json", 200, "application/json", `{"id":1}`},
		{"a missing file", "3.json", 404, "application/json", `{"error":"no such body_file","rule":"files"}`},
		{"an empty name", "", 404, "application/json", `{"error":"no such body_file","rule":"files"}`},
		{"../ out of the directory", "../secret.json", 404, "application/json", `{"error":"no such body_file","rule":"files"}`},
		{"deeper ../ out of the directory", "sub/../../secret.json", 404, "application/json", `{"error":"no such body_file","rule":"files"}`},
		{"an absolute name", filepath.Join(filepath.Dir(dir), "secret.json"), 404, "application/json", `{"error":"no such body_file","rule":"files"}`},
		{"an absolute link out", "out.json", 404, "application/json", `{"error":"no such body_file","rule":"files"}`},
		{"a relative link out", "up.json", 404, "application/json", `{"error":"no such body_file","rule":"files"}`},
		{"a NUL byte", "1.json\x00.txt", 404, "application/json", `{"error":"no such body_file","rule":"files"}`},
		{"a directory", "adir.json", 404, "application/json", `{"error":"no such body_file","rule":"files"}`},
		{"the directory itself", ".", 404, "application/json", `{"error":"no such body_file","rule":"files"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := backendRequest(t, "GET", "http://backend.invalid/", "", nil)
			req.URL.RawQuery = "f=" + urlQueryEscape(tt.file)
			res, body := serve(e, req)
			if res.StatusCode != tt.status || res.Header.Get("Content-Type") != tt.contentType || body != tt.body {
				t.Errorf("got %d %q %q, want %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body, tt.status, tt.contentType, tt.body)
			}
			if strings.Contains(body, "secret") {
				t.Error("a file outside body_dir was served")
			}
		})
	}
	log.contains(t, "DEBUG", "path escapes from parent")
}

func urlQueryEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

func TestTemplatedBodyFileIsReadEachTime(t *testing.T) {
	dir := fixtures(t)
	e := newEngine(t, fmt.Sprintf(`{"rules":[{"response":{"headers": {"Content-Type": "text/x-fixture"}, "body_dir": %q, "body_file": "{{ index .Segments 0 }}.json"}}]}`, dir), nil)
	if _, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/1", "", nil)); body != `{"id":1}` {
		t.Fatalf("body %q", body)
	}
	if err := os.WriteFile(filepath.Join(dir, "1.json"), []byte(`{"id":"edited"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	res, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/1", "", nil))
	if body != `{"id":"edited"}` || res.Header.Get("Content-Type") != "text/x-fixture" || res.Header.Get("Content-Length") != "15" {
		t.Errorf("after an edit: %q %v", body, res.Header)
	}
}

func TestStaticBodyFileInBodyDir(t *testing.T) {
	dir := fixtures(t)
	e := newEngine(t, fmt.Sprintf(`{"rules":[{"response":{"body_dir": %q, "body_file": "sub/2.json"}}]}`, dir), nil)
	if res, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/", "", nil)); body != `{"id":2}` || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("got %q %v", body, res.Header)
	}
	for _, name := range []string{"../secret.json", "out.json", "up.json", "nope.json", "adir.json"} {
		_, err := New(context.Background(), decodeJSON(t, fmt.Sprintf(`{"rules":[{"response":{"body_dir": %q, "body_file": %q}}]}`, dir, name)), Options{})
		var ce *config.Error
		if err == nil || !strings.Contains(err.Error(), "rules[0].response.body_file: ") {
			t.Errorf("%s: %v, want a located error", name, err)
		} else if !errors.As(err, &ce) {
			t.Errorf("%s: not a *config.Error", name)
		}
	}
}

func TestBodyDirBound(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big"), bytes.Repeat([]byte("x"), 101), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "small"), bytes.Repeat([]byte("x"), 100), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &bodyDir{dir: dir, limit: 100}
	var buf bytes.Buffer
	if err := d.read(&buf, "small"); err != nil || buf.Len() != 100 {
		t.Errorf("a file at the limit: %v, %d bytes", err, buf.Len())
	}
	buf.Reset()
	err := d.read(&buf, "big")
	if _, missing := err.(errNoBodyFile); err == nil || missing || !strings.Contains(err.Error(), "too large") {
		t.Errorf("a file over the limit: %v", err)
	}
}

func TestStaticData(t *testing.T) {
	answers := map[string]struct {
		status      int
		contentType string
		body        string
	}{
		"/object":  {200, "application/json", `{"id": 7, "degraded": false, "items": [1, {"deep": {"x": 1}}], "esc\"aped": "v"}`},
		"/error":   {503, "application/json", `{"error": "down"}`},
		"/empty":   {200, "application/json", `{}`},
		"/array":   {200, "application/json", `[1, 2]`},
		"/text":    {200, "text/plain", `hello`},
		"/invalid": {200, "application/json", `{"a": }`},
		"/deep":    {200, "application/json", `{"a": [[[[[1]]]]]}`},
	}
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := answers[r.URL.Path]
		w.Header().Set("Content-Type", a.contentType)
		w.WriteHeader(a.status)
		w.Write([]byte(a.body))
	}))
	t.Cleanup(backend.Close)
	tests := []struct {
		strategy, path string
		status         int
		body           string
	}{
		{"always", "/object", 200, `{"id":7,"items":[1, {"deep": {"x": 1}}],"esc\"aped":"v","degraded":true,"source":"static"}`},
		{"always", "/error", 503, `{"error":"down","degraded":true,"source":"static"}`},
		{"always", "/empty", 200, `{"degraded":true,"source":"static"}`},
		{"success", "/object", 200, `{"id":7,"items":[1, {"deep": {"x": 1}}],"esc\"aped":"v","degraded":true,"source":"static"}`},
		{"success", "/error", 503, `{"error": "down"}`},
		{"complete", "/error", 503, `{"error": "down"}`},
		{"errored", "/object", 200, answers["/object"].body},
		{"errored", "/error", 503, `{"error":"down","degraded":true,"source":"static"}`},
		{"incomplete", "/error", 503, `{"error":"down","degraded":true,"source":"static"}`},
		{"always", "/array", 200, `[1, 2]`},
		{"always", "/text", 200, `hello`},
		{"always", "/invalid", 200, `{"a": }`},
		{"always", "/deep", 200, `{"a": [[[[[1]]]]]}`}, // deeper than max_body_depth 4
	}
	for _, tt := range tests {
		t.Run(tt.strategy+tt.path, func(t *testing.T) {
			e := newEngine(t, fmt.Sprintf(`{"max_body_depth": 4, "rules":[{"delegate":{"to": %q, "status": {"503": 502}, "static": {"strategy": %q, "data": {"degraded": true, "source": "static"}}}}]}`, backend.URL, tt.strategy), nil)
			res, body := serve(e, backendRequest(t, "GET", "http://backend.invalid"+tt.path, "", nil))
			want := tt.status
			if want == 503 {
				want = 502 // mapped after the strategy looked at the backend's own
			}
			if res.StatusCode != want || body != tt.body {
				t.Errorf("got %d %s, want %d %s", res.StatusCode, body, want, tt.body)
			}
			if res.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
				t.Errorf("Content-Length %q for %d bytes", res.Header.Get("Content-Length"), len(body))
			}
		})
	}
}

func TestStaticDataEmptyAndBounded(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"a":1,"b":2}`))
	}))
	t.Cleanup(backend.Close)
	e := newEngine(t, fmt.Sprintf(`{"rules":[{"delegate":{"to": %q, "static": {"data": {}}}}]}`, backend.URL), nil)
	if _, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/", "", nil)); body != `{"a":1,"b":2}` {
		t.Errorf("empty data: %s", body)
	}
	e = newEngine(t, fmt.Sprintf(`{"max_response_bytes": 20, "rules":[{"delegate":{"to": %q, "static": {"data": {"long": "0123456789"}}}}]}`, backend.URL), nil)
	if res, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/", "", nil)); res.StatusCode != 502 || !strings.Contains(body, "backend answer too large") {
		t.Errorf("a merged answer over max_response_bytes: %d %s", res.StatusCode, body)
	}
}

func TestDelayDistributions(t *testing.T) {
	decode := func(raw string) config.DelayRange {
		t.Helper()
		cfg, err := config.Decode(decodeJSON(t, `{"rules":[{"delay": `+raw+`, "response": {}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Rules[0].DelayRange
	}
	const n = 20000
	draws := func(d *delay) []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			out[i] = d.draw()
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out
	}

	ln := draws(compileDelay(decode(`{"distribution": "lognormal", "median": "80ms", "sigma": 0.4}`)))
	median := ln[n/2]
	if median < 76*time.Millisecond || median > 84*time.Millisecond {
		t.Errorf("log-normal median %s, want about 80ms", median)
	}
	// The 84th percentile of a log-normal is median·e^σ.
	if p84, want := ln[n*841/1000], 80*time.Millisecond*time.Duration(math.Exp(0.4)*1000)/1000; p84 < want*95/100 || p84 > want*105/100 {
		t.Errorf("log-normal 84th percentile %s, want about %s", p84, want)
	}
	if ln[0] <= 0 || ln[n-1] > decode(`{"distribution": "lognormal", "median": "80ms", "sigma": 0.4}`).Max {
		t.Errorf("draws from %s to %s", ln[0], ln[n-1])
	}

	capped := draws(compileDelay(decode(`{"distribution": "lognormal", "median": "80ms", "sigma": 2, "max": "100ms"}`)))
	if capped[n-1] != 100*time.Millisecond || capped[n/2] > 84*time.Millisecond {
		t.Errorf("capped draws: median %s, longest %s", capped[n/2], capped[n-1])
	}

	u := draws(compileDelay(decode(`{"distribution": "uniform", "min": "10ms", "max": "20ms"}`)))
	if u[0] < 10*time.Millisecond || u[n-1] > 20*time.Millisecond || u[n/2] < 14*time.Millisecond || u[n/2] > 16*time.Millisecond {
		t.Errorf("uniform draws from %s to %s, median %s", u[0], u[n-1], u[n/2])
	}
	if d := decode(`{"distribution": "uniform", "max": "5ms"}`); d.Min != 0 || d.Max != 5*time.Millisecond {
		t.Errorf("uniform without min: %+v", d)
	}
	if d := decode(`"7ms"`); compileDelay(d).draw() != 7*time.Millisecond {
		t.Errorf("a fixed delay: %+v", d)
	}
	if d := decode(`{"distribution": "lognormal", "median": "1s", "sigma": 0.5}`); d.Max != time.Duration(float64(time.Second)*math.Exp(2)).Round(time.Millisecond) || d.Min != 0 {
		t.Errorf("the default cap: %+v", d)
	}
}

func TestLogNormalDelayStopsWhenCancelled(t *testing.T) {
	e := newEngine(t, `{"rules":[{"delay": {"distribution": "lognormal", "median": "1h", "sigma": 0.1}, "response": {}}]}`, nil)
	ctx, cancel := context.WithCancel(context.Background())
	req := backendRequest(t, "GET", "http://backend.invalid/", "", nil).WithContext(ctx)
	done := make(chan int)
	go func() {
		res, _ := serve(e, req)
		done <- res.StatusCode
	}()
	cancel()
	select {
	case status := <-done:
		if status != 504 {
			t.Errorf("a cancelled delay answered %d", status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled request kept waiting")
	}
}
