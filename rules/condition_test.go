package rules

import (
	"net/http"
	"strings"
	"testing"
)

// TestMatch runs one rule with a single match against requests: a match
// answers 418 from the rule; anything else is delegated to the backend.
func TestMatch(t *testing.T) {
	backend := echoBackend(t)
	tests := []struct {
		name   string
		match  string
		method string
		target string
		header http.Header
		body   string
		want   bool
	}{
		{"an empty match matches everything", `{}`, "GET", "/x", nil, "", true},

		{"a globstar path matches a child", `{"path":"/orders/**"}`, "GET", "/orders/1", nil, "", true},
		{"a globstar path matches deep children", `{"path":"/orders/**"}`, "GET", "/orders/1/items/2", nil, "", true},
		{"a globstar path matches the trailing slash", `{"path":"/orders/**"}`, "GET", "/orders/", nil, "", true},
		{"a globstar path does not match the bare parent", `{"path":"/orders/**"}`, "GET", "/orders", nil, "", false},
		{"a globstar path does not match a sibling prefix", `{"path":"/orders/**"}`, "GET", "/ordersx/1", nil, "", false},
		{"an alternation covers the parent too", `{"path":"/orders{,/**}"}`, "GET", "/orders", nil, "", true},
		{"a star stays in one segment", `{"path":"/orders/*"}`, "GET", "/orders/1/items", nil, "", false},
		{"a star matches one segment", `{"path":"/orders/*/items"}`, "GET", "/orders/1/items", nil, "", true},
		{"a middle globstar matches zero segments", `{"path":"/a/**/z"}`, "GET", "/a/z", nil, "", true},
		{"a middle globstar matches several segments", `{"path":"/a/**/z"}`, "GET", "/a/b/c/z", nil, "", true},
		{"a question mark is one character", `{"path":"/v?/x"}`, "GET", "/v2/x", nil, "", true},
		{"a class matches its range", `{"path":"/[a-c]at"}`, "GET", "/bat", nil, "", true},
		{"a class rejects others", `{"path":"/[a-c]at"}`, "GET", "/rat", nil, "", false},
		{"braces are alternatives", `{"path":"/{cats,dogs}/*"}`, "GET", "/dogs/rex", nil, "", true},
		{"a negated path holds elsewhere", `{"path":"!/admin/**"}`, "GET", "/public/x", nil, "", true},
		{"a negated path fails on its match", `{"path":"!/admin/**"}`, "GET", "/admin/x", nil, "", false},
		{"an escaped bang is literal", `{"path":"\\!x"}`, "GET", "/x", nil, "", false},

		{"methods are case-insensitive", `{"methods":["post","Put"]}`, "PUT", "/x", nil, "", true},
		{"methods reject others", `{"methods":["POST"]}`, "GET", "/x", nil, "", false},

		{"header names are case-insensitive", `{"headers":{"x-tenant":"acme-*"}}`, "GET", "/x", http.Header{"X-Tenant": {"acme-eu"}}, "", true},
		{"a header glob covers the whole value", `{"headers":{"X-Tenant":"acme"}}`, "GET", "/x", http.Header{"X-Tenant": {"acme-eu"}}, "", false},
		{"any header value may match", `{"headers":{"X-Tenant":"acme-*"}}`, "GET", "/x", http.Header{"X-Tenant": {"other", "acme-us"}}, "", true},
		{"a missing header does not match", `{"headers":{"X-Tenant":"*"}}`, "GET", "/x", nil, "", false},
		{"star means present", `{"headers":{"X-Tenant":"*"}}`, "GET", "/x", http.Header{"X-Tenant": {""}}, "", true},
		{"bang star means absent", `{"headers":{"X-Tenant":"!*"}}`, "GET", "/x", nil, "", true},
		{"bang star fails when present", `{"headers":{"X-Tenant":"!*"}}`, "GET", "/x", http.Header{"X-Tenant": {"a"}}, "", false},
		{"a negated header holds when no value matches", `{"headers":{"X-Env":"!prod"}}`, "GET", "/x", http.Header{"X-Env": {"dev"}}, "", true},
		{"a negated header fails when any value matches", `{"headers":{"X-Env":"!prod"}}`, "GET", "/x", http.Header{"X-Env": {"dev", "prod"}}, "", false},

		{"a query glob matches", `{"query":{"dry_run":"tr*"}}`, "GET", "/x?dry_run=true", nil, "", true},
		{"a negated query holds when absent", `{"query":{"dry_run":"!true"}}`, "GET", "/x", nil, "", true},
		{"a negated query fails on its value", `{"query":{"dry_run":"!true"}}`, "GET", "/x?dry_run=true", nil, "", false},
		{"any query value may match", `{"query":{"tag":"b"}}`, "GET", "/x?tag=a&tag=b", nil, "", true},
		{"query values are unescaped", `{"query":{"q":"a b"}}`, "GET", "/x?q=a%20b", nil, "", true},

		{"a body field matches", `{"body":{"order.currency":"{EUR,USD}"}}`, "POST", "/x", nil, `{"order":{"currency":"EUR"}}`, true},
		{"a body field rejects others", `{"body":{"order.currency":"{EUR,USD}"}}`, "POST", "/x", nil, `{"order":{"currency":"GBP"}}`, false},
		{"a number body field is its text", `{"body":{"n":"4?"}}`, "POST", "/x", nil, `{"n":42}`, true},
		{"an array body field matches any element", `{"body":{"tags":"b*"}}`, "POST", "/x", nil, `{"tags":["a","bee"]}`, true},
		{"an array body field fails with no element", `{"body":{"tags":"z*"}}`, "POST", "/x", nil, `{"tags":["a","bee"]}`, false},
		{"a negated array body field holds with no element", `{"body":{"tags":"!z*"}}`, "POST", "/x", nil, `{"tags":["a","bee"]}`, true},
		{"a missing body field does not match", `{"body":{"a":"*"}}`, "POST", "/x", nil, `{"b":1}`, false},
		{"a negated missing body field holds", `{"body":{"a":"!*"}}`, "POST", "/x", nil, `{"b":1}`, true},
		{"a non-JSON body fails even a negation", `{"body":{"a":"!*"}}`, "POST", "/x", nil, `not json`, false},
		{"an empty body fails even a negation", `{"body":{"a":"!*"}}`, "POST", "/x", nil, ``, false},
		{"a truncated body fails", `{"body":{"a":"*"}}`, "POST", "/x", nil, `{"a":"b"`, false},

		{"all conditions must hold", `{"path":"/orders/**","methods":["POST"],"headers":{"X-Tenant":"acme-*"},"query":{"dry_run":"!true"},"body":{"order.currency":"{EUR,USD}"}}`,
			"POST", "/orders/7", http.Header{"X-Tenant": {"acme-1"}}, `{"order":{"currency":"USD"}}`, true},
		{"one failing condition fails the rule", `{"path":"/orders/**","methods":["POST"],"headers":{"X-Tenant":"acme-*"},"query":{"dry_run":"!true"},"body":{"order.currency":"{EUR,USD}"}}`,
			"POST", "/orders/7?dry_run=true", http.Header{"X-Tenant": {"acme-1"}}, `{"order":{"currency":"USD"}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, `{"rules":[{"name":"r","match":`+tt.match+`,"response":{"status":418}}]}`, nil)
			res, body := serve(e, backendRequest(t, tt.method, backend.URL+tt.target, tt.body, tt.header))
			matched := res.StatusCode == http.StatusTeapot
			if matched != tt.want {
				t.Fatalf("matched = %v, want %v (status %d, body %s)", matched, tt.want, res.StatusCode, body)
			}
			if !matched {
				got := decodeEcho(t, body)
				if got.Body != tt.body {
					t.Errorf("the backend got body %q, want %q", got.Body, tt.body)
				}
			}
		})
	}
}

func TestBodyLongerThanTheBoundIsNotEvaluatedAndArrivesWhole(t *testing.T) {
	backend := echoBackend(t)
	e := newEngine(t, `{"max_body_bytes": 16, "rules":[
		{"name":"neg","match":{"body":{"a":"!x"}},"response":{"status":418}},
		{"name":"pos","match":{"body":{"a":"*"}},"response":{"status":419}}]}`, nil)
	big := `{"a":"` + strings.Repeat("y", 100) + `"}`
	for _, chunked := range []bool{false, true} {
		req := backendRequest(t, "POST", backend.URL+"/x", big, nil)
		if chunked {
			req.ContentLength = -1 // unknown length: the bound is found by reading
		}
		res, body := serve(e, req)
		if res.StatusCode != 200 {
			t.Fatalf("chunked=%v: a body over max_body_bytes selected a rule: %d %s", chunked, res.StatusCode, body)
		}
		if got := decodeEcho(t, body); got.Body != big {
			t.Fatalf("chunked=%v: the backend got %q, want %q", chunked, got.Body, big)
		}
	}
}

func TestRulesAreTriedInOrderAndTheFirstMatchWins(t *testing.T) {
	backend := echoBackend(t)
	e := newEngine(t, `{"rules":[
		{"name":"specific","match":{"path":"/a/special"},"response":{"body":{"rule":"{{ .Rule }}"}}},
		{"name":"broad","match":{"path":"/a/*"},"response":{"body":{"rule":"{{ .Rule }}"}}},
		{"name":"pass","match":{"path":"/b/**"},"delegate":{}},
		{"name":"never","match":{"path":"/b/**"},"response":{"status":500}}]}`, nil)
	tests := []struct{ path, want string }{
		{"/a/special", `{"rule":"specific"}`},
		{"/a/other", `{"rule":"broad"}`},
	}
	for _, tt := range tests {
		_, body := serve(e, backendRequest(t, "GET", backend.URL+tt.path, "", nil))
		if body != tt.want {
			t.Errorf("%s: got %s, want %s", tt.path, body, tt.want)
		}
	}
	res, body := serve(e, backendRequest(t, "GET", backend.URL+"/b/1", "", nil))
	if res.StatusCode != 200 || decodeEcho(t, body).Path != "/b/1" {
		t.Errorf("the delegate rule did not win over a later rule: %d %s", res.StatusCode, body)
	}
	res, body = serve(e, backendRequest(t, "GET", backend.URL+"/c", "", nil))
	if res.StatusCode != 200 || decodeEcho(t, body).Path != "/c" {
		t.Errorf("no rule matched but the request was not delegated: %d %s", res.StatusCode, body)
	}
}
