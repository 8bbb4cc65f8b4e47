package e2e

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests in this file hold the plugin, inside the gateway, to the
// contract the README documents: the rule fields, the delegate action, the
// error answers, the log lines, and what KrakenD's encodings and
// input_headers / input_query_strings do to all that.

// endpointJSON is one KrakenD endpoint with one backend that uses the
// plugin named pluginName with the raw JSON rules configuration. noOp sets
// the no-op encodings that let status and headers pass through.
type endpointJSON struct {
	method, endpoint, host, urlPattern string
	timeout                            string
	inputHeaders, inputQuery           []string
	noOp                               bool
	pluginName                         string // default krakend-rules
	rules                              string
}

func (e endpointJSON) String() string {
	m := map[string]any{
		"endpoint":            e.endpoint,
		"method":              e.method,
		"input_headers":       nonNil(e.inputHeaders),
		"input_query_strings": nonNil(e.inputQuery),
	}
	if e.timeout != "" {
		m["timeout"] = e.timeout
	}
	name := e.pluginName
	if name == "" {
		name = "krakend-rules"
	}
	backend := map[string]any{
		"host":        []string{e.host},
		"url_pattern": e.urlPattern,
		"extra_config": map[string]any{"plugin/http-client": map[string]any{
			"name":          name,
			"krakend-rules": json.RawMessage(e.rules),
		}},
	}
	if e.noOp {
		m["output_encoding"] = "no-op"
		backend["encoding"] = "no-op"
	}
	m["backend"] = []any{backend}
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("endpoint %s: %v", e.endpoint, err))
	}
	return string(b)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// serviceJSON is a krakend.json with the endpoints (startGateway sets the
// port and the plugin folder).
func serviceJSON(timeout string, endpoints ...endpointJSON) string {
	parts := make([]string, len(endpoints))
	for i, e := range endpoints {
		parts[i] = e.String()
	}
	return fmt.Sprintf(`{"version":3,"listen_ip":"127.0.0.1","timeout":%q,"endpoints":[%s]}`, timeout, strings.Join(parts, ","))
}

// sameJSON fails unless got holds the JSON value want.
func sameJSON(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad expected JSON %s: %v", what, want, err)
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil || !reflect.DeepEqual(g, w) {
		t.Errorf("%s: body\n  %s\nwant\n  %s", what, got, want)
	}
}

// ordersRules is the README's example configuration, with the delegate
// action's header templates filled in.
const ordersRules = `{
	"max_body_bytes": 1048576,
	"rules": [
		{"name": "orders-maintenance",
		 "match": {"path": "/orders/**", "methods": ["post", "PUT", "DELETE"],
		           "headers": {"X-Tenant": "acme-*"}, "query": {"dry_run": "!true"},
		           "body": {"order.currency": "{EUR,USD}"}},
		 "response": {"status": 503, "headers": {"Retry-After": "600"},
		              "body": {"error": "maintenance", "path": "{{ .Path }}", "tenant": "{{ .Header.Get \"X-Tenant\" }}"}}},
		{"name": "everything-else",
		 "delegate": {"request_headers": {"X-Rules-Rule": "{{ .Rule }}"},
		              "response_headers": {"X-Delegated-By": "{{ .Rule }} {{ .Method }}"}}}
	]}`

// echoBackend answers 201 with what it received, so that a test sees
// through the gateway what the plugin delegated.
func echoBackend(w http.ResponseWriter, r *http.Request, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Backend", "orders")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]string{
		"method": r.Method,
		"path":   r.URL.Path,
		"query":  r.URL.RawQuery,
		"tenant": r.Header.Get("X-Tenant"),
		"rule":   r.Header.Get("X-Rules-Rule"),
		"body":   string(body),
	})
}

