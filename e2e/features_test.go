package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"krakend-rules/lint"
)

// endpoint is one no-op endpoint of a test krakend.json.
func endpoint(method, path, host, urlPattern string, inputHeaders, inputQuery []string, plugin string) string {
	list := func(v []string) string {
		if len(v) == 0 {
			return "[]"
		}
		return `["` + strings.Join(v, `","`) + `"]`
	}
	return fmt.Sprintf(`{"endpoint":%q,"method":%q,"output_encoding":"no-op","input_headers":%s,"input_query_strings":%s,
		"backend":[{"host":[%q],"url_pattern":%q,"encoding":"no-op",
			"extra_config":{"plugin/http-client":{"name":"krakend-rules","krakend-rules":%s}}}]}`,
		path, method, list(inputHeaders), list(inputQuery), host, urlPattern, plugin)
}

func config(endpoints ...string) string {
	return `{"version":3,"timeout":"3s","endpoints":[` + strings.Join(endpoints, ",") + `]}`
}

func TestMatchingLikeAMockServer(t *testing.T) {
	backend := newBackend(t, nil)
	g := startGateway(t, config(
		endpoint("GET", "/m/{what}", backend.url, "/m/{what}", []string{"Cookie", "X-Env"}, []string{"q"}, `{"debug_header":true,"rules":[
			{"name":"cookie","match":{"path":"/m/cookie","cookies":{"session":"abc*"}},"response":{"body":{"rule":"{{ .Rule }}"}}},
			{"name":"local","match":{"path":"~^/m/ip$","remote_ip":["127.0.0.0/8","::1"]},"response":{"body":{"rule":"{{ .Rule }}"}}},
			{"name":"host","match":{"path":"/m/host","host":"127.0.0.1"},"response":{"body":{"rule":"{{ .Rule }}"}}},
			{"name":"anynot","match":{"path":"/m/anynot","any":[{"headers":{"X-Env":"prod"}},{"not":{"query":{"q":"*"}}}]},"response":{"body":{"rule":"{{ .Rule }}"}}},
			{"name":"params","match":{"path":"~^/m/(?P<id>[0-9]+)$"},"response":{"body":{"id":"{{ .Params.id }}"}}}]}`),
		endpoint("POST", "/cart", backend.url, "/cart", []string{"Content-Type"}, nil, `{"rules":[
			{"name":"cart","match":{"body_json":{"items":[{"sku":"A"},{"sku":"B"}]},"ignore_array_order":true},"response":{"status":201,"body":{"ok":true}}}]}`),
	))
	expect(t, "a cookie", g.get("/m/cookie", "Cookie", "x=1; session=abc123"), 200, `{"rule":"cookie"}`, "X-Krakend-Rule", "cookie")
	expect(t, "no cookie", g.get("/m/cookie"), 200, `{"backend":true}`, "X-Krakend-Rule", "delegated")
	expect(t, "the client address", g.get("/m/ip"), 200, `{"rule":"local"}`)
	expect(t, "the host", g.get("/m/host"), 200, `{"rule":"host"}`)
	expect(t, "any: the header", g.get("/m/anynot?q=1", "X-Env", "prod"), 200, `{"rule":"anynot"}`)
	expect(t, "any: not the query", g.get("/m/anynot"), 200, `{"rule":"anynot"}`)
	expect(t, "any: neither", g.get("/m/anynot?q=1", "X-Env", "dev"), 200, `{"backend":true}`)
	expect(t, "regexp params", g.get("/m/42"), 200, `{"id":"42"}`)
	h := http.Header{"Content-Type": {"application/json"}}
	expect(t, "body_json in another order", g.do("POST", "/cart", h, strings.NewReader(`{"items":[{"sku":"B","qty":1},{"sku":"A"}],"user":"x"}`)), 201, `{"ok":true}`)
	expect(t, "body_json missing an item", g.do("POST", "/cart", h, strings.NewReader(`{"items":[{"sku":"B"}]}`)), 200, `{"backend":true}`)
}

