package lint

import (
	"strings"
	"testing"
)

// TestSharedStateFindings checks what the linter says about state shared
// across the backends of one krakend.json.
func TestSharedStateFindings(t *testing.T) {
	backend := func(method, pattern, plugin string) string {
		return `{"endpoint": "` + pattern + `", "method": "` + method + `", "output_encoding": "no-op", "backend": [{"host": ["http://127.0.0.1:9000"], "url_pattern": "` + pattern + `", "encoding": "no-op",
			"extra_config": {"plugin/http-client": {"name": "krakend-rules", "krakend-rules": ` + plugin + `}}}]}`
	}
	cfg := func(endpoints ...string) string {
		return `{"version": 3, "plugin": {"folder": "` + pluginDir + `", "pattern": ".so"}, "endpoints": [` + strings.Join(endpoints, ",") + `]}`
	}
	tests := []struct {
		name   string
		config string
		want   []string // substrings of the findings, in order
	}{
		{"a state that another backend's rule reaches is fine", cfg(
			backend("GET", "/a", `{"rules": [{"scenario": {"name": "f", "state": "done"}, "response": {"body": 1}}]}`),
			backend("POST", "/b", `{"rules": [{"scenario": {"name": "f", "next": "done"}, "response": {"body": 1}}]}`),
		), nil},
		{"a state that no rule reaches", cfg(
			backend("GET", "/a", `{"rules": [{"scenario": {"name": "f", "state": "dnoe"}, "response": {"body": 1}}]}`),
			backend("POST", "/b", `{"rules": [{"scenario": {"name": "f", "next": "done"}, "response": {"body": 1}}]}`),
		), []string{`rules[0].scenario.state: never applies: scenario "f" starts in "Started" and no rule moves it to "dnoe" (the states rules move it to: "done")`}},
		{"the initial state is reached", cfg(
			backend("GET", "/a", `{"rules": [{"scenario": {"name": "f", "initial": "empty", "state": "empty"}, "response": {"body": 1}}]}`),
		), nil},
		{"scenarios of another store are others", cfg(
			backend("GET", "/a", `{"rules": [{"scenario": {"name": "f", "state": "done"}, "response": {"body": 1}}]}`),
			backend("POST", "/b", `{"store": {"name": "other"}, "rules": [{"scenario": {"name": "f", "next": "done"}, "response": {"body": 1}}]}`),
		), []string{`no rule moves it to "done"`}},
		{"crud on its collection and items", cfg(
			backend("GET", "/users", `{"rules": [{"crud": {"data_set": "u", "path": "/users"}}]}`),
			backend("POST", "/users", `{"rules": [{"crud": {"data_set": "u", "path": "/users"}}]}`),
			backend("PATCH", "/users/{id}", `{"rules": [{"crud": {"data_set": "u", "path": "/users"}}]}`),
		), nil},
		{"crud methods the path does not take", cfg(
			backend("PUT", "/users", `{"rules": [{"crud": {"data_set": "u", "path": "/users"}}]}`),
			backend("POST", "/users/{id}", `{"rules": [{"crud": {"data_set": "u", "path": "/users"}}]}`),
		), []string{
			`rules[0].crud.path: answers every request 405: the backend request is always PUT (the endpoint's method), and /users takes only GET, POST`,
			`rules[0].crud.path: answers every request 405: the backend request is always POST (the endpoint's method), and /users/{id} takes only GET, PUT, PATCH, DELETE`,
		}},
		{"crud on an endpoint that is not no-op", `{"version": 3, "plugin": {"folder": "` + pluginDir + `", "pattern": ".so"}, "endpoints": [
			{"endpoint": "/users", "backend": [{"host": ["http://127.0.0.1:9000"], "url_pattern": "/users",
			"extra_config": {"plugin/http-client": {"name": "krakend-rules", "krakend-rules": {"rules": [{"crud": {"data_set": "u", "path": "/users"}}]}}}}]}]}`,
			[]string{`rules[0].crud: its statuses (201, 204, 400, 404, 409) and headers (X-Total-Count, Location) never reach clients: the endpoint is not no-op`}},
		{"crud on another path", cfg(
			backend("GET", "/orders/{id}", `{"rules": [{"crud": {"data_set": "u", "path": "/users"}}]}`),
		), []string{`rules[0].crud.path: never applies: the backend request's path (url_pattern /orders/{id}) is neither /users nor /users/{id}`}},
		{"two settings for one store", cfg(
			backend("GET", "/a", `{"store": {"name": "s", "max_items": 3}, "rules": []}`),
			backend("GET", "/b", `{"store": {"name": "s", "max_items": 4}, "rules": []}`),
		), []string{"no rules", `error: endpoint GET /b (endpoints[1]), backend[0] /b [no rules]: store: store "s" is configured differently by another backend`}},
		{"two seeds for one data set", cfg(
			backend("GET", "/users", `{"rules": [{"crud": {"data_set": "u", "path": "/users", "seed": [{"id": 1}]}}]}`),
			backend("POST", "/users", `{"rules": [{"crud": {"data_set": "u", "path": "/users", "seed": [{"id": 2}]}}]}`),
		), []string{`rules[0].crud.data_set: data set "u" is seeded differently`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Content("krakend.json", []byte(tt.config))
			var got []string
			for _, f := range r.Findings {
				got = append(got, f.String())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d findings, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("finding %d:\n got %s\nwant …%s…", i, got[i], w)
				}
			}
		})
	}
}