func TestTheReadmeExampleThroughTheGateway(t *testing.T) {
	backend := newBackend(t, echoBackend)
	var endpoints []endpointJSON
	for _, method := range []string{"POST", "PUT", "DELETE", "GET"} {
		endpoints = append(endpoints, endpointJSON{
			method: method, endpoint: "/orders/{id}", host: backend.url, urlPattern: "/orders/{id}",
			inputHeaders: []string{"X-Tenant", "Content-Type"}, inputQuery: []string{"dry_run"},
			noOp: true, rules: ordersRules,
		})
	}
	g := startGateway(t, serviceJSON("3s", endpoints...))

	const eur, usd, gbp = `{"order":{"currency":"EUR"}}`, `{"order":{"currency":"USD"}}`, `{"order":{"currency":"GBP"}}`
	maintenance := func(path, tenant string) string {
		return fmt.Sprintf(`{"error":"maintenance","path":%q,"tenant":%q}`, path, tenant)
	}
	tests := []struct {
		name           string
		method, path   string
		tenant, body   string
		answered       string // the rule's JSON body; "" when delegated
		delegatedQuery string
	}{
		{name: "a POST by an acme tenant in EUR is answered by the maintenance rule",
			method: "POST", path: "/orders/42", tenant: "acme-eu", body: eur, answered: maintenance("/orders/42", "acme-eu")},
		{name: "a PUT in USD is answered too",
			method: "PUT", path: "/orders/42", tenant: "acme-us", body: usd, answered: maintenance("/orders/42", "acme-us")},
		{name: "a DELETE with a body is answered too",
			method: "DELETE", path: "/orders/7", tenant: "acme-eu", body: eur, answered: maintenance("/orders/7", "acme-eu")},
		{name: "dry_run=false does not lift the maintenance: only true does",
			method: "POST", path: "/orders/42?dry_run=false", tenant: "acme-eu", body: eur, answered: maintenance("/orders/42", "acme-eu")},
		{name: "dry_run=true is delegated",
			method: "POST", path: "/orders/42?dry_run=true", tenant: "acme-eu", body: eur, delegatedQuery: "dry_run=true"},
		{name: "a query string outside input_query_strings reaches neither the plugin nor the backend",
			method: "POST", path: "/orders/42?dry_run=true&debug=1", tenant: "acme-eu", body: eur, delegatedQuery: "dry_run=true"},
		{name: "another currency is delegated",
			method: "POST", path: "/orders/42", tenant: "acme-eu", body: gbp},
		{name: "a body that is not JSON is delegated",
			method: "POST", path: "/orders/42", tenant: "acme-eu", body: `currency=EUR`},
		{name: "another tenant is delegated",
			method: "POST", path: "/orders/42", tenant: "globex", body: eur},
		{name: "no tenant header is delegated",
			method: "POST", path: "/orders/42", body: eur},
		{name: "a GET is delegated",
			method: "GET", path: "/orders/42", tenant: "acme-eu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := http.Header{"Content-Type": {"application/json"}, "X-Not-Forwarded": {"secret"}}
			if tt.tenant != "" {
				header.Set("X-Tenant", tt.tenant)
			}
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			before := len(backend.received())
			a := g.do(tt.method, tt.path, header, body)
			reached := len(backend.received()) - before

			if tt.answered != "" {
				expect(t, "the rule's answer", a, 503, "*", "Retry-After", "600", "Content-Type", "application/json", "X-Backend", "")
				sameJSON(t, "the rule's answer", a.body, tt.answered)
				if reached != 0 {
					t.Errorf("%d requests reached the backend", reached)
				}
				return
			}
			expect(t, "the backend's answer", a, 201, "*",
				"X-Backend", "orders", "X-Delegated-By", "everything-else "+tt.method, "Content-Type", "application/json")
			if reached != 1 {
				t.Fatalf("%d requests reached the backend, want 1", reached)
			}
			want, _ := json.Marshal(map[string]string{
				"method": tt.method, "path": strings.SplitN(tt.path, "?", 2)[0], "query": tt.delegatedQuery,
				"tenant": tt.tenant, "rule": "everything-else", "body": tt.body,
			})
			sameJSON(t, "what the backend received", a.body, string(want))
			if got := backend.received()[before].header.Get("X-Not-Forwarded"); got != "" {
				t.Errorf("a header outside input_headers reached the backend: %q", got)
			}
		})
	}

	t.Run("the log shows the plugin loaded, injected and deciding", func(t *testing.T) {
		for _, want := range []string{
			"[PLUGIN: krakend-rules][orders-maintenance +1] 2 rules loaded: orders-maintenance, everything-else",
			"[BACKEND: POST /orders/:id -> /orders/{{.Id}}] Injecting plugin krakend-rules",
			"[BACKEND: GET /orders/:id -> /orders/{{.Id}}] Injecting plugin krakend-rules",
			`DEBUG: [PLUGIN: krakend-rules][orders-maintenance +1] rule "orders-maintenance" answered POST /orders/42`,
			`DEBUG: [PLUGIN: krakend-rules][orders-maintenance +1] rule "everything-else" delegated GET /orders/42`,
		} {
			g.waitLog(want)
		}
	})
}

