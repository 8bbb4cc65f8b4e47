package rules

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestConfigErrorsNameTheirLocation(t *testing.T) {
	tests := []struct {
		name   string
		config string
		want   []string // every line of the error, in order
	}{
		{"not an object", `[]`, []string{`krakend-rules: must be an object, got a list`}},
		{"null", `null`, []string{`krakend-rules: must be an object, got null`}},
		{"unknown top-level field", `{"rule":[]}`, []string{`rule: unknown field, did you mean "rules"? (known fields: max_body_bytes, rules, debug_header)`}},
		{"max_body_bytes of the wrong type", `{"max_body_bytes":"1MB"}`, []string{`max_body_bytes: must be an integer, got a string`}},
		{"max_body_bytes not whole", `{"max_body_bytes":1.5}`, []string{`max_body_bytes: must be an integer, got 1.5`}},
		{"max_body_bytes zero", `{"max_body_bytes":0}`, []string{`max_body_bytes: must be a positive integer, got 0`}},
		{"rules not a list", `{"rules":{}}`, []string{`rules: must be a list of rules, got an object`}},
		{"a rule not an object", `{"rules":["x"]}`, []string{`rules[0]: must be an object, got a string`}},
		{"unknown rule field", `{"rules":[{"delegate":{},"macth":{}}]}`, []string{`rules[0].macth: unknown field, did you mean "match"? (known fields: name, match, response, responses, mode, delegate, delay, probability, active)`}},
		{"empty name", `{"rules":[{"name":"","delegate":{}}]}`, []string{`rules[0].name: must not be empty`}},
		{"name of the wrong type", `{"rules":[{"name":1,"delegate":{}}]}`, []string{`rules[0].name: must be a string, got a number`}},
		{"duplicate names", `{"rules":[{"name":"a","delegate":{}},{"name":"a","delegate":{}}]}`, []string{`rules[1].name: duplicate rule name "a" (also rules[0])`}},
		{"duplicate default names", `{"rules":[{"delegate":{}},{"name":"rule[0]","delegate":{}}]}`, []string{`rules[1].name: duplicate rule name "rule[0]" (also rules[0])`}},
		{"no action", `{"rules":[{"name":"x"}]}`, []string{`rules[0]: has no action: give it a response, responses or a delegate`}},
		{"both actions", `{"rules":[{"response":{},"delegate":{}}]}`, []string{`rules[0]: has more than one of response, responses and delegate: a rule has exactly one action`}},
		{"match not an object", `{"rules":[{"match":"/x","delegate":{}}]}`, []string{`rules[0].match: must be an object, got a string`}},
		{"unknown match field", `{"rules":[{"match":{"paths":"/x"},"delegate":{}}]}`, []string{`rules[0].match.paths: unknown field, did you mean "path"? (known fields: path, methods, headers, query, body, body_json, ignore_array_order, cookies, host, remote_ip, any, not)`}},
		{"bad path glob", `{"rules":[{"match":{"path":"/x/[a-"},"delegate":{}}]}`, []string{`rules[0].match.path: bad glob "/x/[a-": syntax error at `}},
		{"empty path", `{"rules":[{"match":{"path":""},"delegate":{}}]}`, []string{`rules[0].match.path: must not be empty (leave it out to match any path)`}},
		{"methods not a list", `{"rules":[{"match":{"methods":"GET"},"delegate":{}}]}`, []string{`rules[0].match.methods: must be a list of strings, got a string`}},
		{"empty method", `{"rules":[{"match":{"methods":["GET",""]},"delegate":{}}]}`, []string{`rules[0].match.methods[1]: must not be empty`}},
		{"method of the wrong type", `{"rules":[{"match":{"methods":[1]},"delegate":{}}]}`, []string{`rules[0].match.methods[0]: must be a string, got a number`}},
		{"bad header glob", `{"rules":[{"match":{"headers":{"X-Env":"[a-"}},"delegate":{}}]}`, []string{`rules[0].match.headers["X-Env"]: bad glob "[a-": syntax error at `}},
		{"header value of the wrong type", `{"rules":[{"match":{"headers":{"X-Env":true}},"delegate":{}}]}`, []string{`rules[0].match.headers["X-Env"]: must be a string, got a boolean`}},
		{"headers not an object", `{"rules":[{"match":{"headers":["X"]},"delegate":{}}]}`, []string{`rules[0].match.headers: must be an object of strings, got a list`}},
		{"bad query glob", `{"rules":[{"match":{"query":{"q":"{a,b"}},"delegate":{}}]}`, []string{`rules[0].match.query["q"]: bad glob "{a,b": syntax error at `}},
		{"bad body glob", `{"rules":[{"match":{"body":{"a.b":"!["}},"delegate":{}}]}`, []string{`rules[0].match.body["a.b"]: bad glob "![": syntax error at `}},
		{"empty body path", `{"rules":[{"match":{"body":{"":"x"}},"delegate":{}}]}`, []string{`rules[0].match.body[""]: a body condition needs a gjson path`}},
		{"response not an object", `{"rules":[{"response":true}]}`, []string{`rules[0].response: must be an object, got a boolean`}},
		{"unknown response field", `{"rules":[{"response":{"code":200}}]}`, []string{`rules[0].response.code: unknown field (known fields: status, headers, body, body_template, body_file)`}},
		{"status too low", `{"rules":[{"response":{"status":99}}]}`, []string{`rules[0].response.status: must be an HTTP status from 100 to 599, got 99`}},
		{"status too high", `{"rules":[{"response":{"status":600}}]}`, []string{`rules[0].response.status: must be an HTTP status from 100 to 599, got 600`}},
		{"status as a string", `{"rules":[{"response":{"status":"200"}}]}`, []string{`rules[0].response.status: must be an integer, got a string`}},
		{"body and body_template", `{"rules":[{"response":{"body":{},"body_template":"x"}}]}`, []string{`rules[0].response: has more than one of body, body_template and body_file: choose one`}},
		{"body on 204", `{"rules":[{"response":{"status":204,"body":{}}}]}`, []string{`rules[0].response.body: status 204 does not allow a body`}},
		{"body_template not a string", `{"rules":[{"response":{"body_template":{}}}]}`, []string{`rules[0].response.body_template: must be a string, got an object`}},
		{"bad body_template", `{"rules":[{"response":{"body_template":"{{ .Path"}}]}`, []string{`rules[0].response.body_template: bad template "{{ .Path": line 1: unclosed action`}},
		{"unknown function in body", `{"rules":[{"response":{"body":{"a":["{{ nope }}"]}}}]}`, []string{`rules[0].response.body.a[0]: bad template "{{ nope }}": line 1: function "nope" not defined`}},
		{"bad header template", `{"rules":[{"response":{"headers":{"X-A":"{{ end }}"}}}]}`, []string{`rules[0].response.headers["X-A"]: bad template "{{ end }}": line 1: unexpected {{end}}`}},
		{"delegate not an object", `{"rules":[{"delegate":[]}]}`, []string{`rules[0].delegate: must be an object, got a list`}},
		{"unknown delegate field", `{"rules":[{"delegate":{"url":"x"}}]}`, []string{`rules[0].delegate.url: unknown field (known fields: request_headers, response_headers)`}},
		{"bad request header template", `{"rules":[{"delegate":{"request_headers":{"X":"{{"}}}]}`, []string{`rules[0].delegate.request_headers["X"]: bad template "{{": line 1: unclosed action`}},
		{"response header of the wrong type", `{"rules":[{"delegate":{"response_headers":{"X":1}}}]}`, []string{`rules[0].delegate.response_headers["X"]: must be a string, got a number`}},
		{"every error at once", `{"max_body_bytes":-1,"rules":[
			{"name":"a","match":{"path":"[","methods":[""]},"response":{"status":700}},
			{"name":"b"},
			{"name":"c","match":{"headers":{"X":"{"}},"delegate":{"oops":1}}]}`, []string{
			`max_body_bytes: must be a positive integer, got -1`,
			`rules[0].match.methods[0]: must not be empty`,
			`rules[0].response.status: must be an HTTP status from 100 to 599, got 700`,
			`rules[0].match.path: bad glob "[": syntax error at `,
			`rules[1]: has no action: give it a response, responses or a delegate`,
			`rules[2].delegate.oops: unknown field (known fields: request_headers, response_headers)`,
			`rules[2].match.headers["X"]: bad glob "{": syntax error at `,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(context.Background(), decodeJSON(t, tt.config), Options{})
			if err == nil || e != nil {
				t.Fatalf("config accepted; want %q", tt.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(lines), len(tt.want), err)
			}
			for i, want := range tt.want {
				if !strings.HasPrefix(lines[i], want) {
					t.Errorf("error %d:\n got %s\nwant %s", i, lines[i], want)
				}
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("the errors are not *ConfigError")
			}
		})
	}
}

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
	log.contains(t, "INFO", LogPrefix+" 2 rules loaded: a, rule[1]")

	log = &testLogger{}
	newEngine(t, `{"rules":[]}`, log)
	log.contains(t, "WARNING", LogPrefix+" no rules configured: every request is delegated to the backend")
}

func TestRequestsAreLoggedAtDebug(t *testing.T) {
	backend := echoBackend(t)
	log := &testLogger{}
	e := newEngine(t, `{"rules":[{"name":"hit","match":{"path":"/hit"},"response":{}}]}`, log)
	serve(e, backendRequest(t, "GET", backend.URL+"/hit", "", nil))
	serve(e, backendRequest(t, "GET", backend.URL+"/miss", "", nil))
	log.contains(t, "DEBUG", LogPrefix+` rule "hit" answered GET /hit`)
	log.contains(t, "DEBUG", LogPrefix+" no rule matched, delegated GET /miss")
}
