package e2e

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"testing"

	"krakend-rules/internal/explain"
)

// TestExplainAgreesWithTheGateway sends each request to the gateway and
// explains it from the same krakend.json: the rule the gateway names in
// X-Krakend-Rule, its status and its body are what explain says.
func TestExplainAgreesWithTheGateway(t *testing.T) {
	backend := newBackend(t, nil)
	g := startGateway(t, config(
		endpoint("POST", "/orders/{id}", backend.url, "/v1/orders/{id}", []string{"X-Tenant", "Content-Type"}, []string{"dry_run"}, `{"debug_header":true,"rules":[
			{"name":"acme-orders","match":{"path":"/v1/orders/*","headers":{"X-Tenant":"acme-*"},"query":{"dry_run":"!true"}},
			 "response":{"status":201,"body":{"tenant":"{{ .Header.Get \"X-Tenant\" }}","id":"{{ index .Segments 2 }}"}}},
			{"name":"eur","match":{"path":"~^/v1/orders/(?P<id>[0-9]+)$","body":{"currency":"EUR"}},"response":{"status":202,"body":{"id":"{{ .Params.id }}"}}},
			{"name":"big","match":{"path":"/v1/orders/*","body_json":{"lines":[{"sku":"A"}]}},"response":{"status":409,"body":{"error":"one line only"}}},
			{"name":"dry","match":{"query":{"dry_run":"true"}},"response":{"status":200,"body":{"dry":true}}}]}`),
		endpoint("GET", "/users/{id}", backend.url, "/users/{id}", []string{"Authorization"}, nil, `{"debug_header":true,"rules":[
			{"name":"me","match":{"path":"/users/me","headers":{"Authorization":"Bearer *"}},"response":{"body":{"me":true}}},
			{"name":"admins","match":{"path":"/users/*","any":[{"headers":{"Authorization":"Bearer admin-*"}},{"host":"admin.*"}]},"response":{"status":403}},
			{"name":"rest","match":{"path":"/users/*","not":{"headers":{"Authorization":"*"}}},"delegate":{}}]}`),
	))
	content, err := os.ReadFile(g.config)
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(g.url, "http://")
	json := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name, method, target string
		header               http.Header
		body                 string
		rule                 string // X-Krakend-Rule
		status               int
		nearMiss             string // a near miss explain reports
	}{
		{"a header", "POST", "/orders/7", http.Header{"X-Tenant": {"acme-eu"}}, "", "acme-orders", 201, ""},
		{"a body after a header near miss", "POST", "/orders/7", http.Header{"X-Tenant": {"globex"}, "Content-Type": {"application/json"}}, `{"currency":"EUR"}`, "eur", 202, `headers.X-Tenant "acme-*" failed, saw "globex"`},
		{"a dropped header is not seen", "POST", "/orders/7", http.Header{"X-Tenant": {"globex"}, "X-Other": {"acme-x"}}, `{"currency":"USD","lines":[{"sku":"A"}]}`, "big", 409, `body.currency "EUR" failed, saw "USD"`},
		{"a query parameter", "POST", "/orders/8?dry_run=true", json, `{"currency":"USD"}`, "dry", 200, `headers.X-Tenant "acme-*" failed, saw (absent)`},
		{"nothing matches", "POST", "/orders/abc", http.Header{"X-Tenant": {"none"}}, `{"currency":"EUR"}`, "delegated", 200, `headers.X-Tenant "acme-*" failed, saw "none"`},
		{"a literal path", "GET", "/users/me", http.Header{"Authorization": {"Bearer x"}}, "", "me", 200, ""},
		{"any", "GET", "/users/9", http.Header{"Authorization": {"Bearer admin-1"}, "X": {"y"}}, "", "admins", 403, ""},
		{"a delegate rule", "GET", "/users/5", nil, "", "rest", 200, `any (2 alternatives) failed, saw none held: any[0]: headers.Authorization "Bearer admin-*" saw (absent); any[1]: host "admin.*" saw "127.0.0.1"`},
		{"not", "GET", "/users/5", http.Header{"Authorization": {"Basic x"}}, "", "delegated", 200, `not failed, saw its match held: headers.Authorization "*" saw "Basic x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body *bytes.Reader
			if tt.body != "" {
				body = bytes.NewReader([]byte(tt.body))
			}
			var a answer
			if body != nil {
				a = g.do(tt.method, tt.target, tt.header, body)
			} else {
				a = g.do(tt.method, tt.target, tt.header, nil)
			}
			header := tt.header.Clone()
			if header == nil {
				header = http.Header{}
			}
			header.Set("Host", host)
			req := explain.Request{Method: tt.method, Target: tt.target, Header: header}
			if tt.body != "" {
				req.Body = []byte(tt.body)
			}
			ex, err := explain.Explain(content, explain.Select{Backend: -1}, req)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.header.Get("X-Krakend-Rule"); got != tt.rule {
				t.Fatalf("the gateway's rule is %q, want %q (%d %s)", got, tt.rule, a.status, a.body)
			}
			explained := ex.Rule
			if explained == "" {
				explained = "delegated"
			}
			if explained != tt.rule {
				t.Errorf("explain says %q, the gateway %q", explained, tt.rule)
			}
			if a.status != tt.status {
				t.Errorf("the gateway answered %d, want %d", a.status, tt.status)
			}
			switch {
			case ex.Answer != nil:
				if ex.Answer.Status != a.status || ex.Answer.Body != a.body || ex.Answer.Header.Get("Content-Type") != a.header.Get("Content-Type") {
					t.Errorf("explain answers %d %s, the gateway %d %s", ex.Answer.Status, ex.Answer.Body, a.status, a.body)
				}
			case a.body != `{"backend":true}`:
				t.Errorf("explain says the backend answers, the gateway answered %d %s", a.status, a.body)
			}
			if tt.nearMiss != "" {
				found := false
				for _, m := range ex.NearMisses() {
					found = found || strings.Contains(m.String(), tt.nearMiss)
				}
				if !found {
					t.Errorf("no near miss says %s: %v", tt.nearMiss, ex.NearMisses())
				}
			}
		})
	}
	// The gateway's DEBUG log says the same of the requests no rule matched.
	g.waitLog(`no rule matched, delegated POST /v1/orders/abc - near misses: rule "acme-orders": headers.X-Tenant "acme-*" failed, saw "none"`)
	g.waitLog(`no rule matched, delegated GET /users/5 - near misses: rule "admins": any (2 alternatives) failed`)
}