func TestAnswersDelegationAndErrorsWithoutACatchAllRule(t *testing.T) {
	backend := newBackend(t, echoBackend)
	down := "http://" + closedAddress(t)
	g := startGateway(t, serviceJSON("3s",
		endpointJSON{method: "GET", endpoint: "/static/{id}", host: backend.url, urlPattern: "/static/{id}",
			inputQuery: []string{"q"}, noOp: true, rules: `{"rules": [
				{"name": "only-one", "match": {"path": "/static/one"}, "response": {"headers": {"X-Rule": "{{ .Rule }}"},
				 "body_template": "{\"method\": {{ json .Method }}, \"id\": {{ json (index .Segments 1) }}, \"q\": {{ json (.Query.Get \"q\") }}}"}}]}`},
		endpointJSON{method: "GET", endpoint: "/down/{id}", host: down, urlPattern: "/down/{id}",
			noOp: true, rules: `{"rules": [{"name": "down-delegate", "match": {"path": "/down/ruled"}, "delegate": {}}]}`},
	))

	t.Run("a body_template answers raw JSON with the default content type", func(t *testing.T) {
		a := g.get("/static/one?q=a%22b")
		expect(t, "the template's answer", a, 200, "*", "Content-Type", "application/json", "X-Rule", "only-one")
		sameJSON(t, "the template's answer", a.body, `{"method":"GET","id":"one","q":"a\"b"}`)
		if n := len(backend.received()); n != 0 {
			t.Errorf("%d requests reached the backend", n)
		}
	})

	t.Run("no matching rule delegates to the backend", func(t *testing.T) {
		a := g.get("/static/two")
		expect(t, "the backend's answer", a, 201, "*", "X-Backend", "orders", "X-Rule", "")
		sameJSON(t, "what the backend received", a.body,
			`{"method":"GET","path":"/static/two","query":"","tenant":"","rule":"","body":""}`)
		g.waitLog(`[PLUGIN: krakend-rules][only-one] no rule matched, delegated GET /static/two`)
	})

	t.Run("an unreachable backend is a 502 naming the rule", func(t *testing.T) {
		a := g.get("/down/ruled")
		expect(t, "the plugin's error", a, 502, "*", "Content-Type", "application/json")
		sameJSON(t, "the plugin's error", a.body, `{"error":"backend unreachable","rule":"down-delegate"}`)
	})

	t.Run("an unreachable backend with no matching rule is a 502 without a rule", func(t *testing.T) {
		a := g.get("/down/other")
		expect(t, "the plugin's error", a, 502, "*", "Content-Type", "application/json")
		sameJSON(t, "the plugin's error", a.body, `{"error":"backend unreachable"}`)
	})
}

