package rules

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const explainConfig = `{"debug_header": true, "rules": [
  {"name": "acme-orders", "match": {"path": "/orders/*", "methods": ["POST"], "headers": {"X-Tenant": "acme-*"}},
   "response": {"status": 201, "body": {"tenant": "{{ .Header.Get \"X-Tenant\" }}"}}},
  {"name": "eur-only", "match": {"path": "~^/orders/(?P<id>[0-9]+)$", "body": {"currency": "EUR"}},
   "response": {"status": 202, "body": {"id": "{{ .Params.id }}"}}},
  {"name": "either", "match": {"path": "/orders/*", "any": [{"query": {"a": "1"}}, {"cookies": {"c": "x"}}]},
   "response": {"status": 203}},
  {"name": "not-admin", "match": {"path": "/admin", "not": {"host": "internal.*"}}, "response": {"status": 403}},
  {"name": "users", "match": {"path": "/users/*"}, "delegate": {}}
]}`

func TestExplainSaysWhichRuleAnswersAndWhyTheOthersDidNot(t *testing.T) {
	e := newEngine(t, explainConfig, nil)
	tests := []struct {
		name, method, url, body string
		header                  http.Header
		rule                    string
		status                  int
		answer                  string
		misses                  []string // each near miss, in order
		delegated               bool
	}{
		{
			name: "the first rule answers", method: "POST", url: "http://b/orders/7",
			header: http.Header{"X-Tenant": {"acme-eu"}},
			rule:   "acme-orders", status: 201, answer: `{"tenant":"acme-eu"}`,
		},
		{
			name: "a wrong header makes a near miss and the body rule answers", method: "POST", url: "http://b/orders/7",
			body: `{"currency":"EUR"}`, header: http.Header{"X-Tenant": {"globex"}},
			rule: "eur-only", status: 202, answer: `{"id":"7"}`,
			misses: []string{`rule "acme-orders": headers.X-Tenant "acme-*" failed, saw "globex"`},
		},
		{
			name: "a body value and every alternative of any are reported", method: "PUT", url: "http://b/orders/7?a=2",
			body:      `{"currency":"USD"}`,
			misses:    []string{`rule "eur-only": body.currency "EUR" failed, saw "USD"`, `rule "either": any (2 alternatives) failed, saw none held: any[0]: query.a "1" saw "2"; any[1]: cookies.c "x" saw (absent)`},
			delegated: true,
		},
		{
			name: "an unreadable body is said to be one", method: "PUT", url: "http://b/orders/8", body: `{nope`,
			misses:    []string{`rule "eur-only": body.currency "EUR" failed, saw a body that is not JSON, or nests deeper than max_body_depth`, `rule "either": any (2 alternatives) failed`},
			delegated: true,
		},
		{
			name: "not says what held", method: "GET", url: "http://internal.example/admin",
			misses:    []string{`rule "not-admin": not failed, saw its match held: host "internal.*" saw "internal.example"`},
			delegated: true,
		},
		{
			name: "a delegate rule delegates", method: "GET", url: "http://b/users/1",
			rule: "users", delegated: true,
		},
		{
			name: "with nothing on the path the nearest rules are shown", method: "GET", url: "http://b/nothing",
			misses:    []string{`rule "acme-orders": methods POST failed, saw "GET"`, `rule "eur-only": path "~^/orders/(?P<id>[0-9]+)$" failed, saw "/nothing"`, `rule "either": path "/orders/*" failed`},
			delegated: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := e.Explain(backendRequest(t, tt.method, tt.url, tt.body, tt.header))
			if ex.Rule != tt.rule || ex.Delegated != tt.delegated {
				t.Fatalf("rule %q delegated %v, want %q %v", ex.Rule, ex.Delegated, tt.rule, tt.delegated)
			}
			if tt.status != 0 {
				if ex.Answer == nil || ex.Answer.Status != tt.status || ex.Answer.Body != tt.answer {
					t.Fatalf("answer %+v, want %d %s", ex.Answer, tt.status, tt.answer)
				}
				// The same request through ServeHTTP answers the same.
				res, body := serve(e, backendRequest(t, tt.method, tt.url, tt.body, tt.header))
				if res.StatusCode != tt.status || body != tt.answer || res.Header.Get(DebugHeader) != tt.rule {
					t.Errorf("ServeHTTP answered %d %s (%s), explain said %d %s", res.StatusCode, body, res.Header.Get(DebugHeader), tt.status, tt.answer)
				}
			}
			near := ex.NearMisses()
			if len(near) != len(tt.misses) {
				t.Fatalf("near misses %q, want %q", near, tt.misses)
			}
			for i, m := range near {
				if !strings.HasPrefix(m.String(), tt.misses[i]) {
					t.Errorf("near miss %d:\n got %s\nwant %s", i, m, tt.misses[i])
				}
			}
		})
	}
}