func TestGatewayNativeDelegation(t *testing.T) {
	var mainStatus atomic.Int32
	mainStatus.Store(404)
	main := newBackend(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("X-Internal", "secret")
		w.WriteHeader(int(mainStatus.Load()))
		fmt.Fprintf(w, `{"id":1,"name":"real","path":%q}`, r.URL.Path)
	})
	canary := newBackend(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		fmt.Fprintf(w, `{"canary":true,"path":%q,"query":%q}`, r.URL.Path, r.URL.RawQuery)
	})
	g := startGateway(t, config(
		endpoint("GET", "/route/{id}", main.url, "/orders/{id}", []string{"X-Tenant", "X-Debug"}, []string{"x"}, `{"debug_header":true,"rules":[
			{"name":"canary","match":{"headers":{"X-Tenant":"beta-*"}},"delegate":{"to":"`+canary.url+`/v2","request_headers":{"X-Debug":null}}},
			{"name":"main","delegate":{"status":{"404":410},"response_headers":{"X-Internal":null}}}]}`),
		endpoint("GET", "/grad/{id}", main.url, "/orders/{id}", nil, nil, `{"debug_header":true,"rules":[
			{"name":"orders","delegate":{"timeout":"500ms","fallback":{"response":{"body":{"id":"{{ index .Segments 1 }}","mock":true}}}}}]}`),
		endpoint("GET", "/shadow/{id}", main.url, "/orders/{id}", nil, nil, `{"rules":[
			{"name":"shadowed","delegate":{"shadow":{"body":{"id":"{{ index .Segments 1 }}","name":"mock","extra":[]}}}}]}`),
	))

	a := g.get("/route/7?x=1", "X-Tenant", "beta-1", "X-Debug", "on")
	expect(t, "to the canary", a, 200, `{"canary":true,"path":"/v2/orders/7","query":"x=1"}`, "X-Krakend-Rule", "canary")
	for _, r := range canary.received() {
		if r.header.Get("X-Debug") != "" {
			t.Error("X-Debug reached the canary")
		}
	}
	expect(t, "status mapping and header removal", g.get("/route/7"), 410, `{"id":1,"name":"real","path":"/orders/7"}`, "X-Internal", "")

	expect(t, "fallback while the backend answers 404", g.get("/grad/9"), 200, `{"id":"9","mock":true}`,
		"X-Krakend-Rule", "orders (fallback: backend answered 404)")
	mainStatus.Store(200)
	expect(t, "the real backend once it is ready", g.get("/grad/9"), 200, `{"id":1,"name":"real","path":"/orders/9"}`, "X-Krakend-Rule", "orders")

	expect(t, "the shadow's client gets the real answer", g.get("/shadow/3"), 200, `{"id":1,"name":"real","path":"/orders/3"}`)
	g.waitLog(`WARNING: [PLUGIN: krakend-rules][shadowed] rule "shadowed" shadow: the mock differs from the backend at $.extra (only in the mock); $.id (number in the backend, string in the mock); $.path (only in the backend)`)
}

func TestLiveRulesFileThroughTheGateway(t *testing.T) {
	backend := newBackend(t, nil)
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.json")
	write := func(content string) {
		tmp := rules + ".tmp"
		if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, rules); err != nil {
			t.Fatal(err)
		}
	}
	version := func(v int) string {
		return `{"rules":[{"name":"live","match":{"path":"/live/*"},"response":{"body":{"version":` + strconv.Itoa(v) + `}}}]}`
	}
	write(version(1))
	g := startGateway(t, config(
		endpoint("GET", "/live/{id}", backend.url, "/live/{id}", nil, nil, `{"rules_file":`+strconv.Quote(rules)+`,"reload_interval":"200ms"}`),
	))
	expect(t, "the first version", g.get("/live/1"), 200, `{"version":1}`)

	write(version(2))
	deadline := time.Now().Add(5 * time.Second)
	for g.get("/live/1").body != `{"version":2}` {
		if time.Now().After(deadline) {
			t.Fatal("the edited rules_file was never loaded")
		}
		time.Sleep(50 * time.Millisecond)
	}

	write(`{"rules":[{"name":"live","match":{"path":"/live/[x-"},"response":{}}]}`)
	g.waitLog(`invalid configuration: rules_file(` + rules + `).rules[0].match.path: bad glob "/live/[x-"`)
	expect(t, "an invalid edit keeps the rules in force", g.get("/live/1"), 200, `{"version":2}`)
}

