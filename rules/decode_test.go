package rules

import (
	"context"
	"testing"
)

func TestValidConfigs(t *testing.T) {
	tests := []struct{ name, config string }{
		{"empty", `{}`},
		{"empty rules", `{"rules":[]}`},
		{"the documented example", `{
			"max_body_bytes": 1048576,
			"rules": [
				{"name": "orders-maintenance",
				 "match": {"path": "/orders/**", "methods": ["POST", "PUT", "DELETE"], "headers": {"X-Tenant": "acme-*"},
				           "query": {"dry_run": "!true"}, "body": {"order.currency": "{EUR,USD}"}},
				 "response": {"status": 503, "headers": {"Retry-After": "600"},
				              "body": {"error": "maintenance", "path": "{{ .Path }}", "tenant": "{{ .Header.Get \"X-Tenant\" }}"}}},
				{"name": "everything-else", "delegate": {}}]}`},
		{"an empty match", `{"rules":[{"match":{},"response":{}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(context.Background(), decodeJSON(t, tt.config), Options{}); err != nil {
				t.Errorf("rejected: %v", err)
			}
		})
	}
}

func TestLoadIsLogged(t *testing.T) {
	log := &testLogger{}
	newEngine(t, `{"rules":[{"name":"a","delegate":{}},{"response":{}}]}`, log)
	log.contains(t, "INFO", LogPrefix+"[a +1] 2 rules loaded: a, rule[1]")

	log = &testLogger{}
	newEngine(t, `{"rules":[]}`, log)
	log.contains(t, "WARNING", LogPrefix+"[no rules] no rules configured: every request is delegated to the backend")
}

func TestRequestsAreLoggedAtDebug(t *testing.T) {
	backend := echoBackend(t)
	log := &testLogger{}
	e := newEngine(t, `{"rules":[{"name":"hit","match":{"path":"/hit"},"response":{}},{"name":"pass","match":{"path":"/pass"},"delegate":{}}]}`, log)
	serve(e, backendRequest(t, "GET", backend.URL+"/hit", "", nil))
	serve(e, backendRequest(t, "GET", backend.URL+"/pass", "", nil))
	serve(e, backendRequest(t, "GET", backend.URL+"/miss", "", nil))
	log.contains(t, "DEBUG", LogPrefix+`[hit +1] rule "hit" answered GET /hit`)
	log.contains(t, "DEBUG", LogPrefix+`[hit +1] rule "pass" delegated GET /pass`)
	log.contains(t, "DEBUG", LogPrefix+"[hit +1] no rule matched, delegated GET /miss")
}
