package rules

import (
	"encoding/json"
	"krakend-rules/config"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestStaticResponse(t *testing.T) {
	e := newEngine(t, `{"rules":[{"name":"m","response":{
		"status": 503,
		"headers": {"retry-after": "600"},
		"body": {"z": 1, "a": [true, null, 2.5, "x"], "m": {"b": "<b>&"}}}}]}`, nil)
	res, body := serve(e, backendRequest(t, "DELETE", "http://backend.invalid/orders/1", "", nil))
	if res.StatusCode != 503 {
		t.Errorf("status %d, want 503", res.StatusCode)
	}
	if got := res.Header.Get("Retry-After"); got != "600" {
		t.Errorf("Retry-After %q, want 600", got)
	}
	if got := res.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q, want the application/json default", got)
	}
	want := `{"a":[true,null,2.5,"x"],"m":{"b":"\u003cb\u003e\u0026"},"z":1}`
	if body != want {
		t.Errorf("body %s, want %s (keys sorted, HTML-safe escaping)", body, want)
	}
	if got := res.Header.Get("Content-Length"); got != "63" || len(body) != 63 {
		t.Errorf("Content-Length %q for a body of %d bytes", got, len(body))
	}
}

func TestResponseDefaults(t *testing.T) {
	tests := []struct {
		name, response string
		status         int
		contentType    string
		body           string
	}{
		{"no body", `{}`, 200, "application/json", ""},
		{"a null body", `{"body": null}`, 200, "application/json", "null"},
		{"a string body", `{"body": "plain"}`, 200, "application/json", `"plain"`},
		{"a content type of its own", `{"headers":{"Content-Type":"text/plain"},"body_template":"hi {{ .Method }}"}`, 200, "text/plain", "hi GET"},
		{"no content length on 204", `{"status":204}`, 204, "application/json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, `{"rules":[{"response":`+tt.response+`}]}`, nil)
			res, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/", "", nil))
			if res.StatusCode != tt.status || res.Header.Get("Content-Type") != tt.contentType || body != tt.body {
				t.Errorf("got %d %q %q, want %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body, tt.status, tt.contentType, tt.body)
			}
			if tt.status == 204 && res.Header.Get("Content-Length") != "" {
				t.Errorf("a 204 answer carries Content-Length %q", res.Header.Get("Content-Length"))
			}
		})
	}
}

func TestTemplatedBodyStaysValidJSON(t *testing.T) {
	e := newEngine(t, `{"rules":[{"name":"mock","response":{"body":{
		"tenant": "{{ .Header.Get \"X-Tenant\" }}",
		"q": "{{ .Query.Get \"q\" }}",
		"items": ["{{ index .Segments 0 }}", {"static": "yes"}],
		"path": "{{ .Path }}"}}}]}`, nil)
	nasty := "a\"b\\c\nd\r\te</script><!--&\u2028\x01"
	req := backendRequest(t, "GET", "http://backend.invalid/users/7?q="+urlEncode(nasty), "", http.Header{"X-Tenant": {nasty}})
	res, body := serve(e, req)
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	if !json.Valid([]byte(body)) {
		t.Fatalf("invalid JSON: %s", body)
	}
	if strings.Contains(body, "</script>") {
		t.Errorf("</script> left unescaped: %s", body)
	}
	var got struct {
		Tenant, Q, Path string
		Items           []any
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Tenant != nasty || got.Q != nasty || got.Path != "/users/7" || got.Items[0] != "users" {
		t.Errorf("values changed on the way: %+v", got)
	}
	if res.Header.Get("Content-Length") != itoa(len(body)) {
		t.Errorf("Content-Length %q for %d bytes", res.Header.Get("Content-Length"), len(body))
	}
}

func TestTemplateData(t *testing.T) {
	tests := []struct {
		template string
		target   string
		want     string
	}{
		{`{{ .Method }}`, "/a", "PATCH"},
		{`{{ .Path }}`, "/a/b", "/a/b"},
		{`{{ .Segments }}`, "/a/b/", "[a b ]"},
		{`{{ len .Segments }}`, "/", "0"},
		{`{{ index .Segments 1 }}`, "/a/b", "b"},
		{`{{ .Query.Get "x" }}|{{ index .Query "y" }}`, "/a?x=1&y=2&y=3", "1|[2 3]"},
		{`{{ .Header.Get "x-one" }}|{{ .Header.Values "X-Two" }}|{{ index .Header "X-One" }}`, "/a", "1|[2 3]|[1]"},
		{`{{ .Host }}`, "/a", "backend.invalid:8080"},
		{`{{ .Rule }}`, "/a", "data"},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			cfg := map[string]any{"rules": []any{map[string]any{"name": "data", "response": map[string]any{"body_template": tt.template}}}}
			e, err := New(nil, cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			req := backendRequest(t, "PATCH", "http://backend.invalid:8080"+tt.target, "", http.Header{"X-One": {"1"}, "X-Two": {"2", "3"}})
			if _, body := serve(e, req); body != tt.want {
				t.Errorf("got %q, want %q", body, tt.want)
			}
		})
	}
}