func TestExplainSaysWhyARuleOutsideItsWindowOrDrawDidNotApply(t *testing.T) {
	e := newEngine(t, `{"rules": [
	  {"name": "past", "active": {"until": "2001-01-01T00:00:00Z"}, "response": {"status": 500}},
	  {"name": "never", "probability": 0, "response": {"status": 500}},
	  {"name": "rest", "response": {"status": 200}}]}`, nil)
	ex := e.Explain(backendRequest(t, "GET", "http://b/x", "", nil))
	if ex.Rule != "rest" || len(ex.Tried) != 2 {
		t.Fatalf("%+v", ex)
	}
	if !strings.Contains(ex.Tried[0].Reason, "active window") || !strings.Contains(ex.Tried[1].Reason, "probability 0") {
		t.Errorf("reasons: %q, %q", ex.Tried[0].Reason, ex.Tried[1].Reason)
	}
}

func TestDebugLogGivesNearMissesWhenNoRuleMatched(t *testing.T) {
	log := &testLogger{}
	e := newEngine(t, explainConfig, log)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer backend.Close()
	req := backendRequest(t, "POST", backend.URL+"/orders/x", "", http.Header{"X-Tenant": {"globex"}})
	serve(e, req)
	log.contains(t, "DEBUG", `no rule matched, delegated POST /orders/x - near misses: rule "acme-orders": headers.X-Tenant "acme-*" failed, saw "globex"; rule "either": any (2 alternatives) failed`)

	// Without debug_header the line is the plain one.
	log2 := &testLogger{}
	e2 := newEngine(t, strings.Replace(explainConfig, `"debug_header": true`, `"debug_header": false`, 1), log2)
	serve(e2, backendRequest(t, "POST", backend.URL+"/orders/x", "", nil))
	log2.contains(t, "DEBUG", "no rule matched, delegated POST /orders/x")
	for _, l := range log2.lines {
		if strings.Contains(l, "near misses") {
			t.Errorf("near misses logged without debug_header: %s", l)
		}
	}
}

// A rule waiting for a scenario state says which state the scenario is in,
// and explaining a rule that moves a scenario does not move it.
func TestExplainSaysWhichStateAScenarioIsInAndMovesNone(t *testing.T) {
	e := newEngine(t, `{"store": {"name": "explain-scenario"}, "rules": [
	  {"name": "after", "match": {"path": "/todo"}, "scenario": {"name": "todo", "state": "added"}, "response": {"status": 200, "body": ["one"]}},
	  {"name": "add", "match": {"path": "/todo", "methods": ["POST"]}, "scenario": {"name": "todo", "next": "added"}, "response": {"status": 201}},
	  {"name": "before", "match": {"path": "/todo"}, "response": {"status": 200, "body": []}}
	]}`, nil)
	ex := e.Explain(backendRequest(t, "GET", "http://b/todo", "", nil))
	if ex.Rule != "before" || len(ex.Tried) != 2 || ex.Tried[0].Reason != `its conditions held; scenario "todo" is in state "Started", not "added"` {
		t.Fatalf("%+v", ex)
	}
	for range 2 {
		if ex := e.Explain(backendRequest(t, "POST", "http://b/todo", "", nil)); ex.Rule != "add" {
			t.Fatalf("POST explained as %q, want add", ex.Rule)
		}
	}
	// The explanations moved nothing: a GET is still answered before the
	// POST, and the gateway's first POST moves the scenario.
	if ex := e.Explain(backendRequest(t, "GET", "http://b/todo", "", nil)); ex.Rule != "before" {
		t.Fatalf("GET after explaining POSTs explained as %q, want before", ex.Rule)
	}
	if res, _ := serve(e, backendRequest(t, "POST", "http://b/todo", "", nil)); res.StatusCode != 201 {
		t.Fatalf("POST answered %d, want 201", res.StatusCode)
	}
	if res, body := serve(e, backendRequest(t, "GET", "http://b/todo", "", nil)); res.StatusCode != 200 || body != `["one"]` {
		t.Fatalf("GET after the POST answered %d %s", res.StatusCode, body)
	}
}
