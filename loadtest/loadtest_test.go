package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"krakend-rules/internal/redistest"
	"krakend-rules/rules"
	"krakend-rules/state"
)

const wrkOutput = `Running 10s test @ http://127.0.0.1:42151/bench/42
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.77ms  657.41us  10.39ms   69.07%
    Req/Sec    18.20k     1.82k   20.70k    71.43%
  Latency Distribution
     50%  812.00us
     75%    2.11ms
     90%    2.57ms
     99%    1.05s
  179950 requests in 10.10s, 6.41MB read
  Socket errors: connect 0, read 2, write 1, timeout 4
  Non-2xx or 3xx responses: 12
Requests/sec:  17816.83
Transfer/sec:      3.05MB
`

func TestParseWrkReadsRateLatenciesAndErrors(t *testing.T) {
	r, err := parseWrk(wrkOutput)
	if err != nil {
		t.Fatal(err)
	}
	want := wrkResult{Requests: 179950, RPS: 17816.83, P50: 812 * time.Microsecond, P99: 1050 * time.Millisecond, Non2xx: 12, SocketErrors: 7}
	if r != want {
		t.Errorf("got %+v, want %+v", r, want)
	}
}

func TestParseWrkWithoutLatencyDistributionIsAnError(t *testing.T) {
	out := strings.ReplaceAll(wrkOutput, "     99%    1.05s\n", "")
	if _, err := parseWrk(out); err == nil {
		t.Error("no error for an output without the 99% line")
	}
}

func TestParseWrkDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"812.00us", 812 * time.Microsecond},
		{"1.71ms", 1710 * time.Microsecond},
		{"2.05s", 2050 * time.Millisecond},
		{"1.50m", 90 * time.Second},
	}
	for _, tt := range tests {
		got, err := parseWrkDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseWrkDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if _, err := parseWrkDuration("3 parsecs"); err == nil {
		t.Error("no error for an unknown unit")
	}
}