func TestTemplatesCannotChangeTheRequestHeaders(t *testing.T) {
	// Set does not exist on the read-only view: the template fails when run.
	e := newEngine(t, `{"rules":[{"name":"w","response":{"body_template":"{{ .Header.Set \"X\" \"y\" }}"}}]}`, nil)
	req := backendRequest(t, "GET", "http://backend.invalid/", "", nil)
	res, _ := serve(e, req)
	if res.StatusCode != 500 || len(req.Header) != 0 {
		t.Errorf("status %d, request headers %v", res.StatusCode, req.Header)
	}
}

func TestBodyTemplateFunctions(t *testing.T) {
	body := `{"user":{"name":"Ann \"A\"","tags":["x","y"],"age":30}}`
	tests := []struct {
		template string
		want     string // a regexp the whole output must match
	}{
		{`{{ body "user.name" }}`, `^Ann "A"$`},
		{`{{ body "user.age" }}`, `^30$`},
		{`{{ body "user.missing" }}`, `^$`},
		{`{{ bodyRaw "user.tags" }}`, `^\["x","y"\]$`},
		{`{{ bodyRaw "user.name" }}`, `^"Ann \\"A\\""$`},
		{`{{ bodyRaw "nothing" }}`, `^null$`},
		{`{{ json .Segments }}`, `^\["p"\]$`},
		{`{{ json (body "user.name") }}`, `^"Ann \\"A\\""$`},
		{`{{ now.Year }}`, `^20[0-9][0-9]$`},
		{`{{ uuid }}`, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			cfg := map[string]any{"rules": []any{map[string]any{"response": map[string]any{"body_template": tt.template}}}}
			e, err := New(nil, cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, got := serve(e, backendRequest(t, "POST", "http://backend.invalid/p", body, nil))
			if !regexp.MustCompile(tt.want).MatchString(got) {
				t.Errorf("got %q, want a match of %s", got, tt.want)
			}
		})
	}
}

func TestBodyFunctionsOnAnUnreadableBody(t *testing.T) {
	e := newEngine(t, `{"rules":[{"response":{"body_template":"[{{ json (body \"a\") }},{{ bodyRaw \"a\" }}]"}}]}`, nil)
	for _, b := range []string{"", "not json", `{"a":`} {
		_, got := serve(e, backendRequest(t, "POST", "http://backend.invalid/", b, nil))
		if got != `["",null]` {
			t.Errorf("body %q: got %s", b, got)
		}
	}
}

func TestUUIDsDiffer(t *testing.T) {
	e := newEngine(t, `{"rules":[{"response":{"body":{"id":"{{ uuid }}"}}}]}`, nil)
	_, a := serve(e, backendRequest(t, "GET", "http://backend.invalid/", "", nil))
	_, b := serve(e, backendRequest(t, "GET", "http://backend.invalid/", "", nil))
	if a == b {
		t.Errorf("two answers with the same uuid: %s", a)
	}
}

func TestNowIsTheCurrentTime(t *testing.T) {
	e := newEngine(t, `{"rules":[{"response":{"body_template":"{{ now.Unix }}"}}]}`, nil)
	before := time.Now().Unix()
	_, got := serve(e, backendRequest(t, "GET", "http://backend.invalid/", "", nil))
	if got < itoa(int(before)) || got > itoa(int(time.Now().Unix())) {
		t.Errorf("now.Unix = %s, not between %d and now", got, before)
	}
}

func TestTemplatedHeaders(t *testing.T) {
	e := newEngine(t, `{"rules":[{"response":{"headers":{"X-Path":"{{ .Path }}","X-Static":"s"},"body":{"ok":true}}}]}`, nil)
	res, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/a/b", "", nil))
	if res.Header.Get("X-Path") != "/a/b" || res.Header.Get("X-Static") != "s" || body != `{"ok":true}` {
		t.Errorf("headers %v body %s", res.Header, body)
	}
}

