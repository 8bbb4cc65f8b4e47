package lint

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// pluginDir is a plugin folder that holds a krakend-rules.so, for the
// configurations of the tests: KrakenD would load the plugin from it.
var pluginDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lint-plugins-")
	if err == nil {
		pluginDir = dir
		err = os.WriteFile(filepath.Join(dir, "krakend-rules.so"), nil, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// gatewayConfig is a krakend.json with one endpoint. The endpoint is given
// as JSON members, its backend's as well, and the krakend-rules object
// whole; each sits on a line of its own so that findings have known lines:
// the endpoint on line 4, the backend on line 6, the object on line 8. Its
// plugin folder is pluginDir.
func gatewayConfig(endpoint, backend, rules string) string {
	return fmt.Sprintf(`{
  "version": 3,
  "plugin": {"folder": %q, "pattern": ".so"},
  "endpoints": [{"endpoint": "/orders/{id}", %s
    "backend": [{"host": ["http://127.0.0.1:9000"], "url_pattern": "/orders/{id}",
      %s
      "extra_config": {"plugin/http-client": {"name": "krakend-rules", "krakend-rules":
        %s
      }}
    }]
  }]
}
`, pluginDir, endpoint, backend, rules)
}

const noOp = `"output_encoding": "no-op",`
const noOpBackend = `"encoding": "no-op",`

func TestFindings(t *testing.T) {
	const where = "endpoint GET /orders/{id} (endpoints[0]), backend[0] /orders/{id}: "
	const whereQuery = "endpoint GET /orders/{id} (endpoints[0]), backend[0] /orders/{id}?c=1: "
	const wherePost = "endpoint POST /orders/{id} (endpoints[0]), backend[0] /orders/{id}: "
	tests := []struct {
		name                   string
		endpoint, backend, cfg string
		want                   []string // without the file name
	}{
		{"a valid configuration", noOp, noOpBackend, `{"rules": [{"match": {"path": "/orders/*"}, "response": {"status": 503}}]}`, nil},
		{"configuration errors, located", noOp, noOpBackend,
			`{"rules": [{"match": {"path": "[a-", "macth": 1}, "response": {"status": 99}}]}`,
			[]string{
				`error: ` + where + `rules[0].match.path: bad glob "[a-": syntax error at 3: unexpected end of input`,
				`error: ` + where + `rules[0].match.macth: unknown field (known fields: path, methods, headers, query, cookies, host, remote_ip, body, body_json, ignore_array_order, ignore_extra_fields, body_text, form, multipart, xpath, body_xml, any, not)`,
				`error: ` + where + `rules[0].response.status: must be an HTTP status from 100 to 599, got 99`,
			}},
		{"an error with no place of its own points at its parent", noOp, noOpBackend, `{"rules": [{"name": "x"}]}`,
			[]string{`error: ` + where + `rules[0]: has no action: give it a response, responses, a delegate, a crud or stats`}},
		{"no krakend-rules object", "", "", `null, "other": {}`, nil}, // replaced below
		{"a rule that never applies", noOp, noOpBackend,
			`{"rules": [{"name": "all", "response": {}}, {"name": "late", "match": {"path": "/orders/1"}, "delegate": {}}]}`,
			[]string{`warning: ` + where + `rules[1]: never applies: rule "all" (rules[0]) comes first and has no conditions: it applies to every request`}},
		{"no rules", noOp, noOpBackend, `{"rules": []}`,
			[]string{`warning: ` + where + `rules: no rules: every request is delegated to the backend`}},
		{"a header the endpoint does not forward", noOp + ` "input_headers": ["x-tenant"],`, noOpBackend,
			`{"rules": [{"match": {"headers": {"X-Tenant": "a", "x-env": "b", "Content-Type": "c", "User-Agent": "d", "X-Forwarded-For": "e"}}, "response": {}}]}`,
			[]string{`warning: ` + where + `rules[0].match.headers["x-env"]: the endpoint does not forward the header X-Env (input_headers: X-Tenant), so the condition never sees a value`,
				`warning: ` + where + `rules[0].match.headers["Content-Type"]: the endpoint does not forward the header Content-Type (input_headers: X-Tenant), so the condition never sees a value`}},
		{"only Content-Type by default", noOp, noOpBackend,
			`{"rules": [{"match": {"headers": {"Content-Type": "a", "X-A": "!*"}}, "response": {}}]}`,
			[]string{`warning: ` + where + `rules[0].match.headers["X-A"]: the endpoint does not forward the header X-A (input_headers: none, so only Content-Type), so the condition never sees a value`}},
		{"every header", noOp + ` "input_headers": ["*"],`, noOpBackend,
			`{"rules": [{"match": {"headers": {"X-A": "a"}, "cookies": {"s": "1"}}, "response": {}}]}`, nil},
		{"cookies without the Cookie header, nested in any", noOp, noOpBackend,
			`{"rules": [{"match": {"any": [{"cookies": {"session": "*"}}, {"not": {"headers": {"X-B": "1"}}}]}, "response": {}}]}`,
			[]string{`warning: ` + where + `rules[0].match.any[0].cookies["session"]: the endpoint does not forward the Cookie header (input_headers: none, so only Content-Type), so the condition never sees a value: add "Cookie" to input_headers`,
				`warning: ` + where + `rules[0].match.any[1].not.headers["X-B"]: the endpoint does not forward the header X-B (input_headers: none, so only Content-Type), so the condition never sees a value`}},
		{"query parameters (and the url_pattern's own)", noOp + ` "input_query_strings": ["a", "b"],`, noOpBackend + ` "input_query_strings": ["a"], "url_pattern": "/orders/{id}?c=1",`,
			`{"rules": [{"match": {"query": {"a": "1", "b": "2", "c": "3", "d": "4"}}, "response": {}}]}`,
			[]string{`warning: ` + whereQuery + `rules[0].match.query["b"]: the backend's input_query_strings (a) drop the query parameter b, so the condition never sees a value`,
				`warning: ` + whereQuery + `rules[0].match.query["d"]: the endpoint does not forward the query parameter d (input_query_strings: a, b; names are case-sensitive), so the condition never sees a value`}},
		{"a body condition on a GET endpoint", noOp, noOpBackend,
			`{"rules": [{"match": {"not": {"body": {"a": "1"}}}, "response": {}}]}`,
			[]string{`warning: ` + where + `rules[0].match.not.body["a"]: the endpoint answers GET, whose requests seldom carry a body, and a rule with a body condition never applies to a request without one`}},
		{"a body condition on a POST endpoint", noOp + ` "method": "POST",`, noOpBackend,
			`{"rules": [{"match": {"body_json": {"a": 1}}, "response": {}}]}`, nil},
		{"a form on an endpoint that drops Content-Type", noOp + ` "method": "POST", "input_headers": ["X-A"],`, noOpBackend,
			`{"rules": [{"match": {"form": {"a": "1", "b": "2"}, "multipart": {"f": {"filename": "*"}}}, "response": {"body_template": "{{ .Form.Get \"a\" }}"}}]}`,
			[]string{`warning: ` + wherePost + `rules[0].match.form["a"]: the endpoint does not forward the Content-Type header (input_headers: X-A), so no body is a form and the rule never applies: add "Content-Type" to input_headers`,
				`warning: ` + wherePost + `rules[0].response.body_template: the template reads the form field a, but the endpoint does not forward the Content-Type header (input_headers: X-A), so no body is a form: it is always empty`}},
		{"an XML condition on a GET endpoint", noOp, noOpBackend,
			`{"rules": [{"match": {"xpath": {"/a": "1"}}, "response": {}}]}`,
			[]string{`warning: ` + where + `rules[0].match.xpath["/a"]: the endpoint answers GET, whose requests seldom carry a body, and a rule with a body condition never applies to a request without one`}},
		{"a body condition on a GET-only rule", noOp + ` "method": "POST",`, noOpBackend,
			`{"rules": [{"match": {"methods": ["get"], "body_text": "*x*"}, "response": {}}]}`,
			[]string{`warning: ` + wherePost + `rules[0].match.methods: never applies: the backend request is always POST (the endpoint's method)`,
				`warning: ` + wherePost + `rules[0].match.body_text: the rule only matches get, whose requests seldom carry a body, and a rule with a body condition never applies to a request without one`}},
		{"form, multipart and XML on a POST endpoint that forwards Content-Type", noOp + ` "method": "POST", "input_headers": ["Content-Type"],`, noOpBackend,
			`{"rules": [{"match": {"form": {"a": "1"}, "multipart": {"f": {"value": "1"}}, "xpath": {"/a": "num:>1"}, "body_xml": "<a/>", "body_text": "*"}, "response": {}}]}`, nil},
		{"methods the backend request never has", noOp + ` "method": "POST",`, noOpBackend,
			`{"rules": [{"match": {"methods": ["GET"]}, "response": {}}]}`,
			[]string{`warning: ` + wherePost + `rules[0].match.methods: never applies: the backend request is always POST (the endpoint's method)`}},
		{"the backend's own method", noOp + ` "method": "POST",`, noOpBackend + ` "method": "put",`,
			`{"rules": [{"match": {"methods": ["PUT"]}, "response": {}}, {"match": {"methods": ["POST"]}, "response": {}}]}`,
			[]string{`warning: ` + wherePost + `rules[1].match.methods: never applies: the backend request is always PUT (the backend's method)`}},
		{"statuses and headers a non-no-op endpoint hides", "", "",
			`{"debug_header": true, "rules": [{"match": {"path": "/x"}, "response": {"status": 503, "headers": {"Retry-After": "1", "content-type": "text/plain"}}}, {"delegate": {"status": {"404": 200, "501": 404}, "response_headers": {"X-A": "1", "X-B": null}, "fallback": {"responses": [{"status": 201}]}}}]}`,
			[]string{
				`warning: ` + where + `debug_header: X-Krakend-Rule never reaches clients: the endpoint is not no-op (output_encoding not set, backend encoding not set), so KrakenD keeps only the body: set "output_encoding": "no-op" on the endpoint and "encoding": "no-op" on the backend`,
				`warning: ` + where + `rules[0].response.status: clients never see 503: the endpoint is not no-op (output_encoding not set, backend encoding not set), so KrakenD keeps only the body: set "output_encoding": "no-op" on the endpoint and "encoding": "no-op" on the backend; KrakenD answers 200 for a backend's 200 or 201 and its own 500 for anything else (or set return_error_code)`,
				`warning: ` + where + `rules[0].response.headers["Retry-After"]: never reaches clients: the endpoint is not no-op (output_encoding not set, backend encoding not set), so KrakenD keeps only the body: set "output_encoding": "no-op" on the endpoint and "encoding": "no-op" on the backend`,
				`warning: ` + where + `rules[1].delegate.status["501"]: clients never see 404: the endpoint is not no-op (output_encoding not set, backend encoding not set), so KrakenD keeps only the body: set "output_encoding": "no-op" on the endpoint and "encoding": "no-op" on the backend; KrakenD answers 200 for a backend's 200 or 201 and its own 500 for anything else (or set return_error_code)`,
				`warning: ` + where + `rules[1].delegate.response_headers["X-A"]: never reaches clients: the endpoint is not no-op (output_encoding not set, backend encoding not set), so KrakenD keeps only the body: set "output_encoding": "no-op" on the endpoint and "encoding": "no-op" on the backend`,
				`warning: ` + where + `rules[1].delegate.fallback.responses[0].status: clients never see 201: the endpoint is not no-op (output_encoding not set, backend encoding not set), so KrakenD keeps only the body: set "output_encoding": "no-op" on the endpoint and "encoding": "no-op" on the backend; KrakenD answers 200 for a backend's 200 or 201 and its own 500 for anything else (or set return_error_code)`,
			}},
		{"templates reading what the endpoint does not forward", noOp + ` "method": "POST", "input_headers": ["X-Tenant"], "input_query_strings": ["q"],`, noOpBackend,
			`{"rules": [{"match": {"path": "/a"}, "response": {"headers": {"X-Echo": "{{ .Header.Get \"x-tenant\" }}{{ .Header.Get \"X-Other\" }}"}, "body": {"list": ["{{ index .Query \"page\" }}", "{{ .Query.Get \"q\" }}"]}}},
			  {"delegate": {"to": "http://{{ .Header.Get \"X-Shard\" }}:8080", "request_headers": {"X-Q": "{{ .Query.Get \"q\" }}", "X-Drop": null}, "shadow": {"body_template": "{{ .Header.Get \"X-Tenant\" }}{{ .Header.Get \"X-Shadow\" }}"}}}]}`,
			[]string{
				`warning: ` + wherePost + `rules[0].response.headers["X-Echo"]: the template reads the header X-Other, which the endpoint does not forward (input_headers: X-Tenant): it is always empty`,
				`warning: ` + wherePost + `rules[0].response.body.list[0]: the template reads the query parameter page: the endpoint does not forward the query parameter page (input_query_strings: q; names are case-sensitive), so it is always empty`,
				`warning: ` + wherePost + `rules[1].delegate.to: the template reads the header X-Shard, which the endpoint does not forward (input_headers: X-Tenant): it is always empty`,
				`warning: ` + wherePost + `rules[1].delegate.shadow.body_template: the template reads the header X-Shadow, which the endpoint does not forward (input_headers: X-Tenant): it is always empty`,
			}},
		{"a callback to a host not in callback_hosts", noOp, noOpBackend,
			`{"callback_hosts": ["127.0.0.1:9000"], "rules": [{"response": {}, "callbacks": [{"url": "http://127.0.0.1:9001/x"}]}]}`,
			[]string{`error: ` + where + `rules[0].callbacks[0].url: the host 127.0.0.1:9001 is not in callback_hosts (127.0.0.1:9000)`}},
		{"callback templates reading what the endpoint does not forward", noOp, noOpBackend,
			`{"callback_hosts": ["127.0.0.1:9000"], "rules": [{"response": {}, "callbacks": [{"url": "http://127.0.0.1:9000/{{ .Query.Get \"order\" }}", "headers": {"X-Sig": "{{ .Header.Get \"X-Signature\" }}"}}]}]}`,
			[]string{
				`warning: ` + where + `rules[0].callbacks[0].url: the template reads the query parameter order: the endpoint does not forward the query parameter order (input_query_strings: none; names are case-sensitive), so it is always empty`,
				`warning: ` + where + `rules[0].callbacks[0].headers["X-Sig"]: the template reads the header X-Signature, which the endpoint does not forward (input_headers: none, so only Content-Type): it is always empty`,
			}},
		{"template helpers reading a cookie and a query object the endpoint does not forward", noOp + ` "method": "POST", "input_headers": ["X-Tenant"], "input_query_strings": ["q", "page[size]"],`, noOpBackend,
			`{"rules": [{"match": {"path": "/a"}, "response": {"body": {"s": "{{ cookie \"session\" }}", "f": "{{ queryObject \"filter\" | json }}", "p": "{{ queryObject \"page\" }}", "h": "{{ hostname }}:{{ port }}"}}}]}`,
			[]string{
				`warning: ` + wherePost + `rules[0].response.body.s: the template reads the header Cookie, which the endpoint does not forward (input_headers: X-Tenant): it is always empty`,
				`warning: ` + wherePost + `rules[0].response.body.f: the template reads the query object filter (filter[…]): the endpoint forwards no query parameter filter[…] (input_query_strings: q, page[size]): list its keys or "*", so it is always empty`,
			}},
		{"a recording keyed by what the endpoint does not forward", noOp + ` "input_headers": ["X-Tenant"], "input_query_strings": ["page"],`, noOpBackend,
			`{"rules": [{"delegate": {"record": {"file": "/tmp/krakend-rules-lint-record.json", "key": {"headers": ["x-tenant", "X-Region"], "query": ["page", "size"]}}}}]}`,
			[]string{
				`warning: ` + where + `rules[0].delegate.record.key.headers[1]: the endpoint does not forward the header X-Region (input_headers: X-Tenant), so every recording is keyed as if it were absent`,
				`warning: ` + where + `rules[0].delegate.record.key.query[1]: the endpoint does not forward the query parameter size (input_query_strings: page; names are case-sensitive), so every recording is keyed as if it were absent`,
			}},
		{"Prometheus statistics on an endpoint that is not no-op", "", "",
			`{"rules": [{"match": {"path": "/a"}, "stats": {"format": "prometheus"}}, {"stats": {}}]}`,
			[]string{`warning: ` + where + `rules[0].stats.format: the Prometheus text never reaches clients: the endpoint is not no-op (output_encoding not set, backend encoding not set), so KrakenD keeps only the body: set "output_encoding": "no-op" on the endpoint and "encoding": "no-op" on the backend, and KrakenD decodes the answer as JSON`}},
		{"return_error_code lets statuses through", "", `"extra_config_": 0,`, `{"rules": [{"response": {"status": 503}}]}`, nil}, // replaced below
		{"a delegate timeout the endpoint's overrides", noOp + ` "timeout": "1s",`, noOpBackend,
			`{"rules": [{"match": {"path": "/a"}, "delegate": {"timeout": "1s", "fallback": {"response": {}}}}, {"delegate": {"timeout": "900ms"}}]}`,
			[]string{`warning: ` + where + `rules[0].delegate.timeout: 1s is not shorter than the endpoint's timeout (1s, set on the endpoint): KrakenD discards the plugin's answer when that passes, so its 504 and the fallback for a slow backend never reach clients`}},
		{"delays the endpoint's timeout cuts short", noOp + ` "timeout": "1s",`, noOpBackend,
			`{"rules": [{"match": {"path": "/a"}, "delay": "1s", "response": {}}, {"match": {"path": "/b"}, "delay": "100ms-1500ms", "delegate": {}}, {"match": {"path": "/c"}, "delay": "100ms - 999ms", "response": {}}, {"delay": "2s-3s", "response": {}}]}`,
			[]string{
				`warning: ` + where + `rules[0].delay: 1s is not shorter than the endpoint's timeout (1s, set on the endpoint): KrakenD discards the plugin's answer when that passes and answers its own error (an empty 500), so this rule's answer never reaches clients`,
				`warning: ` + where + `rules[1].delay: 100ms-1500ms reaches 1.5s, which is not shorter than the endpoint's timeout (1s, set on the endpoint): KrakenD discards the plugin's answer when that passes and answers its own error (an empty 500) to the requests delayed that long instead of this rule's answer`,
				`warning: ` + where + `rules[3].delay: 2s-3s is not shorter than the endpoint's timeout (1s, set on the endpoint): KrakenD discards the plugin's answer when that passes and answers its own error (an empty 500), so this rule's answer never reaches clients`,
			}},
		{"log-normal delays the endpoint's timeout cuts short", noOp + ` "timeout": "1s",`, noOpBackend,
			`{"rules": [{"match": {"path": "/a"}, "delay": {"distribution": "lognormal", "median": "500ms", "sigma": 0.5}, "response": {}}, {"delay": {"distribution": "lognormal", "median": "100ms", "sigma": 0.5, "max": "900ms"}, "response": {}}]}`,
			[]string{
				`warning: ` + where + `rules[0].delay: lognormal (median 500ms, sigma 0.5, max 3.695s) reaches 3.695s, which is not shorter than the endpoint's timeout (1s, set on the endpoint): KrakenD discards the plugin's answer when that passes and answers its own error (an empty 500) to the requests delayed that long instead of this rule's answer`,
			}},
		{"bodies that are not JSON on an endpoint that decodes JSON", "", "",
			`{"rules": [{"match": {"path": "/a"}, "response": {"headers": {"Content-Type": "text/plain"}, "body": "OK"}}, {"match": {"path": "/b"}, "response": {"body_base64": "AAEC"}}, {"match": {"path": "/c"}, "response": {"body": "quoted JSON string"}}, {"match": {"path": "/d"}, "response": {"headers": {"Content-Type": "application/problem+json"}, "body": "x"}}, {"match": {"path": "/e"}, "response": {"headers": {"Content-Type": null}, "body": {"a": 1}}}, {"match": {"path": "/f"}, "response": {"headers": {"Content-Type": "text/plain"}, "body": "{\"a\": 1}"}}, {"delegate": {"fallback": {"response": {"headers": {"Content-Type": null}, "body": "bare"}}}}]}`,
			[]string{
				`warning: ` + where + `rules[0].response: sends a body that is not JSON, but KrakenD decodes this backend's answers as JSON (backend encoding not set), so clients get an error instead: the endpoint is not no-op (output_encoding not set, backend encoding not set), so KrakenD keeps only the body: set "output_encoding": "no-op" on the endpoint and "encoding": "no-op" on the backend`,
				`warning: ` + where + `rules[1].response: sends a body that is not JSON, but KrakenD decodes this backend's answers as JSON (backend encoding not set), so clients get an error instead: the endpoint is not no-op (output_encoding not set, backend encoding not set), so KrakenD keeps only the body: set "output_encoding": "no-op" on the endpoint and "encoding": "no-op" on the backend`,
				`warning: ` + where + `rules[6].delegate.fallback.response: sends a body that is not JSON, but KrakenD decodes this backend's answers as JSON (backend encoding not set), so clients get an error instead: the endpoint is not no-op (output_encoding not set, backend encoding not set), so KrakenD keeps only the body: set "output_encoding": "no-op" on the endpoint and "encoding": "no-op" on the backend`,
			}},
		{"a delay and the root's timeout", noOp, noOpBackend,
			`{"rules": [{"delay": "3s", "response": {}}]}`, nil}, // replaced below
		{"the default endpoint timeout", noOp, noOpBackend,
			`{"rules": [{"delegate": {"timeout": "2s"}}]}`,
			[]string{`warning: ` + where + `rules[0].delegate.timeout: 2s is not shorter than the endpoint's timeout (2s, KrakenD's default): KrakenD discards the plugin's answer when that passes, so its 504 never reach clients`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			config := gatewayConfig(tt.endpoint, tt.backend, tt.cfg)
			switch tt.name {
			case "no krakend-rules object":
				config = strings.Replace(gatewayConfig(noOp, noOpBackend, `{}`), `"krakend-rules":`+"\n        {}", `"krakend_rules": {}`, 1)
				tt.want = []string{`error: ` + where + `endpoints[0].backend[0].extra_config["plugin/http-client"]: no "krakend-rules" object with the rules: the backend fails closed (every request answers 500)`}
			case "a delay and the root's timeout":
				config = strings.Replace(config, `"version": 3,`, `"version": 3, "timeout": "3s",`, 1)
				tt.want = []string{`warning: ` + where + `rules[0].delay: 3s is not shorter than the endpoint's timeout (3s, set at the root): KrakenD discards the plugin's answer when that passes and answers its own error (an empty 500), so this rule's answer never reaches clients`}
			case "return_error_code lets statuses through":
				config = strings.Replace(config, `"extra_config_": 0,`, ``, 1)
				config = strings.Replace(config, `"extra_config": {`, `"extra_config": {"backend/http": {"return_error_code": true}, `, 1)
			}
			report := Content("krakend.json", []byte(config))
			var got []string
			for _, f := range report.Findings {
				if f.File != "krakend.json" {
					t.Errorf("finding in %s", f.File)
				}
				checkPlace(t, config, f)
				f.Line = 0
				got = append(got, withoutLabel(strings.TrimPrefix(f.String(), "krakend.json: ")))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("config:\n%s\n got:\n%s\nwant:\n%s", config, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if report.Backends != 1 {
				t.Errorf("%d backends, want 1", report.Backends)
			}
		})
	}
}

func TestLuraNamespaceAndNoPluginObject(t *testing.T) {
	config := `{"version": 3, "endpoints": [{"endpoint": "/a", "backend": [
  {"url_pattern": "/a", "extra_config": {"github.com/devopsfaith/krakend/transport/http/client/executor": {"name": "krakend-rules", "krakend-rules": {"rules": [{"response": {"status": 9}}]}}}},
  {"url_pattern": "/b", "extra_config": {"plugin/http-client": {"name": "another-plugin"}}}
]}]}`
	report := Content("k.json", []byte(config))
	for i, f := range report.Findings {
		checkPlace(t, config, f)
		if f.Location != "" {
			report.Findings[i].Line = 0
		}
	}
	want := []string{
		`k.json:1:1: warning: no "plugin" object: KrakenD loads no plugins, so the 1 backend(s) naming krakend-rules are sent straight to their hosts; add "plugin": {"folder": "/path/to/plugins/", "pattern": ".so"}`,
		`k.json: error: endpoint GET /a (endpoints[0]), backend[0] /a: rules[0].response.status: must be an HTTP status from 100 to 599, got 9`,
	}
	if got := findingLines(report); got != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if report.Backends != 1 || report.Count(Error) != 1 || report.Count(Warning) != 1 {
		t.Errorf("backends %d, errors %d, warnings %d", report.Backends, report.Count(Error), report.Count(Warning))
	}
}

func TestNotJSON(t *testing.T) {
	report := Content("k.json", []byte("{\n  \"endpoints\": [,]\n}"))
	if got, want := findingLines(report), `k.json:2:17: error: not valid JSON: invalid character ',' looking for beginning of value`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestRulesFile: problems inside a rules_file are located in it; one that
// cannot be read at its rules_file member.
func TestRulesFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("rules.json", []byte("{\"rules\": [\n  {\"name\": \"a\", \"response\": {}},\n  {\"name\": \"b\", \"match\": {\"path\": \"[\"}, \"response\": {}}\n]}\n"), 0o644)
	os.WriteFile("mock.json.tmpl", []byte(`{"tenant": {{ .Header.Get "X-Tenant" | json }}}`), 0o644)
	os.WriteFile("slow.json", []byte("{\"rules\": [\n  {\"match\": {\"path\": \"/a\"}, \"delay\": \"2s\", \"response\": {}}\n]}\n"), 0o644)
	os.WriteFile("shadowed.json", []byte("{\"rules\": [\n  {\"name\": \"a\", \"match\": {\"headers\": {\"X-A\": \"1\"}}, \"response\": {}}\n]}\n"), 0o644)
	const where = "endpoint GET /orders/{id} (endpoints[0]), backend[0] /orders/{id}: "
	tests := []struct{ cfg, want string }{
		{`{"rules_file": "rules.json"}`,
			`rules.json: error: ` + where + `rules[1].match.path: bad glob "[": syntax error at 1: unexpected end of input`},
		{`{"rules": [{"response": {"body_file": "mock.json.tmpl"}}]}`,
			`krakend.json: warning: ` + where + `rules[0].response.body_file: the template reads the header X-Tenant, which the endpoint does not forward (input_headers: none, so only Content-Type): it is always empty`},
		{`{"rules_file": "missing.json"}`,
			`krakend.json: error: ` + where + `rules_file: cannot be read: missing.json: no such file or directory (resolved against the gateway's working directory, ` + dir + `: ` + filepath.Join(dir, "missing.json") + `)`},
		{`{"rules": [{"response": {"body_file": "missing.json"}}]}`,
			`krakend.json: error: ` + where + `rules[0].response.body_file: cannot be read: missing.json: no such file or directory (a relative name is resolved against the gateway's working directory, ` + dir + `)`},
		{`{"rules_file": "slow.json"}`,
			`slow.json: warning: ` + where + `rules[0].delay: 2s is not shorter than the endpoint's timeout (2s, KrakenD's default): KrakenD discards the plugin's answer when that passes and answers its own error (an empty 500), so this rule's answer never reaches clients`},
		{`{"rules_file": "shadowed.json", "rules": [{"name": "all", "response": {}}]}`,
			`shadowed.json: warning: ` + where + `rules[0]: never applies: rule "all" (rules[0]) comes first and has no conditions: it applies to every request` + "\n" +
				`shadowed.json: warning: ` + where + `rules[0].match.headers["X-A"]: the endpoint does not forward the header X-A (input_headers: none, so only Content-Type), so the condition never sees a value`},
	}
	for _, tt := range tests {
		config := gatewayConfig(noOp, noOpBackend, tt.cfg)
		report := Content("krakend.json", []byte(config))
		for i, f := range report.Findings {
			text := config
			if f.File != "krakend.json" {
				b, _ := os.ReadFile(f.File)
				text = string(b)
			}
			checkPlace(t, text, f)
			report.Findings[i].Line = 0
		}
		if got := findingLines(report); got != tt.want {
			t.Errorf("%s\n got:\n%s\nwant:\n%s", tt.cfg, got, tt.want)
		}
	}
}

// TestExamples: the repository's example configuration is clean once
// make build has put the plugin in its folder (here: pluginDir).
func TestExamples(t *testing.T) {
	t.Chdir("..")
	name := filepath.Join("examples", "krakend.json")
	content, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	built := bytes.Replace(content, []byte(`"folder": "./build/"`), fmt.Appendf(nil, `"folder": %q`, pluginDir), 1)
	if bytes.Equal(built, content) {
		t.Fatalf(`%s: no "folder": "./build/" to replace`, name)
	}
	content = built
	report := Content(name, content)
	if len(report.Findings) > 0 {
		t.Errorf("findings in %s:\n%s", name, findingLines(report))
	}
	if report.Backends < 10 {
		t.Errorf("only %d backends with krakend-rules found", report.Backends)
	}
}

// checkPlace checks that a finding's line and column are where the JSON
// text of its location starts: the key of a member, the value of a list
// element.
func checkPlace(t *testing.T, text string, f Finding) {
	t.Helper()
	lines := strings.Split(text, "\n")
	if f.Line < 1 || f.Line > len(lines) || f.Column < 1 || f.Column > len(lines[f.Line-1]) {
		t.Errorf("%s: no such place in the file", f)
		return
	}
	at := lines[f.Line-1][f.Column-1:]
	p := f.at
	if len(p) == 0 || f.Location == "" { // the file itself
		return
	}
	last := p[len(p)-1]
	if last[0] == '#' { // a list element: a value starts there
		if !strings.ContainsAny(at[:1], `{["-0123456789tfn`) {
			t.Errorf("%s: the place reads %.20q, not a value", f, at)
		}
		return
	}
	if want := `"` + last[1:] + `"`; !strings.HasPrefix(at, want) {
		t.Errorf("%s: the place reads %.20q, want %s", f, at, want)
	}
}

func findingLines(r *Report) string {
	var lines []string
	for _, f := range r.Findings {
		lines = append(lines, withoutLabel(f.String()))
	}
	return strings.Join(lines, "\n")
}

// backendLabel is the label a finding gives its backend, as the plugin's
// log lines do; TestFindingsNameTheBackendsLabel checks it, and the other
// tests read the findings without it.
var backendLabel = regexp.MustCompile(`(backend\[\d+\] [^ ]*) \[.*?\]: `)

func withoutLabel(s string) string { return backendLabel.ReplaceAllString(s, "$1: ") }

func TestFindingsNameTheBackendsLabel(t *testing.T) {
	for cfg, label := range map[string]string{
		`{"rules": [{"name": "orders", "match": {"path": "[a-"}, "response": {}}, {"delegate": {}}]}`: "orders +1",
		`{"label": "GET /orders", "rules": [{"match": {"path": "[a-"}, "response": {}}]}`:             "GET /orders",
		`{"rules": [{"match": {"path": "[a-"}, "response": {}}], "max_body_bytes": "a lot"}`:          "rule[0]",
	} {
		report := Content("krakend.json", []byte(gatewayConfig(noOp, noOpBackend, cfg)))
		if len(report.Findings) == 0 {
			t.Fatalf("%s: no finding", cfg)
		}
		for _, f := range report.Findings {
			if want := "backend[0] /orders/{id} [" + label + "]"; !strings.HasSuffix(f.Where, want) {
				t.Errorf("%s: the finding is about %q, want it to end with %q", cfg, f.Where, want)
			}
		}
	}
}

// TestPluginFolder: a root plugin folder from which KrakenD loads no plugin
// is an error at plugin.folder, resolved against the working directory.
func TestPluginFolder(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.MkdirAll(filepath.Join("empty", "krakend-rules.so"), 0o755) // a directory is not loaded
	os.WriteFile(filepath.Join("empty", "README"), nil, 0o644)
	os.Mkdir("built", 0o755)
	os.WriteFile(filepath.Join("built", "krakend-rules.so"), nil, 0o644)
	os.WriteFile("file", nil, 0o644)
	const bypass = `KrakenD loads no plugin and sends the traffic of the 1 backend(s) meant for krakend-rules straight to their hosts, with no rule applied and no error`
	missing := filepath.Join(dir, "missing")
	tests := []struct{ plugin, want string }{
		{`{"folder": "./built/", "pattern": ".so"}`, ``},
		{`{"folder": "built"}`, ``},
		{`{"folder": "built", "pattern": "-rules.so"}`, ``},
		{`{"folder": "./build/", "pattern": ".so"}`,
			`k.json:2:14: error: plugin.folder: "./build/" is gw/build (resolved against the gateway's working directory, gw), which does not exist: ` + bypass},
		{`{"folder": "empty", "pattern": ".so"}`,
			`k.json:2:14: error: plugin.folder: "empty" is gw/empty (resolved against the gateway's working directory, gw), which holds no file whose name contains ".so": ` + bypass},
		{`{"pattern": "x", "folder": "built"}`,
			`k.json:2:30: error: plugin.folder: "built" is gw/built (resolved against the gateway's working directory, gw), which holds no file whose name contains "x": ` + bypass},
		{`{"folder": "file"}`,
			`k.json:2:14: error: plugin.folder: "file" is gw/file (resolved against the gateway's working directory, gw), which cannot be read (not a directory): ` + bypass},
		{`{"folder": ` + strconv.Quote(missing) + `}`,
			`k.json:2:14: error: plugin.folder: ` + strconv.Quote(missing) + `, which does not exist: ` + bypass},
		{`{"pattern": ".so"}`,
			`k.json:2:3: error: plugin: no plugin folder: ` + bypass + `; set "folder" to the directory that holds krakend-rules.so`},
		{`{"folder": 1}`,
			`k.json:2:14: error: plugin.folder: no plugin folder: ` + bypass + `; set "folder" to the directory that holds krakend-rules.so`},
	}
	for _, tt := range tests {
		config := `{
  "plugin": ` + tt.plugin + `,
  "endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/a", "extra_config": {"plugin/http-client": {"name": "krakend-rules", "krakend-rules": {"rules": [{"response": {}}]}}}}]}]
}`
		report := Options{WorkDir: "gw"}.Content("k.json", []byte(config))
		for _, f := range report.Findings {
			checkPlace(t, config, f)
		}
		if got := findingLines(report); got != tt.want {
			t.Errorf("%s\n got: %s\nwant: %s", tt.plugin, got, tt.want)
		}
	}

	// Without a backend meant for the plugin, its folder is not the linter's
	// business.
	config := `{"plugin": {"folder": "./build/"}, "endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/a"}]}]}`
	if got := findingLines(Content("k.json", []byte(config))); got != "" {
		t.Errorf("findings without the plugin:\n%s", got)
	}
	// Backends meant for the plugin count once, whatever keeps it from them.
	config = `{"plugin": {"folder": "./build/"}, "endpoints": [
  {"endpoint": "/a", "extra_config": {"krakend-rules": {}}, "backend": [{"url_pattern": "/a"}, {"url_pattern": "/b", "extra_config": {"plugin/http-client": {"name": "krakend_rules"}, "krakend-rules": {}}}]},
  {"endpoint": "/c", "backend": [{"url_pattern": "/c", "extra_config": {"plugin/http-client": {"name": "another"}}}]}]}`
	if got, want := findingLines(Content("k.json", []byte(config))), `the traffic of the 2 backend(s) meant for krakend-rules`; !strings.Contains(got, want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// By default, the working directory is named by its absolute path.
	config = `{"plugin": {"folder": "./build/"}, "endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/a", "extra_config": {"plugin/http-client": {"name": "krakend-rules", "krakend-rules": {}}}}]}]}`
	if got, want := findingLines(Content("k.json", []byte(config))), `"./build/" is `+filepath.Join(dir, "build")+` (resolved against the gateway's working directory, `+dir+`)`; !strings.Contains(got, want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestBypasses: a configuration meant for the plugin where KrakenD never
// hands it the traffic is an error where it stands.
func TestBypasses(t *testing.T) {
	// The endpoint's extra_config is on line 3, the backend's on line 5.
	config := func(endpointExtra, backendExtra string) string {
		return fmt.Sprintf(`{"plugin": {"folder": %q},
  "endpoints": [{"endpoint": "/a", "method": "POST",
    "extra_config": {%s},
    "backend": [{"url_pattern": "/b",
      "extra_config": {%s}
    }]
  }]
}`, pluginDir, endpointExtra, backendExtra)
	}
	const ep = "endpoint POST /a (endpoints[0]): "
	const be = "endpoint POST /a (endpoints[0]), backend[0] /b: "
	const bypass = "with no rule applied and no error"
	misnamed := func(col int, name string) string {
		return fmt.Sprintf(`k.json:5:%d: error: %sendpoints[0].backend[0].extra_config["plugin/http-client"].name: %q is not "krakend-rules": KrakenD finds no plugin of that name and sends the backend's traffic straight to its host, %s; write "name": "krakend-rules"`, col, be, name, bypass)
	}
	const rulesObject = `"krakend-rules": {"rules": [{"response": {}}]}`
	tests := []struct {
		name              string
		endpoint, backend string
		want              []string
		backends          int
	}{
		{"the plugin named", ``, `"plugin/http-client": {"name": "krakend-rules", ` + rulesObject + `}`, nil, 1},
		{"another plugin", ``, `"plugin/http-client": {"name": "another-plugin", "another": {}}`, nil, 0},
		{"an underscore", ``, `"plugin/http-client": {"name": "krakend_rules", ` + rulesObject + `}`, []string{misnamed(47, "krakend_rules")}, 0},
		{"no separator", ``, `"plugin/http-client": {"name": "krakendrules", ` + rulesObject + `}`, []string{misnamed(47, "krakendrules")}, 0},
		{"capitals", ``, `"plugin/http-client": {"name": "Krakend-Rules", ` + rulesObject + `}`, []string{misnamed(47, "Krakend-Rules")}, 0},
		{"a letter short", ``, `"plugin/http-client": {"name": "krakend-rule"}`, []string{misnamed(47, "krakend-rule")}, 0},
		{"two edits", ``, `"plugin/http-client": {"name": "kraken-rule"}`, []string{misnamed(47, "kraken-rule")}, 0},
		{"the file name", ``, `"plugin/http-client": {"name": "krakend-rules.so"}`, []string{misnamed(47, "krakend-rules.so")}, 0},
		{"Lura's namespace", ``, `"github.com/devopsfaith/krakend/transport/http/client/executor": {"name": " krakend-rules"}`,
			[]string{`k.json:5:90: error: ` + be + `endpoints[0].backend[0].extra_config["github.com/devopsfaith/krakend/transport/http/client/executor"].name: " krakend-rules" is not "krakend-rules": KrakenD finds no plugin of that name and sends the backend's traffic straight to its host, ` + bypass + `; write "name": "krakend-rules"`}, 0},
		{"the rules under another name", ``, `"plugin/http-client": {"name": "rules-engine", ` + rulesObject + `}`,
			[]string{`k.json:5:47: error: ` + be + `endpoints[0].backend[0].extra_config["plugin/http-client"].name: the object holds a "krakend-rules" object but names "rules-engine": KrakenD hands the backend to that plugin, or straight to its host when it loaded none of that name, and no rule applies; write "name": "krakend-rules"`}, 0},
		{"the rules without a name", ``, `"plugin/http-client": {"krakend_rules": {}}`,
			[]string{`k.json:5:24: error: ` + be + `endpoints[0].backend[0].extra_config["plugin/http-client"]: no "name": KrakenD applies no client plugin and sends the backend's traffic straight to its host, ` + bypass + `; add "name": "krakend-rules"`}, 0},
		{"the rules directly in the backend's extra_config", ``, `"qos/ratelimit/proxy": {}, ` + rulesObject,
			[]string{`k.json:5:51: error: ` + be + `endpoints[0].backend[0].extra_config["krakend-rules"]: "krakend-rules" directly in the backend's extra_config: KrakenD never reads it there and sends the traffic straight to the backend, ` + bypass + `; move it inside "plugin/http-client": {"name": "krakend-rules", "krakend-rules": {...}}`}, 0},
		{"a near miss directly in the backend's extra_config", ``, `"Krakend_Rules": {}`,
			[]string{`k.json:5:24: error: ` + be + `endpoints[0].backend[0].extra_config["Krakend_Rules"]: "Krakend_Rules" directly in the backend's extra_config: KrakenD never reads it there and sends the traffic straight to the backend, ` + bypass + `; move it inside "plugin/http-client": {"name": "krakend-rules", "krakend-rules": {...}}`}, 0},
		{"a stray copy beside the plugin", ``, `"plugin/http-client": {"name": "krakend-rules", ` + rulesObject + `}, ` + rulesObject, nil, 1},
		{"the rules directly in the endpoint's extra_config", rulesObject, `"plugin/http-client": {"name": "krakend-rules", ` + rulesObject + `}`,
			[]string{`k.json:3:22: error: ` + ep + `endpoints[0].extra_config["krakend-rules"]: "krakend-rules" directly in the endpoint's extra_config: KrakenD never reads it there and sends the traffic straight to the backends, ` + bypass + `; move it into the extra_config of each backend, inside "plugin/http-client": {"name": "krakend-rules", "krakend-rules": {...}}`}, 1},
		{"a client plugin on the endpoint", `"plugin/http-client": {"name": "krakend-rules", ` + rulesObject + `}`, ``,
			[]string{`k.json:3:22: error: ` + ep + `endpoints[0].extra_config["plugin/http-client"]: a client plugin on an endpoint: KrakenD reads "plugin/http-client" only in a backend's extra_config, so the endpoint's traffic goes straight to its backends, ` + bypass + `; move it into the extra_config of each backend`}, 0},
		{"another client plugin on the endpoint", `"plugin/http-client": {"name": "another-plugin"}`, ``, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := config(tt.endpoint, tt.backend)
			report := Content("k.json", []byte(text))
			for _, f := range report.Findings {
				checkPlace(t, text, f)
			}
			if got, want := findingLines(report), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("config:\n%s\n got:\n%s\nwant:\n%s", text, got, want)
			}
			if report.Backends != tt.backends {
				t.Errorf("%d backends, want %d", report.Backends, tt.backends)
			}
		})
	}
}

func TestNearPluginName(t *testing.T) {
	for _, s := range []string{"krakend-rules", "krakend_rules", "krakendrules", "Krakend-Rules", "KRAKEND RULES", "krakend-rule", "krakend-rulez", "kraken-rules", "krakend-rules-2", "krakend/rules", "krakend-rules.so"} {
		if !nearPluginName(s) {
			t.Errorf("%q is not near krakend-rules", s)
		}
	}
	for _, s := range []string{"", "krakend", "rules", "another-plugin", "krakend-ratelimit", "krakend-rules-v22", "plugin/http-client", "backend/http", "qos/ratelimit/proxy"} {
		if nearPluginName(s) {
			t.Errorf("%q is near krakend-rules", s)
		}
	}
}

// TestDelayPlace: a delay the endpoint's timeout cuts short is located at
// its delay member, in the krakend.json or in the rules_file.
func TestDelayPlace(t *testing.T) {
	t.Chdir(t.TempDir())
	os.WriteFile("slow.json", []byte("{\"rules\": [\n  {\"match\": {\"path\": \"/a\"}, \"delay\": \"1s-2s\", \"response\": {}}\n]}\n"), 0o644)
	config := gatewayConfig(noOp+` "timeout": "1500ms",`, noOpBackend, `{"rules_file": "slow.json", "rules": [{"match": {"path": "/b"}, "delay": "1500ms", "response": {}}]}`)
	report := Content("krakend.json", []byte(config))
	var got []string
	for _, f := range report.Findings {
		got = append(got, fmt.Sprintf("%s:%d:%d: %s", f.File, f.Line, f.Column, f.Location))
	}
	want := []string{"krakend.json:8:73: rules[0].delay", "slow.json:2:29: rules[0].delay"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), findingLines(report))
	}
}
