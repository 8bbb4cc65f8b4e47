package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
)

// The request every scenario serves: the same public endpoint, the same
// backend path, one forwarded header.
const (
	benchPath   = "/bench/42"
	benchTenant = "acme"
	benchHeader = "X-Tenant: " + benchTenant
	checkPath   = "/check"
	hijackPath  = "/__debug/hijack-me" // the hello-world plugin's default
	rulesPlugin = "krakend-rules"
	helloPlugin = "krakend-client-example"
	// unregisteredPlugin is a client plugin name no gateway registers:
	// Lura proxies such a backend straight, keeping its configuration.
	unregisteredPlugin = "krakend-rules-not-loaded"
	luraGinOptions     = "github_com/luraproject/lura/router/gin"
)

// backendKind is what sits behind the gateway.
type backendKind int

const (
	goBackend backendKind = iota // the driver's own tiny backend
	wiremockBackend
	mockoonBackend
)

// pluginKind is the HTTP client plugin a scenario injects, if any.
type pluginKind int

const (
	noPlugin pluginKind = iota
	rulesPluginKind
	helloPluginKind
)

// scenario is one row of the comparison.
type scenario struct {
	id      string
	title   string
	backend backendKind
	plugin  pluginKind
	// rules is the krakend-rules configuration of the bench backend.
	rules func() map[string]any
	// expect checks the gateway's answer to benchPath before the load.
	expect func(body []byte) error
	// helloPath is the backend path the hello-world plugin answers itself;
	// empty: its default, which the bench request does not use.
	helloPath string
	// redis: the driver starts a redis-server for each run, and the bench
	// backend's rules keep their shared state in it (their "store").
	redis bool
	// rulesFile: the rules are written to a rules_file in the run's
	// folder, and the backend's configuration names only that file, so
	// that the host keeps none of them.
	rulesFile bool
}

// scenarios returns every scenario, in report order. nRules is the size of
// scenario (b)'s rule list, nFileRules of (b-file)'s.
func scenarios(nRules, nFileRules int) []scenario {
	return []scenario{
		{
			id:      "a",
			title:   "gateway, no plugin → Go backend",
			backend: goBackend,
			expect:  expectJSON(backendBody),
		},
		{
			// (a) with (b)'s rules in the backend's configuration, under a
			// plugin name no gateway registers: Lura keeps the configuration
			// for the process's life and proxies straight, as in (a). What
			// (b) costs beyond this row is the plugin's own.
			id:      "a-rules",
			title:   fmt.Sprintf("gateway, no plugin, (b)'s %s rules left in its configuration", groupDigits(float64(nRules))),
			backend: goBackend,
			rules:   func() map[string]any { return manyRules(nRules) },
			expect:  expectJSON(backendBody),
		},
		{
			id:      "b",
			title:   fmt.Sprintf("krakend-rules, %s rules, none matches → delegates", groupDigits(float64(nRules))),
			backend: goBackend,
			plugin:  rulesPluginKind,
			rules:   func() map[string]any { return manyRules(nRules) },
			expect:  expectJSON(backendBody),
		},
		{
			// (b) with its rules in a rules_file: the host keeps only the
			// file's name, so this row is the plugin's own cost at that
			// many rules, which (b) mixes with the host's copy of them.
			id:        "b-file",
			title:     fmt.Sprintf("krakend-rules, %s rules from a rules_file, none matches → delegates", groupDigits(float64(nFileRules))),
			backend:   goBackend,
			plugin:    rulesPluginKind,
			rules:     func() map[string]any { return manyRules(nFileRules) },
			expect:    expectJSON(backendBody),
			rulesFile: true,
		},
		{
			id:      "b1",
			title:   "krakend-rules, 1 rule, none matches → delegates",
			backend: goBackend,
			plugin:  rulesPluginKind,
			rules:   func() map[string]any { return manyRules(1) },
			expect:  expectJSON(backendBody),
		},
		{
			id:      "c",
			title:   "docs' hello-world plugin, delegating",
			backend: goBackend,
			plugin:  helloPluginKind,
			expect:  expectJSON(backendBody),
		},
		{
			id:        "c-hijack",
			title:     "docs' hello-world plugin, hijacking (answers itself)",
			backend:   goBackend,
			plugin:    helloPluginKind,
			helloPath: benchPath,
			expect:    expectJSON(`{"message":"` + benchPath + `"}`),
		},
		{
			id:      "d",
			title:   "krakend-rules, static rule answers",
			backend: goBackend,
			plugin:  rulesPluginKind,
			rules:   staticRule,
			expect:  expectJSON(`{"ok":true,"source":"rule"}`),
		},
		{
			id:      "e",
			title:   "krakend-rules, templated rule answers",
			backend: goBackend,
			plugin:  rulesPluginKind,
			rules:   templatedRule,
			expect:  expectJSON(`{"source":"template","path":"/bench/42","first":"bench","tenant":"acme"}`),
		},
		{
			id:      "f-wiremock",
			title:   "gateway, no plugin → WireMock " + wiremockVersion,
			backend: wiremockBackend,
			expect:  expectJSON(backendBody),
		},
		{
			id:      "f-mockoon",
			title:   "gateway, no plugin → Mockoon CLI " + mockoonVersion,
			backend: mockoonBackend,
			expect:  expectJSON(backendBody),
		},
		{
			id:      "g",
			title:   "krakend-rules, crud GET one from memory",
			backend: goBackend,
			plugin:  rulesPluginKind,
			rules:   crudRule,
			expect:  expectBody(crudItem),
		},
		{
			id:      "g-redis",
			title:   "krakend-rules, crud GET one from Redis",
			backend: goBackend,
			plugin:  rulesPluginKind,
			rules:   crudRule,
			redis:   true,
			expect:  expectBody(crudItem),
		},
	}
}