func TestKrakenDsDefaultEncodingHidesStatusAndHeaders(t *testing.T) {
	backend := newBackend(t, echoBackend)
	g := startGateway(t, serviceJSON("3s",
		endpointJSON{method: "GET", endpoint: "/wrapped/{id}", host: backend.url, urlPattern: "/wrapped/{id}",
			rules: `{"rules": [
				{"name": "closed", "match": {"path": "/wrapped/closed"},
				 "response": {"status": 503, "headers": {"Retry-After": "600"}, "body": {"error": "maintenance"}}},
				{"name": "open", "response": {"headers": {"X-Plugin": "yes"}, "body": {"answer": "from the plugin"}}}]}`},
	))

	// Without no-op encodings KrakenD decodes the plugin's JSON like any
	// backend's: a 200 body comes through, its headers do not, and any
	// status but 200/201 becomes the gateway's own 500.
	a := g.get("/wrapped/open")
	expect(t, "a 200 from the plugin", a, 200, "*", "X-Plugin", "")
	sameJSON(t, "a 200 from the plugin", a.body, `{"answer":"from the plugin"}`)

	a = g.get("/wrapped/closed")
	expect(t, "a 503 from the plugin", a, 500, "*", "Retry-After", "")
	if strings.Contains(a.body, "maintenance") {
		t.Errorf("the plugin's error body came through: %s", a.body)
	}
	if n := len(backend.received()); n != 0 {
		t.Errorf("%d requests reached the backend", n)
	}
}

func TestABackendNamingAnUnregisteredPluginIsProxiedStraight(t *testing.T) {
	backend := newBackend(t, echoBackend)
	g := startGateway(t, serviceJSON("3s",
		endpointJSON{method: "GET", endpoint: "/typo", host: backend.url, urlPattern: "/typo", noOp: true,
			pluginName: "krakend-rulez", rules: `{"rules": [{"name": "never-runs", "response": {"status": 418}}]}`},
	))
	// This is why every test here asserts the plugin's own answer, never a
	// bare 200: when a plugin is missing, KrakenD quietly goes to the backend.
	a := g.get("/typo")
	expect(t, "the backend's answer", a, 201, "*", "X-Backend", "orders")
	if n := len(backend.received()); n != 1 {
		t.Errorf("%d requests reached the backend, want 1", n)
	}
	g.waitLog("No plugin registered as krakend-rulez")
	if strings.Contains(g.log.String(), "Injecting plugin") {
		t.Error("a plugin was injected")
	}
}

func TestTheGatewayStopsCleanlyOnSIGINT(t *testing.T) {
	g := startGateway(t, serviceJSON("3s"))
	if err := g.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-g.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the gateway did not stop within 10s of SIGINT")
	}
	if g.exitErr != nil {
		t.Errorf("exit: %v", g.exitErr)
	}
	g.waitLog("Gateway stopped")
}

func TestTheGatewayFailsWhenItsPortIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	path := writeConfig(t, port, serviceJSON("3s"))

	cmd := exec.Command(gatewayPath, "-c", path, "-l", "DEBUG")
	cmd.Dir = repoRoot
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("the gateway kept running on a taken port:\n%s", out.String())
	}
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
		t.Errorf("exit %v, want status 1", err)
	}
	for _, want := range []string{"address already in use", "gateway: the server stopped unexpectedly"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
	}
}

// startWithoutDebugFlag runs the gateway without -d (startGateway always
// passes it) and returns its address once it answers.
func startWithoutDebugFlag(t *testing.T, cfg string) string {
	t.Helper()
	port := freePort(t)
	path := writeConfig(t, port, cfg)
	cmd := exec.Command(gatewayPath, "-c", path, "-l", "DEBUG")
	cmd.Dir = repoRoot
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("gateway output:\n%s", out.String())
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(url + "/__health"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return url
			}
		}
	}
	t.Fatalf("the gateway did not answer within 20s:\n%s", out.String())
	return ""
}