func TestDelayAndEnvThroughTheGateway(t *testing.T) {
	backend := newBackend(t, nil)
	g := startGateway(t, config(
		endpoint("GET", "/slow", backend.url, "/slow", nil, nil, `{"rules":[
			{"name":"slow","delay":"150ms-200ms","response":{"body":{"region":"{{ env \"KRAKEND_RULES_REGION\" }}"}}}]}`),
	), "KRAKEND_RULES_REGION=eu-west", "SECRET_TOKEN=never-shown")
	start := time.Now()
	expect(t, "delayed", g.get("/slow"), 200, `{"region":"eu-west"}`)
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Errorf("answered after %v, before the 150ms delay", took)
	}
}

func TestTimeWindowsAndTemplateFunctionsThroughTheGateway(t *testing.T) {
	backend := newBackend(t, nil)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	soon := time.Now().Add(30 * time.Minute).UTC().Format(time.RFC3339)
	g := startGateway(t, config(
		endpoint("GET", "/window/{id}", backend.url, "/window/{id}", nil, []string{"name"}, `{"rules":[
			{"name":"over","active":{"until":"`+past+`"},"response":{"status":500}},
			{"name":"maintenance","active":{"from":"`+past+`","until":"`+soon+`"},
			 "response":{"status":503,"headers":{"Retry-After":"{{ retryAfter }}"},"body_template":
			   "{\"name\":{{ .Query.Get \"name\" | default \"anon\" | upper | json }},\"low\":{{ lower \"ABC\" | json }},\"b64\":{{ base64 \"hi\" | json }},\"tomorrow\":{{ now | dateAdd \"24h\" | formatTime \"DateOnly\" | json }},\"pick\":{{ oneOf \"x\" \"y\" | json }},\"n\":{{ randInt 1 2 }},\"count\":{{ counter }},\"id\":{{ uuid | len }}}"}}]}`),
	))
	a := g.get("/window/1?name=ann")
	retry, err := strconv.Atoi(a.header.Get("Retry-After"))
	if a.status != 503 || err != nil || retry < 1700 || retry > 1800 {
		t.Errorf("got %d, Retry-After %q", a.status, a.header.Get("Retry-After"))
	}
	tomorrow := time.Now().Add(24 * time.Hour).UTC().Format("2006-01-02")
	want := `{"name":"ANN","low":"abc","b64":"aGk=","tomorrow":"` + tomorrow + `","pick":"%s","n":1,"count":1,"id":36}`
	if a.body != fmt.Sprintf(want, "x") && a.body != fmt.Sprintf(want, "y") {
		t.Errorf("got %s", a.body)
	}
	if b := g.get("/window/1"); !strings.HasPrefix(b.body, `{"name":"ANON",`) || !strings.Contains(b.body, `"count":2`) {
		t.Errorf("second answer: %s", b.body)
	}
}

// TestTheLinterReportsWhatTheGatewayLogs: a rule that never applies is
// logged by the gateway when the plugin loads it, the linter reports the
// same for the same krakend.json, and what they say holds: the earlier
// rule answers the later one's requests.
func TestTheLinterReportsWhatTheGatewayLogs(t *testing.T) {
	backend := newBackend(t, nil)
	g := startGateway(t, config(endpoint("GET", "/n/{id}", backend.url, "/n/{id}", nil, nil, `{"rules":[
		{"name":"every-n","match":{"path":"/n/*"},"response":{"body":{"rule":"{{ .Rule }}"}}},
		{"name":"late","match":{"path":"/n/1","methods":["GET"]},"response":{"body":{"rule":"{{ .Rule }}"}}}]}`)))
	const loc = "rules[1]"
	const problem = `never applies: rule "every-n" (rules[0]) comes first and applies to every request this one matches`
	g.waitLog("[PLUGIN: krakend-rules][every-n +1] " + loc + ": " + problem)
	expect(t, "the later rule's path", g.get("/n/1"), 200, `{"rule":"every-n"}`)

	content, err := os.ReadFile(g.config)
	if err != nil {
		t.Fatal(err)
	}
	report := lint.Content(g.config, content)
	if len(report.Findings) != 1 || report.Findings[0].Location != loc || report.Findings[0].Message != problem || report.Findings[0].Severity != lint.Warning {
		t.Errorf("the linter found:\n%v", report.Findings)
	}
}