// selectScenarios keeps the scenarios named in only ("a,b,f"; "f" stands
// for both f rows, "g" for g and g-redis; empty keeps all).
func selectScenarios(all []scenario, only string) ([]scenario, error) {
	if strings.TrimSpace(only) == "" {
		return all, nil
	}
	want := map[string]bool{}
	for _, id := range strings.Split(only, ",") {
		id = strings.ToLower(strings.TrimSpace(id))
		if id == "" {
			continue
		}
		known := false
		for _, s := range all {
			if s.id == id || strings.HasPrefix(s.id, id+"-") {
				want[s.id] = true
				known = true
			}
		}
		if !known {
			return nil, fmt.Errorf("-only: unknown scenario %q (known: %s)", id, knownIDs(all))
		}
	}
	var out []scenario
	for _, s := range all {
		if want[s.id] {
			out = append(out, s)
		}
	}
	return out, nil
}

// knownIDs lists the scenario ids, with the group names "f" and "g" too.
func knownIDs(all []scenario) string {
	var ids []string
	seen := map[string]bool{}
	for _, s := range all {
		if group, _, ok := strings.Cut(s.id, "-"); ok && !seen[group] {
			seen[group] = true
			ids = append(ids, group)
		}
		if !seen[s.id] {
			seen[s.id] = true
			ids = append(ids, s.id)
		}
	}
	return strings.Join(ids, ", ")
}

// manyRules is n rules on other paths and methods: none matches benchPath,
// so every request is delegated after the engine has decided.
func manyRules(n int) map[string]any {
	rules := make([]any, n)
	for i := range rules {
		rules[i] = map[string]any{
			"name": fmt.Sprintf("r%d", i),
			"match": map[string]any{
				"path":    fmt.Sprintf("/svc%d/**", i),
				"methods": []string{"POST"},
			},
			"response": map[string]any{
				"status": 200,
				"body":   map[string]any{"rule": i},
			},
		}
	}
	return map[string]any{"rules": rules}
}

func staticRule() map[string]any {
	return map[string]any{"rules": []any{map[string]any{
		"name":     "static",
		"match":    map[string]any{"path": "/bench/**"},
		"response": map[string]any{"status": 200, "body": map[string]any{"ok": true, "source": "rule"}},
	}}}
}

func templatedRule() map[string]any {
	return map[string]any{"rules": []any{map[string]any{
		"name":  "templated",
		"match": map[string]any{"path": "/bench/**"},
		"response": map[string]any{"body": map[string]any{
			"source": "template",
			"path":   "{{ .Path }}",
			"first":  "{{ index .Segments 0 }}",
			"tenant": `{{ .Header.Get "X-Tenant" }}`,
		}},
	}}}
}

// crudItem is the item GET /bench/42 reads from the data set "bench": the
// exact body the crud rule answers (members sorted by name, as stored).
const crudItem = `{"id":"42","ok":true,"source":"crud"}`

// crudRule serves the collection /bench from the data set "bench", seeded
// with the one item the bench request reads.
func crudRule() map[string]any {
	return map[string]any{"rules": []any{map[string]any{
		"name": "crud",
		"crud": map[string]any{
			"data_set": "bench",
			"path":     "/bench",
			"seed":     []any{map[string]any{"id": "42", "ok": true, "source": "crud"}},
		},
	}}}
}

// benchRules is the configuration of the scenario's bench backend: its
// rules, with, for a Redis scenario, the store "bench" in the server at
// redisURL.
func benchRules(s scenario, redisURL string) map[string]any {
	cfg := s.rules()
	if s.redis {
		cfg["store"] = map[string]any{"name": "bench", "redis": redisURL}
	}
	return cfg
}

// checkRules answers the /check endpoint, so that the driver can tell that
// krakend-rules is loaded and injected (a plugin that fails to load is not
// fatal: the gateway would silently proxy straight to the backend).
func checkRules() map[string]any {
	return map[string]any{"rules": []any{map[string]any{
		"name":     "check",
		"match":    map[string]any{"path": checkPath},
		"response": map[string]any{"body": map[string]any{"check": "krakend-rules"}},
	}}}
}

// pluginFiles are the plugin .so files a gateway may load.
type pluginFiles struct {
	rules, hello string
}

// gatewayConfig is a krakend.json for one gateway process.
type gatewayConfig struct {
	port       int
	plugin     string // the .so to load, "" for none
	accessLog  bool
	endpoints  []any
	name       string
	timeoutStr string
}