func TestCountTimeWaitMatchesLocalOrRemotePortInStateSix(t *testing.T) {
	// Port 8080 is 1F90.
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 0100007F:C350 06 00000000:00000000 03:00000F9C 00000000     0        0 0 3 0000000000000000
   1: 0100007F:C351 0100007F:1F90 06 00000000:00000000 03:00000F9C 00000000     0        0 0 3 0000000000000000
   2: 0100007F:C352 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000
   3: 0100007F:C353 0100007F:1F91 06 00000000:00000000 03:00000F9C 00000000     0        0 0 3 0000000000000000
`
	n, err := countTimeWaitIn(bufio.NewScanner(strings.NewReader(table)), 8080)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("got %d TIME_WAIT sockets on port 8080, want 2", n)
	}
}

func TestParseMemStatus(t *testing.T) {
	status := "Name:\tgateway\nVmPeak:\t 1000 kB\nVmHWM:\t   40960 kB\nVmRSS:\t   20480 kB\nThreads:\t5\n"
	m, err := parseMemStatus(bufio.NewScanner(strings.NewReader(status)))
	if err != nil {
		t.Fatal(err)
	}
	if m.HWM != 40<<20 || m.RSS != 20<<20 {
		t.Errorf("got %+v", m)
	}
	if _, err := parseMemStatus(bufio.NewScanner(strings.NewReader("Name:\tx\n"))); err == nil {
		t.Error("no error without VmRSS and VmHWM")
	}
}

func TestSelectScenarios(t *testing.T) {
	all := scenarios(10, 10)
	tests := []struct {
		only string
		want string
	}{
		{"", "a a-rules b b-file b1 c c-hijack d e f-wiremock f-mockoon g g-redis"},
		{"c", "c c-hijack"},
		{"b, a", "a a-rules b b-file"},
		{"b-file", "b-file"},
		{"f", "f-wiremock f-mockoon"},
		{"F-Mockoon,b1", "b1 f-mockoon"},
		{"g", "g g-redis"},
		{"g,g-redis,d", "d g g-redis"},
		{"g-redis", "g-redis"},
	}
	for _, tt := range tests {
		got, err := selectScenarios(all, tt.only)
		if err != nil {
			t.Fatalf("%q: %v", tt.only, err)
		}
		var ids []string
		for _, s := range got {
			ids = append(ids, s.id)
		}
		if strings.Join(ids, " ") != tt.want {
			t.Errorf("-only %q selects %v, want %s", tt.only, ids, tt.want)
		}
	}
	_, err := selectScenarios(all, "a,z")
	if err == nil {
		t.Fatal("no error for an unknown scenario")
	}
	if want := "(known: a, a-rules, b, b-file, b1, c, c-hijack, d, e, f, f-wiremock, f-mockoon, g, g-redis)"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not list %s", err, want)
	}
}

// viaJSON gives v the shape the plugin receives from KrakenD: decoded JSON.
func viaJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestScenarioRulesAnswerAsExpected runs each scenario's rules through the
// engine itself: what the gateway run checks before the load holds here
// already, the 1 000 rules of (b) compile and all miss, and the crud rule
// reads its seeded item from memory (g) and from a real redis-server
// (g-redis; skipped without redis-server).
func TestScenarioRulesAnswerAsExpected(t *testing.T) {
	backend := httptest.NewServer(&backend{})
	defer backend.Close()

	for _, s := range scenarios(1000, 1000) {
		if s.rules == nil || s.plugin == noPlugin {
			continue
		}
		t.Run(s.id, func(t *testing.T) {
			redisURL := ""
			if s.redis {
				redisURL = redistest.Start(t).URL(0)
			}
			cfg := benchRules(s, redisURL)
			if store, _ := cfg["store"].(map[string]any); s.redis != (store != nil) || (store != nil && store["redis"] != redisURL) {
				t.Fatalf("store %v, want redis %q", cfg["store"], redisURL)
			}
			raw := viaJSON(t, cfg)
			if s.id == "b" || s.id == "b-file" {
				if n := len(raw.(map[string]any)["rules"].([]any)); n != 1000 {
					t.Fatalf("%d rules, want 1000", n)
				}
			}
			if s.rulesFile { // as the driver writes it: the rules in a file, the file's name in the configuration
				file := filepath.Join(t.TempDir(), "rules.json")
				b, err := json.Marshal(cfg)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, b, 0o644); err != nil {
					t.Fatal(err)
				}
				raw = viaJSON(t, map[string]any{"rules_file": file})
			}
			// A registry of the test's own: the stores of the crud
			// scenarios are the engine's, as in a fresh gateway.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			engine, err := rules.New(ctx, raw, rules.Options{Registry: &state.Registry{}})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodGet, backend.URL+benchPath, nil)
			req.Header.Set("X-Tenant", benchTenant)
			rec := httptest.NewRecorder()
			engine.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if err := s.expect(rec.Body.Bytes()); err != nil {
				t.Error(err)
			}
			if s.rules != nil && strings.HasPrefix(s.id, "g") {
				// A crud read, not a static answer: another id is not there.
				req := httptest.NewRequest(http.MethodGet, backend.URL+"/bench/41", nil)
				rec := httptest.NewRecorder()
				engine.ServeHTTP(rec, req)
				if rec.Code != http.StatusNotFound {
					t.Errorf("GET /bench/41: status %d, want 404: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

func TestBodyRuleMatchesSmallBodiesOnly(t *testing.T) {
	engine, err := rules.New(context.Background(), viaJSON(t, bodyRules()), rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	backend := httptest.NewServer(&backend{})
	defer backend.Close()

	small := `{"kind":"bench"}`
	req := httptest.NewRequest(http.MethodPost, backend.URL+"/upload/1", strings.NewReader(small))
	rec := httptest.NewRecorder()
	engine.ServeHTTP(rec, req)
	if err := expectJSON(`{"matched":true}`)(rec.Body.Bytes()); err != nil {
		t.Errorf("small body: %v", err)
	}

	const size = 2 << 20 // over the default 1 MiB bound: delegated whole
	req = httptest.NewRequest(http.MethodPost, backend.URL+"/upload/1", newPaddedJSON(size))
	rec = httptest.NewRecorder()
	engine.ServeHTTP(rec, req)
	if err := expectJSON(`{"ok":true,"received":2097152}`)(rec.Body.Bytes()); err != nil {
		t.Errorf("large body: %v", err)
	}
}

func TestPaddedJSONIsValidJSONOfTheExactSize(t *testing.T) {
	b, err := io.ReadAll(newPaddedJSON(100_000))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 100_000 {
		t.Fatalf("%d bytes, want 100000", len(b))
	}
	var v struct{ Kind, Pad string }
	if err := json.Unmarshal(b, &v); err != nil || v.Kind != "bench" {
		t.Errorf("not the expected JSON: %v %q", err, v.Kind)
	}
}

func TestGatewayConfigUsesNoOpEncodingAndTheNamedPluginFile(t *testing.T) {
	for _, s := range scenarios(3, 3) {
		g := scenarioConfig(s, 9000, "http://127.0.0.1:9001", "redis://127.0.0.1:9002/0", "/z/rules.json", pluginFiles{rules: "/x/krakend-rules.so", hello: "/y/helloworld.so"}, false)
		b, err := g.marshal()
		if err != nil {
			t.Fatal(err)
		}
		var cfg struct {
			Plugin *struct {
				Folder, Pattern string
			}
			ExtraConfig map[string]map[string]any `json:"extra_config"`
			Endpoints   []struct {
				Endpoint       string
				OutputEncoding string `json:"output_encoding"`
				Backend        []struct {
					Encoding string
					Host     []string
				}
			}
		}
		if err := json.Unmarshal(b, &cfg); err != nil {
			t.Fatal(err)
		}
		for _, ep := range cfg.Endpoints {
			if ep.OutputEncoding != "no-op" || len(ep.Backend) != 1 || ep.Backend[0].Encoding != "no-op" {
				t.Errorf("(%s) %s: not a single no-op backend", s.id, ep.Endpoint)
			}
		}
		if cfg.ExtraConfig[luraGinOptions]["disable_access_log"] != true {
			t.Errorf("(%s): access log not disabled", s.id)
		}
		switch s.plugin {
		case noPlugin:
			if cfg.Plugin != nil {
				t.Errorf("(%s): loads a plugin", s.id)
			}
		case rulesPluginKind:
			if cfg.Plugin == nil || cfg.Plugin.Folder != "/x" || cfg.Plugin.Pattern != "krakend-rules.so" {
				t.Errorf("(%s): plugin %+v", s.id, cfg.Plugin)
			}
		case helloPluginKind:
			if cfg.Plugin == nil || cfg.Plugin.Folder != "/y" || cfg.Plugin.Pattern != "helloworld.so" {
				t.Errorf("(%s): plugin %+v", s.id, cfg.Plugin)
			}
		}
	}
}

func TestMockoonEnvironmentServesTheBackendBody(t *testing.T) {
	env := viaJSON(t, mockoonEnvironment(3000)).(map[string]any)
	if env["hostname"] != "127.0.0.1" || env["port"] != float64(3000) {
		t.Errorf("listens on %v:%v", env["hostname"], env["port"])
	}
	route := env["routes"].([]any)[0].(map[string]any)
	resp := route["responses"].([]any)[0].(map[string]any)
	if route["endpoint"] != "bench/:id" || resp["body"] != backendBody || resp["default"] != true {
		t.Errorf("route %v", route)
	}
	children := env["rootChildren"].([]any)
	if children[0].(map[string]any)["uuid"] != route["uuid"] {
		t.Error("the route is not in rootChildren")
	}
}

func TestGroupDigits(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999.6: "1 000", 17512.3: "17 512", 1234567: "1 234 567", -4500: "-4 500"} {
		if got := groupDigits(in); got != want {
			t.Errorf("groupDigits(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestParseMachineCPU(t *testing.T) {
	stat := "cpu  100 5 50 1000 7 3 2 40 0 0\ncpu0 50 2 25 500 3 1 1 20 0 0\n"
	m, err := parseMachineCPU(stat)
	if err != nil {
		t.Fatal(err)
	}
	if m.busy != 160*clockTick || m.steal != 40*clockTick {
		t.Errorf("got %+v", m)
	}
}

func TestParseProcessCPUSkipsACommandNameWithSpaces(t *testing.T) {
	stat := "4242 (my gate) way) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 30 0 0 20 0 5 0 100 1000000 500 18446744073709551615"
	d, err := parseProcessCPU(stat)
	if err != nil {
		t.Fatal(err)
	}
	if d != 280*clockTick {
		t.Errorf("got %v, want %v", d, 280*clockTick)
	}
}

func TestTargetsSayWhetherEachGoalIsMet(t *testing.T) {
	sum := func(id string, rps, p99 float64) summary {
		return summary{s: scenario{id: id}, runs: []runResult{{}}, rps: rps, p99: p99}
	}
	var b strings.Builder
	r := &report{opts: options{rules: 1000}}
	r.targets(func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }, []summary{
		sum("a", 1000, 0.010), sum("b", 950, 0.013), sum("c-hijack", 2000, 0.001), sum("d", 1900, 0.001),
		sum("a-rules", 1000, 0.011),
	})
	got := b.String()
	for _, want := range []string{
		"| (b) / (a): delegating past 1 000 rules vs no plugin, req/s | 0.95 | ≥ 0.95 | met |",
		"| (b) / (a): delegating past 1 000 rules vs no plugin, p99 | 1.30 | ≤ 1.20 | **missed** |",
		"| (b) / (a-rules): delegating past 1 000 rules vs the same configuration, no plugin, p99 | 1.18 | ≤ 1.20 | met |",
		"| (d) / (c-hijack): static rule vs the hello-world plugin's hijack, req/s | 0.95 | ≥ 1.00 | **missed** |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "WireMock") || strings.Contains(got, "(e)") {
		t.Errorf("a target whose scenarios did not run is listed:\n%s", got)
	}
}

func TestReportTableGivesRatiosToAAndToD(t *testing.T) {
	sum := func(id string, rps float64) summary {
		return summary{s: scenario{id: id, title: id}, runs: []runResult{{wrk: wrkResult{RPS: rps}}}, rps: rps}
	}
	render := func(r *report, sums []summary) string {
		var b strings.Builder
		base, baseD := ratioBases(sums)
		r.table(func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }, sums, base, baseD)
		return b.String()
	}
	r := &report{skipped: map[string]string{"g-redis": "redis-server not found (apt-get install redis-server)"}, failed: map[string]string{}}
	got := render(r, []summary{sum("a", 1000), sum("d", 2000), sum("g", 1500), {s: scenario{id: "g-redis", title: "g-redis"}}})
	for _, want := range []string{
		"| scenario | req/s | × (a) | × (d) | p50 | p99 | req/s per run |\n|---|---:|---:|---:|---:|---:|---|\n",
		"| (a) a | 1 000 | 1.00 | 0.50 |",
		"| (d) d | 2 000 | 2.00 | 1.00 |",
		"| (g) g | 1 500 | 1.50 | 0.75 |",
		"| (g-redis) g-redis | skipped: redis-server not found (apt-get install redis-server) | | | | | |\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}

	// Without (d), no such column.
	got = render(r, []summary{sum("a", 1000), sum("g", 1500)})
	if strings.Contains(got, "× (d)") || !strings.Contains(got, "| (g) g | 1 500 | 1.50 | 0 µs |") {
		t.Errorf("without (d):\n%s", got)
	}
}

func TestStartRedisWithoutRedisServerSkips(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := startRedis(context.Background(), newProcs(), t.TempDir(), 1, -1)
	if !errors.Is(err, errSkipped) || !strings.Contains(err.Error(), "apt-get install redis-server") {
		t.Errorf("got %v, want a skip that says how to install redis-server", err)
	}
}

func TestStartRedisAnswersPingAndStopsByPID(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed (apt-get install redis-server)")
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	p := newProcs()
	defer p.stopAll()
	pr, err := startRedis(context.Background(), p, t.TempDir(), port, -1)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := pingRedis(addr); err != nil {
		t.Fatal(err)
	}
	pr.stop(5 * time.Second)
	if !pr.exited() {
		t.Fatal("redis-server still running after stop")
	}
	if err := pingRedis(addr); err == nil {
		t.Error("something still answers PING after stop")
	}
}