func TestTemplatedHeaderCannotInjectALine(t *testing.T) {
	e := newEngine(t, `{"rules":[{"response":{"headers":{"X-Echo":"{{ .Header.Get \"X-In\" }}"}}}]}`, nil)
	res, _ := serve(e, backendRequest(t, "GET", "http://backend.invalid/", "", http.Header{"X-In": {"a\r\nSet-Cookie: evil=1\n\x00"}}))
	if got := res.Header.Get("X-Echo"); got != "a  Set-Cookie: evil=1  " {
		t.Errorf("X-Echo = %q", got)
	}
	if res.Header.Get("Set-Cookie") != "" {
		t.Error("a templated header value injected another header")
	}
}

func TestTemplateFailureAnswers500NamingTheRule(t *testing.T) {
	log := &testLogger{}
	e := newEngine(t, `{"rules":[{"name":"fragile","response":{"status":201,"headers":{"X-A":"b"},"body":{"third":"{{ index .Segments 2 }}"}}}]}`, log)
	res, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/only-one", "", nil))
	if res.StatusCode != 500 || body != `{"error":"response template failed","rule":"fragile"}` {
		t.Errorf("got %d %s", res.StatusCode, body)
	}
	if res.Header.Get("X-A") != "" {
		t.Errorf("the failed answer carries the rule's headers: %v", res.Header)
	}
	log.contains(t, "ERROR", `rule "fragile" could not render its response to GET /only-one`)
	log.contains(t, "ERROR", "index out of range")
}

func urlEncode(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		b.WriteString("%")
		b.WriteByte("0123456789ABCDEF"[c>>4])
		b.WriteByte("0123456789ABCDEF"[c&15])
	}
	return b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestTemplateReads: what the engine records, at load, of what each
// template reads by name, for the linter.
func TestTemplateReads(t *testing.T) {
	tests := []struct {
		text           string
		headers, query string
	}{
		{`{{ .Header.Get "x-tenant" }}`, "X-Tenant", ""},
		{`{{ .Header.Values "Accept" | json }} {{ index .Header "x-b" }}`, "Accept X-B", ""},
		{`{{ .Query.Get "q" | default "none" }} {{ index .Query "page" 0 }}`, "", "q page"},
		{`{{ if eq (.Header.Get "X-Beta") "1" }}{{ .Query.Get "v" }}{{ end }}`, "X-Beta", "v"},
		{`{{ range .Segments }}{{ $.Header.Get "X-In-Range" }}{{ .Header.Get "not-the-request" }}{{ end }}`, "X-In-Range", ""},
		{`{{ with .Params }}{{ .Query.Get "no" }}{{ end }}`, "", ""},
		{`{{ .Path }} {{ body "a" }} {{ .Header.Get (printf "X-%s" "A") }}`, "", ""},
	}
	for _, tt := range tests {
		set := newTemplateSet()
		if _, err := set.add(config.At("t"), tt.text); err != nil {
			t.Fatal(err)
		}
		set.add(config.At("other"), `{{ .Header.Get "X-Of-Another-Template" }}`)
		r := set.uses[0].Reads
		if h, q := strings.Join(r.Headers, " "), strings.Join(r.Query, " "); h != tt.headers || q != tt.query {
			t.Errorf("%s: headers %q, query %q; want %q, %q", tt.text, h, q, tt.headers, tt.query)
		}
	}
}

// TestCheckListsEveryTemplate: the linter reads the templates from what the
// engine compiled, so every place a template can stand is in the list,
// with its location.
func TestCheckListsEveryTemplate(t *testing.T) {
	checked, err := Check(decodeJSON(t, `{"rules": [
		{"response": {"headers": {"X-A": "{{ .Header.Get \"h1\" }}"}, "body": {"b": ["{{ .Query.Get \"q1\" }}"]}}},
		{"responses": [{"body_template": "{{ .Header.Get \"h2\" }}"}]},
		{"delegate": {"to": "http://{{ .Header.Get \"h3\" }}", "request_headers": {"X-B": "{{ .Query.Get \"q2\" }}"},
			"fallback": {"response": {"body": "{{ .Header.Get \"h4\" }}"}},
			"shadow": {"body": {"s": "{{ .Header.Get \"h5\" }}"}}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range checked.Templates {
		got = append(got, u.Location.String()+" "+strings.Join(append(u.Reads.Headers, u.Reads.Query...), ","))
	}
	want := []string{
		`rules[0].response.headers["X-A"] H1`,
		`rules[0].response.body.b[0] q1`,
		`rules[1].responses[0].body_template H2`,
		`rules[2].delegate.request_headers["X-B"] q2`,
		`rules[2].delegate.to H3`,
		`rules[2].delegate.fallback.response.body H4`,
		`rules[2].delegate.shadow.body.s H5`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