func (g gatewayConfig) marshal() ([]byte, error) {
	root := map[string]any{
		"version":   3,
		"name":      g.name,
		"listen_ip": "127.0.0.1",
		"port":      g.port,
		"timeout":   g.timeoutStr,
		"endpoints": g.endpoints,
		"extra_config": map[string]any{
			// KrakenD's "router" namespace; this gateway reads Lura's name.
			luraGinOptions: map[string]any{"disable_access_log": !g.accessLog},
		},
	}
	if g.timeoutStr == "" {
		root["timeout"] = "3s"
	}
	if g.plugin != "" {
		// The loader loads every file of the folder whose name contains the
		// pattern: the file name itself selects exactly one.
		root["plugin"] = map[string]any{"folder": filepath.Dir(g.plugin), "pattern": filepath.Base(g.plugin)}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// endpoint is one KrakenD endpoint with a single no-op backend, so that the
// gateway passes status, headers and body through without re-encoding.
func endpoint(method, path, backendURL, urlPattern string, inputHeaders []string, clientPlugin map[string]any) map[string]any {
	be := map[string]any{
		"host":        []string{backendURL},
		"url_pattern": urlPattern,
		"method":      method,
		"encoding":    "no-op",
	}
	if clientPlugin != nil {
		be["extra_config"] = map[string]any{"plugin/http-client": clientPlugin}
	}
	ep := map[string]any{
		"endpoint":        path,
		"method":          method,
		"output_encoding": "no-op",
		"backend":         []any{be},
	}
	if len(inputHeaders) > 0 {
		ep["input_headers"] = inputHeaders
	}
	return ep
}

func rulesClient(cfg map[string]any) map[string]any {
	return map[string]any{"name": rulesPlugin, rulesPlugin: cfg}
}

// helloClient configures the hello-world plugin to answer path itself.
func helloClient(path string) map[string]any {
	if path == "" {
		path = hijackPath
	}
	return map[string]any{"name": helloPlugin, helloPlugin: map[string]any{"path": path}}
}

// scenarioConfig is the gateway configuration of one scenario run: the
// bench endpoint, and for plugin scenarios a /check endpoint whose answer
// only the loaded plugin can give. redisURL is the Redis server of a Redis
// scenario, rulesFile the file a rules_file scenario's rules are in.
func scenarioConfig(s scenario, port int, backendURL, redisURL, rulesFile string, so pluginFiles, accessLog bool) gatewayConfig {
	g := gatewayConfig{port: port, accessLog: accessLog, name: "krakend-rules load test (" + s.id + ")"}
	headers := []string{"X-Tenant"}
	switch s.plugin {
	case noPlugin:
		var unused map[string]any
		if s.rules != nil {
			unused = map[string]any{"name": unregisteredPlugin, unregisteredPlugin: benchRules(s, redisURL)}
		}
		g.endpoints = []any{endpoint("GET", "/bench/{id}", backendURL, "/bench/{id}", headers, unused)}
	case rulesPluginKind:
		g.plugin = so.rules
		bench := benchRules(s, redisURL)
		if s.rulesFile {
			bench = map[string]any{"rules_file": rulesFile}
		}
		g.endpoints = []any{
			endpoint("GET", "/bench/{id}", backendURL, "/bench/{id}", headers, rulesClient(bench)),
			endpoint("GET", checkPath, backendURL, checkPath, nil, rulesClient(checkRules())),
		}
	case helloPluginKind:
		g.plugin = so.hello
		g.endpoints = []any{
			endpoint("GET", "/bench/{id}", backendURL, "/bench/{id}", headers, helloClient(s.helloPath)),
			endpoint("GET", checkPath, backendURL, hijackPath, nil, helloClient("")),
		}
	}
	return g
}

// expectCheck is the /check answer that proves the plugin is in the path.
func expectCheck(p pluginKind) func([]byte) error {
	switch p {
	case rulesPluginKind:
		return expectJSON(`{"check":"krakend-rules"}`)
	case helloPluginKind:
		return expectJSON(`{"message":"` + hijackPath + `"}`)
	}
	return nil
}

// expectJSON returns a check that the body is the JSON document want
// (compared as values, so key order and spacing do not matter).
func expectJSON(want string) func([]byte) error {
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		panic("expectJSON: " + err.Error())
	}
	wantNorm, _ := json.Marshal(w)
	return func(body []byte) error {
		var got any
		if err := json.Unmarshal(body, &got); err != nil {
			return fmt.Errorf("answer is not JSON: %q", truncate(body, 200))
		}
		gotNorm, _ := json.Marshal(got)
		if !bytes.Equal(gotNorm, wantNorm) {
			return fmt.Errorf("answer %s, want %s", truncate(body, 200), want)
		}
		return nil
	}
}

// expectBody returns a check that the body is exactly want, byte for byte.
func expectBody(want string) func([]byte) error {
	return func(body []byte) error {
		if string(body) != want {
			return fmt.Errorf("answer %q, want exactly %q", truncate(body, 200), want)
		}
		return nil
	}
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
