package rules

import (
	"context"
	"encoding/base64"
	"krakend-rules/config"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMoreMatchers covers regexps, cookies, host, remote_ip, any, not and
// body_json, the same way TestMatch covers the v1 conditions.
func TestMoreMatchers(t *testing.T) {
	backend := echoBackend(t)
	tests := []struct {
		name   string
		match  string
		target string
		header http.Header
		body   string
		want   bool
	}{
		{"a path regexp matches", `{"path":"~^/users/[0-9]+$"}`, "/users/42", nil, "", true},
		{"a path regexp rejects", `{"path":"~^/users/[0-9]+$"}`, "/users/ann", nil, "", false},
		{"a regexp is unanchored", `{"path":"~[0-9]"}`, "/a/7/b", nil, "", true},
		{"a negated regexp", `{"headers":{"X-Env":"!~^prod"}}`, "/", http.Header{"X-Env": {"staging"}}, "", true},
		{"a negated regexp fails on a match", `{"headers":{"X-Env":"!~^prod"}}`, "/", http.Header{"X-Env": {"production"}}, "", false},
		{"an escaped tilde is literal", `{"query":{"q":"\\~x"}}`, "/?q=~x", nil, "", true},
		{"an escaped tilde is not a regexp", `{"query":{"q":"\\~x"}}`, "/?q=x", nil, "", false},

		{"a cookie matches", `{"cookies":{"session":"abc*"}}`, "/", http.Header{"Cookie": {"a=1; session=abc123"}}, "", true},
		{"a cookie rejects", `{"cookies":{"session":"abc*"}}`, "/", http.Header{"Cookie": {"session=zzz"}}, "", false},
		{"an absent cookie", `{"cookies":{"session":"!*"}}`, "/", http.Header{"Cookie": {"other=1"}}, "", true},

		{"host from X-Forwarded-Host without its port", `{"host":"api.example.com"}`, "/", http.Header{"X-Forwarded-Host": {"api.example.com:8080"}}, "", true},
		{"the first X-Forwarded-Host counts", `{"host":"*.example.com"}`, "/", http.Header{"X-Forwarded-Host": {"a.example.com, b.other"}}, "", true},
		{"host falls back to the URL host", `{"host":"127.0.0.1"}`, "/", nil, "", true},
		{"host rejects others", `{"host":"api.example.com"}`, "/", http.Header{"X-Forwarded-Host": {"www.example.com"}}, "", false},

		{"remote_ip in a range", `{"remote_ip":["10.0.0.0/8"]}`, "/", http.Header{"X-Forwarded-For": {"10.1.2.3"}}, "", true},
		{"remote_ip uses the first address", `{"remote_ip":["10.0.0.0/8"]}`, "/", http.Header{"X-Forwarded-For": {"192.0.2.1, 10.1.2.3"}}, "", false},
		{"remote_ip single address", `{"remote_ip":["192.0.2.1","2001:db8::/32"]}`, "/", http.Header{"X-Forwarded-For": {"192.0.2.1"}}, "", true},
		{"remote_ip IPv6", `{"remote_ip":["2001:db8::/32"]}`, "/", http.Header{"X-Forwarded-For": {"2001:db8::1"}}, "", true},
		{"remote_ip without the header", `{"remote_ip":["0.0.0.0/0"]}`, "/", nil, "", false},
		{"remote_ip garbage", `{"remote_ip":["0.0.0.0/0"]}`, "/", http.Header{"X-Forwarded-For": {"nonsense"}}, "", false},

		{"any holds with one", `{"any":[{"path":"/a"},{"path":"/b"}]}`, "/b", nil, "", true},
		{"any fails with none", `{"any":[{"path":"/a"},{"path":"/b"}]}`, "/c", nil, "", false},
		{"not inverts", `{"not":{"path":"/a/**"}}`, "/b/1", nil, "", true},
		{"not fails on its match", `{"not":{"path":"/a/**"}}`, "/a/1", nil, "", false},
		{"nesting", `{"path":"/x/**","any":[{"headers":{"X-A":"1"}},{"not":{"query":{"q":"*"}}}]}`, "/x/1", nil, "", true},
		{"nesting fails", `{"path":"/x/**","any":[{"headers":{"X-A":"1"}},{"not":{"query":{"q":"*"}}}]}`, "/x/1?q=2", nil, "", false},
		{"an unreadable body fails a not", `{"not":{"body":{"a":"x"}}}`, "/", nil, "not json", false},
		{"an unreadable body fails an any", `{"any":[{"path":"/"},{"body":{"a":"x"}}]}`, "/", nil, "not json", false},
		{"a readable body in a not", `{"not":{"body":{"a":"x"}}}`, "/", nil, `{"a":"y"}`, true},

		{"body_json partial object", `{"body_json":{"order":{"currency":"EUR"}}}`, "/", nil, `{"order":{"currency":"EUR","total":3},"x":1}`, true},
		{"body_json value differs", `{"body_json":{"order":{"currency":"EUR"}}}`, "/", nil, `{"order":{"currency":"USD"}}`, false},
		{"body_json numbers compare as numbers", `{"body_json":{"n":1.0}}`, "/", nil, `{"n":1}`, true},
		{"body_json types must agree", `{"body_json":{"n":1}}`, "/", nil, `{"n":"1"}`, false},
		{"body_json null", `{"body_json":{"n":null}}`, "/", nil, `{"n":null}`, true},
		{"body_json arrays in order", `{"body_json":{"a":[1,{"k":"v"}]}}`, "/", nil, `{"a":[1,{"k":"v","z":0}]}`, true},
		{"body_json arrays out of order", `{"body_json":{"a":[1,2]}}`, "/", nil, `{"a":[2,1]}`, false},
		{"body_json arrays of another length", `{"body_json":{"a":[1]}}`, "/", nil, `{"a":[1,2]}`, false},
		{"ignore_array_order", `{"body_json":{"a":[1,2]},"ignore_array_order":true}`, "/", nil, `{"a":[2,1]}`, true},
		{"ignore_array_order needs distinct elements", `{"body_json":{"a":[{"k":1},{"k":1,"j":2}]},"ignore_array_order":true}`, "/", nil, `{"a":[{"k":1,"j":2},{"k":1}]}`, true},
		{"ignore_array_order still counts", `{"body_json":{"a":[1,1]},"ignore_array_order":true}`, "/", nil, `{"a":[1,2]}`, false},
		{"body_json on an unreadable body", `{"body_json":{}}`, "/", nil, `{`, false},
		{"ignore_extra_fields false: the same members", `{"body_json":{"a":1,"o":{"b":[{"c":2}]}},"ignore_extra_fields":false}`, "/", nil, `{"o":{"b":[{"c":2.0}]},"a":1}`, true},
		{"ignore_extra_fields false: an extra member at the top", `{"body_json":{"a":1},"ignore_extra_fields":false}`, "/", nil, `{"a":1,"x":null}`, false},
		{"ignore_extra_fields false: an extra member inside", `{"body_json":{"o":{"b":1}},"ignore_extra_fields":false}`, "/", nil, `{"o":{"b":1,"x":0}}`, false},
		{"ignore_extra_fields false: in an array element", `{"body_json":{"a":[{"k":1}]},"ignore_extra_fields":false}`, "/", nil, `{"a":[{"k":1,"j":2}]}`, false},
		{"ignore_extra_fields false: a missing member", `{"body_json":{"a":1,"b":2},"ignore_extra_fields":false}`, "/", nil, `{"a":1}`, false},
		{"ignore_extra_fields false: a repeated member counts once", `{"body_json":{"a":2},"ignore_extra_fields":false}`, "/", nil, `{"a":1,"a":2}`, true},
		{"ignore_extra_fields false: an escaped name", `{"body_json":{"a\"b":1},"ignore_extra_fields":false}`, "/", nil, `{"a\u0022b":1}`, true},
		{"ignore_extra_fields false: empty object", `{"body_json":{},"ignore_extra_fields":false}`, "/", nil, `{"x":1}`, false},
		{"ignore_extra_fields false with ignore_array_order", `{"body_json":{"a":[{"k":1},{"k":1,"j":2}]},"ignore_array_order":true,"ignore_extra_fields":false}`, "/", nil, `{"a":[{"k":1,"j":2},{"k":1}]}`, true},
		{"ignore_extra_fields false with ignore_array_order: extra inside", `{"body_json":{"a":[{"k":1},{"k":2}]},"ignore_array_order":true,"ignore_extra_fields":false}`, "/", nil, `{"a":[{"k":2},{"k":1,"j":2}]}`, false},
		{"ignore_extra_fields true is the default", `{"body_json":{"a":1},"ignore_extra_fields":true}`, "/", nil, `{"a":1,"x":2}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, `{"rules":[{"name":"r","match":`+tt.match+`,"response":{"status":418}}]}`, nil)
			res, body := serve(e, backendRequest(t, "POST", backend.URL+tt.target, tt.body, tt.header))
			if matched := res.StatusCode == http.StatusTeapot; matched != tt.want {
				t.Fatalf("matched = %v, want %v (status %d, body %s)", matched, tt.want, res.StatusCode, body)
			}
		})
	}
}

func TestPathRegexpParams(t *testing.T) {
	e := newEngine(t, `{"rules":[{"match":{"path":"~^/users/(?P<id>[0-9]+)/orders/(?P<order>[a-z]+)$"},
		"response":{"body":{"user":"{{ .Params.id }}","order":"{{ .Params.order }}","none":"{{ .Params.nope }}"}}}]}`, nil)
	_, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/users/42/orders/abc", "", nil))
	if body != `{"none":"","order":"abc","user":"42"}` {
		t.Errorf("got %s", body)
	}
}

func TestBodyFile(t *testing.T) {
	dir := t.TempDir()
	static := filepath.Join(dir, "users.json")
	tmpl := filepath.Join(dir, "user.json.tmpl")
	os.WriteFile(static, []byte("{\"users\": [1, 2]}\n"), 0o644)
	os.WriteFile(tmpl, []byte(`{"id": {{ index .Segments 1 }}, "name": {{ json (.Query.Get "name") }}}`), 0o644)
	e := newEngine(t, `{"rules":[
		{"match":{"path":"/users"},"response":{"body_file":`+strconv.Quote(static)+`}},
		{"match":{"path":"/users/*"},"response":{"status":201,"body_file":`+strconv.Quote(tmpl)+`}}]}`, nil)
	res, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/users", "", nil))
	if body != "{\"users\": [1, 2]}\n" || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("static file: %q %v", body, res.Header)
	}
	res, body = serve(e, backendRequest(t, "GET", "http://backend.invalid/users/7?name=A%22n", "", nil))
	if res.StatusCode != 201 || body != `{"id": 7, "name": "A\"n"}` {
		t.Errorf("template file: %d %s", res.StatusCode, body)
	}

	_, err := New(context.Background(), decodeJSON(t, `{"rules":[{"response":{"body_file":"/no/such/file.json"}}]}`), Options{})
	if err == nil || err.Error() != `rules[0].response.body_file: cannot be read: /no/such/file.json: no such file or directory` {
		t.Errorf("missing file: %v", err)
	}
}

func TestMoreTemplateFunctions(t *testing.T) {
	t.Setenv("KRAKEND_RULES_REGION", "eu-west")
	tests := []struct {
		template string
		check    func(string) bool
	}{
		{`{{ .Query.Get "missing" | default "none" }}`, eq("none")},
		{`{{ .Query.Get "x" | default "none" }}`, eq("1")},
		{`{{ default "d" 0 }}|{{ default "d" false }}|{{ default "d" .Segments }}`, eq("d|d|[p]")},
		{`{{ randInt 5 8 }}`, func(s string) bool { n, _ := strconv.Atoi(s); return n >= 5 && n < 8 }},
		{`{{ oneOf "a" "b" }}`, func(s string) bool { return s == "a" || s == "b" }},
		{`{{ upper "abc" }}{{ lower "DEF" }}`, eq("ABCdef")},
		{`{{ base64 "hello?" }}`, eq(base64.StdEncoding.EncodeToString([]byte("hello?")))},
		{`{{ now | dateAdd "48h" | formatTime "2006-01-02" }}`, eq(time.Now().Add(48 * time.Hour).Format("2006-01-02"))},
		{`{{ now | formatTime "HTTP" }}`, func(s string) bool { _, err := http.ParseTime(s); return err == nil }},
		{`{{ env "KRAKEND_RULES_REGION" }}`, eq("eu-west")},
		{`{{ counter }}`, eq("1")},
		{`{{ retryAfter }}`, eq("0")},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			cfg := map[string]any{"rules": []any{map[string]any{"response": map[string]any{"body_template": tt.template}}}}
			e, err := New(context.Background(), cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			res, got := serve(e, backendRequest(t, "GET", "http://backend.invalid/p?x=1", "", nil))
			if res.StatusCode != 200 || !tt.check(got) {
				t.Errorf("got %d %q", res.StatusCode, got)
			}
		})
	}
}

func eq(want string) func(string) bool { return func(s string) bool { return s == want } }

func TestEnvIsLimitedToItsPrefix(t *testing.T) {
	t.Setenv("SECRET_TOKEN", "do-not-leak")
	_, err := New(context.Background(), decodeJSON(t, `{"rules":[{"response":{"body":{"t":"{{ env \"SECRET_TOKEN\" }}"}}}]}`), Options{})
	if err == nil || !strings.Contains(err.Error(), `rules[0].response.body.t: bad template "{{ env \"SECRET_TOKEN\" }}": env "SECRET_TOKEN": only variables whose names start with KRAKEND_RULES_ can be read`) {
		t.Errorf("a literal forbidden name was accepted: %v", err)
	}
	log := &testLogger{}
	e := newEngine(t, `{"rules":[{"name":"dyn","response":{"body":{"t":"{{ env (.Query.Get \"v\") }}"}}}]}`, log)
	res, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/?v=SECRET_TOKEN", "", nil))
	if res.StatusCode != 500 || strings.Contains(body, "do-not-leak") || body != `{"error":"response template failed","rule":"dyn"}` {
		t.Errorf("got %d %s", res.StatusCode, body)
	}
	log.contains(t, "ERROR", "only variables whose names start with KRAKEND_RULES_")
}

func TestResponseModes(t *testing.T) {
	tests := []struct {
		mode string
		want string // the statuses of seven requests
	}{
		{"", "201 202 203 201 202 203 201"},
		{`"mode":"sequence",`, "201 202 203 201 202 203 201"},
		{`"mode":"stick",`, "201 202 203 203 203 203 203"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			e := newEngine(t, `{"rules":[{`+tt.mode+`"responses":[{"status":201},{"status":202},{"status":203,"body":{"n":"{{ counter }}"}}]}]}`, nil)
			var got []string
			for range 7 {
				res, _ := serve(e, backendRequest(t, "GET", "http://backend.invalid/", "", nil))
				got = append(got, strconv.Itoa(res.StatusCode))
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("got %s, want %s", strings.Join(got, " "), tt.want)
			}
		})
	}
	e := newEngine(t, `{"rules":[{"mode":"random","responses":[{"status":201},{"status":202}]}]}`, nil)
	seen := map[int]int{}
	for range 200 {
		res, _ := serve(e, backendRequest(t, "GET", "http://backend.invalid/", "", nil))
		seen[res.StatusCode]++
	}
	if len(seen) != 2 || seen[201] < 50 || seen[202] < 50 {
		t.Errorf("random mode over 200 requests: %v", seen)
	}
}

func TestCounterIsExactUnderConcurrency(t *testing.T) {
	e := newEngine(t, `{"rules":[{"response":{"body_template":"{{ counter }}"}}]}`, nil)
	const n = 400
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n / 8 {
				_, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/", "", nil))
				mu.Lock()
				seen[body] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i := 1; i <= n; i++ {
		if !seen[strconv.Itoa(i)] {
			t.Fatalf("counter value %d never answered; %d distinct values", i, len(seen))
		}
	}
}

func TestDelay(t *testing.T) {
	e := newEngine(t, `{"rules":[{"name":"slow","delay":"60ms","response":{}}]}`, nil)
	start := time.Now()
	res, _ := serve(e, backendRequest(t, "GET", "http://backend.invalid/", "", nil))
	if took := time.Since(start); res.StatusCode != 200 || took < 60*time.Millisecond {
		t.Errorf("status %d after %v, want 200 after at least 60ms", res.StatusCode, took)
	}

	e = newEngine(t, `{"rules":[{"name":"slow","delay":"10s-20s","response":{}}]}`, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	res, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/", "", nil).WithContext(ctx))
	if took := time.Since(start); took > 2*time.Second || res.StatusCode != 504 {
		t.Errorf("a cancelled request waited %v and answered %d %s", took, res.StatusCode, body)
	}
}

func TestProbability(t *testing.T) {
	backend := echoBackend(t)
	e := newEngine(t, `{"rules":[
		{"name":"never","probability":0,"response":{"status":500}},
		{"name":"fault","probability":0.3,"response":{"status":503,"body_template":"{{ counter }}"}},
		{"name":"rest","delegate":{}}]}`, nil)
	faults, last := 0, ""
	for range 1000 {
		res, body := serve(e, backendRequest(t, "GET", backend.URL+"/", "", nil))
		switch res.StatusCode {
		case 503:
			faults++
			last = body
		case 200:
		default:
			t.Fatalf("status %d", res.StatusCode)
		}
	}
	if faults < 200 || faults > 400 {
		t.Errorf("probability 0.3 answered %d of 1000", faults)
	}
	if last != strconv.Itoa(faults) {
		t.Errorf("the counter says %s after %d answers: it must count only answered requests", last, faults)
	}
}

func TestActiveWindowInTheEngine(t *testing.T) {
	backend := echoBackend(t)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	e := newEngine(t, `{"rules":[
		{"name":"over","active":{"until":"`+past+`"},"response":{"status":500}},
		{"name":"now","active":{"from":"`+past+`","until":"`+future+`"},"response":{"status":503,"headers":{"Retry-After":"{{ retryAfter }}"}}}]}`, nil)
	res, _ := serve(e, backendRequest(t, "GET", backend.URL+"/", "", nil))
	retry, _ := strconv.Atoi(res.Header.Get("Retry-After"))
	if res.StatusCode != 503 || retry < 3500 || retry > 3600 {
		t.Errorf("got %d with Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
}

func TestActiveWindow(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		name   string
		active config.Active
		now    string
		in     bool
		left   int64
	}{
		{"inside from-until", config.Active{From: "2026-01-01T00:00:00Z", Until: "2026-01-02T00:00:00Z"}, "2026-01-01T23:59:00Z", true, 60},
		{"until is exclusive", config.Active{Until: "2026-01-02T00:00:00Z"}, "2026-01-02T00:00:00Z", false, 0},
		{"from is inclusive, no end", config.Active{From: "2026-01-01T00:00:00Z"}, "2026-01-01T00:00:00Z", true, 0},
		// 2026-11-28 is a Saturday.
		{"weekend nights", config.Active{Days: []string{"sat", "sun"}, Between: "02:00-04:00"}, "2026-11-28T03:00:00Z", true, 3600},
		{"start is inclusive", config.Active{Days: []string{"sat"}, Between: "02:00-04:00"}, "2026-11-28T02:00:00Z", true, 7200},
		{"end is exclusive", config.Active{Days: []string{"sat"}, Between: "02:00-04:00"}, "2026-11-28T04:00:00Z", false, 0},
		{"another day", config.Active{Days: []string{"sun"}, Between: "02:00-04:00"}, "2026-11-28T03:00:00Z", false, 0},
		{"past midnight, evening", config.Active{Days: []string{"fri"}, Between: "22:00-02:00"}, "2026-11-27T23:00:00Z", true, 3 * 3600},
		{"past midnight, next morning", config.Active{Days: []string{"fri"}, Between: "22:00-02:00"}, "2026-11-28T01:00:00Z", true, 3600},
		{"past midnight, not the morning before", config.Active{Days: []string{"fri"}, Between: "22:00-02:00"}, "2026-11-27T01:00:00Z", false, 0},
		{"24:00 as an end", config.Active{Days: []string{"sat"}, Between: "20:00-24:00"}, "2026-11-28T23:30:00Z", true, 1800},
		{"whole days run on", config.Active{Days: []string{"sat", "sun"}}, "2026-11-28T12:00:00Z", true, 36 * 3600},
		{"a zone", config.Active{Days: []string{"sat"}, Between: "02:00-04:00", TZ: "Europe/Madrid"}, "2026-11-28T01:30:00Z", true, 5400},
		{"a zone, outside", config.Active{Days: []string{"sat"}, Between: "02:00-04:00", TZ: "Europe/Madrid"}, "2026-11-28T03:30:00Z", false, 0},
		{"until cuts the weekly window", config.Active{Until: "2026-11-28T03:30:00Z", Between: "02:00-04:00"}, "2026-11-28T03:00:00Z", true, 1800},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs config.Errors
			w := compileActive(&errs, config.At("active"), &tt.active)
			if err := errs.Err(); err != nil {
				t.Fatal(err)
			}
			now := at(tt.now)
			if got := w.contains(now); got != tt.in {
				t.Errorf("contains = %v, want %v", got, tt.in)
			}
			if tt.in {
				if got := w.secondsLeft(now); got != tt.left {
					t.Errorf("secondsLeft = %d, want %d", got, tt.left)
				}
			}
		})
	}
}

func TestDebugHeader(t *testing.T) {
	backend := echoBackend(t)
	e := newEngine(t, `{"debug_header":true,"rules":[
		{"name":"mock","match":{"path":"/mock"},"response":{}},
		{"name":"broken","match":{"path":"/broken"},"response":{"body_template":"{{ index .Segments 5 }}"}},
		{"name":"pass","match":{"path":"/pass"},"delegate":{}}]}`, nil)
	for path, want := range map[string]string{"/mock": "mock", "/broken": "broken", "/pass": "pass", "/other": "delegated"} {
		res, _ := serve(e, backendRequest(t, "GET", backend.URL+path, "", nil))
		if got := res.Header.Get(DebugHeader); got != want {
			t.Errorf("%s: %s = %q, want %q", path, DebugHeader, got, want)
		}
	}
	e = newEngine(t, `{"rules":[{"response":{}}]}`, nil)
	if res, _ := serve(e, backendRequest(t, "GET", backend.URL+"/", "", nil)); res.Header.Get(DebugHeader) != "" {
		t.Errorf("debug header without debug_header")
	}
}
