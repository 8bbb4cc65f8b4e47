package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExplainCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	krakend := write("krakend.json", `{"version": 3, "endpoints": [
	  {"endpoint": "/orders/{id}", "method": "POST", "output_encoding": "no-op", "input_headers": ["X-Tenant"], "input_query_strings": ["dry_run"],
	   "backend": [{"host": ["http://orders:8080"], "url_pattern": "/v1/orders/{id}", "encoding": "no-op",
	     "extra_config": {"plugin/http-client": {"name": "krakend-rules", "krakend-rules": {"rules": [
	       {"name": "acme", "match": {"path": "/v1/orders/*", "headers": {"X-Tenant": "acme-*"}}, "response": {"status": 201, "body": {"id": "{{ index .Segments 2 }}"}}},
	       {"name": "eur", "match": {"path": "/v1/orders/*", "body": {"currency": "EUR"}}, "response": {"status": 202}}]}}}}]},
	  {"endpoint": "/broken", "backend": [{"url_pattern": "/b", "extra_config": {"plugin/http-client": {"name": "krakend-rules", "krakend-rules": {"rules": [{"response": {"status": 1}}]}}}}]}]}`)
	rulesFile := write("rules.json", `{"rules": [{"name": "users", "match": {"path": "~^/users/(?P<id>[0-9]+)$"}, "response": {"body": {"id": "{{ .Params.id }}"}}}]}`)
	body := write("body.json", `{"currency": "USD"}`)

	tests := []struct {
		name   string
		args   []string
		status int
		out    []string
	}{
		{"a rule answers", []string{krakend, "POST /orders/7", "-H", "X-Tenant: acme-eu"}, 0, []string{
			"endpoint POST /orders/{id} (endpoints[0]), backend[0] /v1/orders/{id}",
			"backend request: POST http://orders:8080/v1/orders/7",
			`rule "acme" (rules[0]) answers 201`, `{"id":"7"}`}},
		{"near misses, flags first, a body from a file", []string{"-H", "X-Tenant: globex", "-H", "X-Other: 1", "-d", "@" + body, krakend, "POST /orders/7?dry_run=1&x=2"}, 3, []string{
			"backend request: POST http://orders:8080/v1/orders/7?dry_run=1",
			"not forwarded by the endpoint, so no rule sees them: query x, header X-Other",
			"no rule applies: the request is delegated to the backend",
			`rules[0] rule "acme": headers.X-Tenant "acme-*" failed, saw "globex"`,
			`rules[1] rule "eur": body.currency "EUR" failed, saw "USD"`}},
		{"-endpoint and -X", []string{"-endpoint", "/orders/{id}", "-X", "post", krakend, "/orders/9"}, 3, []string{"no rule applies"}},
		{"a rules file", []string{rulesFile, "/users/12"}, 0, []string{"backend request: GET http://backend/users/12", `rule "users" (rules[0]) answers 200`, `{"id":"12"}`}},
		{"nothing on the path", []string{rulesFile, "/things"}, 3, []string{"no rule is about this path and method; the nearest:", `rules[0] rule "users": path "~^/users/(?P<id>[0-9]+)$" failed, saw "/things"`}},
		{"no endpoint", []string{krakend, "GET /nowhere"}, 1, nil},
		{"a configuration that does not load", []string{krakend, "GET /broken"}, 1, nil},
		{"bad usage", []string{krakend}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(append([]string{"explain"}, tt.args...), &stdout, &stderr)
			if status != tt.status {
				t.Fatalf("status %d, want %d\n%s%s", status, tt.status, stdout.String(), stderr.String())
			}
			for _, line := range tt.out {
				if !strings.Contains(stdout.String(), line) {
					t.Errorf("no %q in\n%s", line, stdout.String())
				}
			}
		})
	}

	var stdout, stderr bytes.Buffer
	if status := run([]string{"explain", "-json", krakend, "POST /orders/7", "-H", "X-Tenant: acme-1"}, &stdout, &stderr); status != 0 {
		t.Fatal(stderr.String())
	}
	var got struct {
		Rule           string
		Answer         struct{ Status int }
		BackendRequest struct{ URL string } `json:"backend_request"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil || got.Rule != "acme" || got.Answer.Status != 201 || got.BackendRequest.URL != "http://orders:8080/v1/orders/7" {
		t.Errorf("-json: %v %+v\n%s", err, got, stdout.String())
	}
}