func TestDebugAndEchoEndpointsFollowTheFlagAndTheConfig(t *testing.T) {
	status := func(t *testing.T, url string) int {
		t.Helper()
		res, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	cases := []struct {
		name                string
		cfg                 string
		debugFlag           bool
		wantDebug, wantEcho int
	}{
		{"neither without -d", `{"version":3}`, false, 404, 404},
		{"debug_endpoint in the config", `{"version":3,"debug_endpoint":true}`, false, 200, 404},
		{"echo_endpoint in the config", `{"version":3,"echo_endpoint":true}`, false, 404, 200},
		{"both with -d", `{"version":3}`, true, 200, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var url string
			if c.debugFlag {
				url = startGateway(t, c.cfg).url
			} else {
				url = startWithoutDebugFlag(t, c.cfg)
			}
			if got := status(t, url+"/__debug/x"); got != c.wantDebug {
				t.Errorf("/__debug/x: %d, want %d", got, c.wantDebug)
			}
			if got := status(t, url+"/__echo/x?a=1"); got != c.wantEcho {
				t.Errorf("/__echo/x: %d, want %d", got, c.wantEcho)
			}
		})
	}
}

func TestTheExampleMaintenanceShortCircuitsEveryWrite(t *testing.T) {
	g := startExamples(t)
	for _, method := range []string{"POST", "PUT", "DELETE"} {
		a := g.do(method, "/orders/7", http.Header{"Content-Type": {"application/json"}}, strings.NewReader(`{"qty":1}`))
		expect(t, method, a, 503, "*", "Retry-After", "600", "Content-Type", "application/json")
		sameJSON(t, method, a.body, `{"error":"maintenance","path":"/__debug/orders/7"}`)
	}
	a := g.get("/orders/7")
	expect(t, "GET", a, 200, "*", "Retry-After", "")
	sameJSON(t, "GET", a.body, `{"message":"pong"}`)
}

func TestASlowBackendThroughTheGateway(t *testing.T) {
	backend := newBackend(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
			w.Write([]byte(`{"slow":true}`))
		}
	})
	pass := `{"rules": [{"name": "pass", "delegate": {}}]}`
	g := startGateway(t, serviceJSON("3s",
		endpointJSON{method: "GET", endpoint: "/endpoint-timeout", host: backend.url, urlPattern: "/slow",
			timeout: "400ms", noOp: true, rules: pass},
		endpointJSON{method: "GET", endpoint: "/delegate-timeout", host: backend.url, urlPattern: "/slow",
			noOp: true, rules: `{"rules": [{"name": "pass", "delegate": {"timeout": "300ms"}}]}`},
	))

	// The endpoint's timeout is the context Lura gives the plugin; once it
	// has passed, Lura drops whatever the plugin answers (its 504) and
	// answers its own empty 500.
	start := time.Now()
	a := g.get("/endpoint-timeout")
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the endpoint answered after %v, past its 400ms timeout", took)
	}
	expect(t, "the endpoint timeout", a, 500, "")

	// A delegate timeout shorter than the endpoint's is the plugin's own:
	// its 504 reaches the client.
	start = time.Now()
	a = g.get("/delegate-timeout")
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the delegate answered after %v, past its 300ms timeout", took)
	}
	expect(t, "the delegate timeout", a, 504, "*", "Content-Type", "application/json")
	sameJSON(t, "the delegate timeout", a.body, `{"error":"backend timeout","rule":"pass"}`)
}

// TestTheGatewayWritesACPUProfile: -cpuprofile leaves a complete profile
// (gzip-compressed, as runtime/pprof writes it) once the gateway stops.
func TestTheGatewayWritesACPUProfile(t *testing.T) {
	profile := filepath.Join(t.TempDir(), "cpu.pprof")
	g := startGatewayWithFlags(t, serviceJSON("3s"), []string{"-cpuprofile", profile})
	for range 20 {
		g.get("/__health")
	}
	if err := g.stop(); err != nil {
		t.Fatalf("exit: %v", err)
	}
	f, err := os.Open(profile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("not a gzip-compressed profile: %v", err)
	}
	if n, err := io.Copy(io.Discard, zr); err != nil || n == 0 {
		t.Errorf("the profile is incomplete: %d bytes, %v", n, err)
	}
}
