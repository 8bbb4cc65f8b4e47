package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rowOf finds a rule's statistics in the process's.
func rowOf(t *testing.T, backend, rule string) StatsRow {
	t.Helper()
	for _, row := range processStats.snapshot() {
		if row.Backend == backend && row.Rule == rule {
			return row
		}
	}
	t.Fatalf("no statistics for %s / %s", backend, rule)
	return StatsRow{}
}

// TestRuleStatistics counts each outcome of each kind of rule.
func TestRuleStatistics(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			w.WriteHeader(503)
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	defer backend.Close()
	closed := closedPort(t)
	e := newEngine(t, `{"label":"stats-test","rules":[
		{"name":"static","match":{"path":"/static"},"response":{"body":{"a":1}}},
		{"name":"broken","match":{"path":"/broken"},"response":{"body":{"a":"{{ index .Segments 5 }}"}}},
		{"name":"fallback","match":{"path":"/down"},"delegate":{"fallback":{"response":{"body":{"mock":true}}}}},
		{"name":"unreachable","match":{"path":"/gone"},"delegate":{"to":"http://`+closed+`"}},
		{"name":"delegated","match":{"path":"/real"},"delegate":{}},
		{"name":"never","match":{"path":"/never"},"response":{}}]}`, nil)
	before := time.Now()
	for path, n := range map[string]int{"/static": 3, "/broken": 1, "/down": 2, "/gone": 1, "/real": 4, "/elsewhere": 2} {
		for range n {
			serve(e, backendRequest(t, "GET", backend.URL+path, "", nil))
		}
	}
	for _, c := range []struct {
		rule                                  string
		answered, delegated, fallback, failed int64
	}{
		{"static", 3, 0, 0, 0},
		{"broken", 0, 0, 0, 1},
		{"fallback", 0, 0, 2, 0},
		{"unreachable", 0, 0, 0, 1},
		{"delegated", 0, 4, 0, 0},
		{"never", 0, 0, 0, 0},
	} {
		row := rowOf(t, "stats-test", c.rule)
		if row.Answered != c.answered || row.Delegated != c.delegated || row.Fallback != c.fallback || row.Failed != c.failed {
			t.Errorf("%s: %+v, want %d answered, %d delegated, %d fallback, %d failed", c.rule, row, c.answered, c.delegated, c.fallback, c.failed)
		}
		last, err := time.Parse(time.RFC3339Nano, row.LastMatched)
		switch {
		case c.rule == "never" && row.LastMatched != "":
			t.Errorf("never matched, but last_matched is %q", row.LastMatched)
		case c.rule != "never" && (err != nil || last.Before(before.Add(-2*time.Second)) || last.After(time.Now())): // the coarse clock may lag on a starved CPU
			t.Errorf("%s: last_matched %q (%v)", c.rule, row.LastMatched, err)
		}
	}
	line := e.statsLine(time.Now())
	if !strings.HasPrefix(line, `stats, busiest first: "delegated": 0 answered, 4 delegated, 0 fallback, 0 failed, last matched `) ||
		!strings.HasSuffix(line, `(and 1 more rule)`) || strings.Contains(line, `"never"`) {
		t.Errorf("the summary line: %s", line)
	}
}

// TestStatisticsSurviveReloads keeps the counts of the rules whose names a
// new rules_file keeps.
func TestStatisticsSurviveReloads(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rules.json")
	write := func(names ...string) {
		var rules []string
		for _, n := range names {
			rules = append(rules, `{"name":"`+n+`","match":{"path":"/`+n+`"},"response":{}}`)
		}
		os.WriteFile(file, []byte(`{"rules":[`+strings.Join(rules, ",")+`]}`), 0o644)
	}
	write("kept", "dropped")
	e := newEngine(t, `{"label":"reload-stats","rules_file":`+strconv.Quote(file)+`}`, nil)
	serve(e, backendRequest(t, "GET", "http://b.invalid/kept", "", nil))
	serve(e, backendRequest(t, "GET", "http://b.invalid/kept", "", nil))
	os.WriteFile(file, []byte(`{"rules":[{"name":"kept","response":{}},{"name":"never-in-force","match":{"path":"[a-"},"response":{}}]}`), 0o644)
	e.rulesFile.trusted = false
	e.reloadRulesFile()
	for _, row := range processStats.snapshot() {
		if row.Rule == "never-in-force" {
			t.Error("the rules of an invalid rules_file are counted")
		}
	}
	write("kept", "added")
	e.rulesFile.trusted = false
	e.reloadRulesFile()
	serve(e, backendRequest(t, "GET", "http://b.invalid/kept", "", nil))
	serve(e, backendRequest(t, "GET", "http://b.invalid/added", "", nil))
	if row := rowOf(t, "reload-stats", "kept"); row.Answered != 3 {
		t.Errorf("kept across the reload: %d answered, want 3", row.Answered)
	}
	if row := rowOf(t, "reload-stats", "added"); row.Answered != 1 {
		t.Errorf("added: %d answered, want 1", row.Answered)
	}
	for _, row := range processStats.snapshot() {
		if row.Backend == "reload-stats" && row.Rule == "dropped" {
			t.Error("a rule the reload removed is still listed")
		}
	}
	write("kept", "dropped")
	e.rulesFile.trusted = false
	e.reloadRulesFile()
	if row := rowOf(t, "reload-stats", "kept"); row.Answered != 3 {
		t.Errorf("kept across two reloads: %d answered, want 3", row.Answered)
	}
	rowOf(t, "reload-stats", "dropped") // listed again, with its counts
}

// TestCountingCostsNoAllocation: a static answer, counted, allocates
// nothing, and neither does counting by itself.
func TestCountingCostsNoAllocation(t *testing.T) {
	e := newEngine(t, `{"label":"alloc-stats","rules":[{"name":"s","response":{"body":{"a":1}}}]}`, nil)
	req := httptest.NewRequest("GET", "http://backend.invalid/x", nil)
	w := &discardWriter{h: http.Header{}}
	if n := testing.AllocsPerRun(1000, func() { e.ServeHTTP(w, req) }); n != 0 {
		t.Errorf("a counted static answer allocates %v times", n)
	}
	s := processStats.of("alloc-stats", "s")
	if n := testing.AllocsPerRun(1000, func() { s.count(outcomeDelegated, 1) }); n != 0 {
		t.Errorf("counting allocates %v times", n)
	}
	if got := rowOf(t, "alloc-stats", "s").Answered; got < 1000 {
		t.Errorf("answered %d, want at least 1000", got)
	}
}

// BenchmarkRuleStatsCount is the cost of counting one request.
func BenchmarkRuleStatsCount(b *testing.B) {
	s := processStats.of("bench-stats", "r")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.count(outcome(i&3), int64(i))
	}
}

// TestStatsAction answers the process's statistics as JSON and in the
// Prometheus text format, label values escaped.
func TestStatsAction(t *testing.T) {
	odd := newEngine(t, `{"label":"odd \"label\" \\ with\nnewline","rules":[{"name":"r \"1\"","response":{}}]}`, nil)
	serve(odd, backendRequest(t, "GET", "http://b.invalid/x", "", nil))
	e := newEngine(t, `{"label":"stats-endpoint","rules":[
		{"name":"json","match":{"path":"/json"},"stats":{}},
		{"name":"prom","match":{"path":"/metrics"},"stats":{"format":"prometheus"}}]}`, nil)

	res, body := serve(e, backendRequest(t, "GET", "http://b.invalid/json", "", nil))
	var doc struct{ Rules []StatsRow }
	if err := json.Unmarshal([]byte(body), &doc); err != nil || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("JSON: %v %s %s", err, res.Header.Get("Content-Type"), body)
	}
	found := false
	for _, row := range doc.Rules {
		if row.Backend == "odd \"label\" \\ with\nnewline" && row.Rule == `r "1"` && row.Answered == 1 && row.LastMatched != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("the JSON statistics miss the odd rule: %s", body)
	}

	res, body = serve(e, backendRequest(t, "GET", "http://b.invalid/metrics", "", nil))
	if ct := res.Header.Get("Content-Type"); ct != PrometheusContentType {
		t.Errorf("Content-Type %q", ct)
	}
	samples, err := parsePrometheusText(body)
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	want := map[string]float64{
		`krakend_rules_requests_total{backend="odd \"label\" \\ with\nnewline",rule="r \"1\"",outcome="answered"}`: 1,
		`krakend_rules_requests_total{backend="stats-endpoint",rule="json",outcome="answered"}`:                    1,
		`krakend_rules_requests_total{backend="stats-endpoint",rule="prom",outcome="failed"}`:                      0,
	}
	for k, v := range want {
		if got, ok := samples[k]; !ok || got != v {
			t.Errorf("%s = %v (present: %v), want %v", k, got, ok, v)
		}
	}
	last := samples[`krakend_rules_last_matched_timestamp_seconds{backend="stats-endpoint",rule="json"}`]
	if now := float64(time.Now().UnixNano()) / 1e9; last < now-60 || last > now {
		t.Errorf("last matched %v, now %v", last, now)
	}
}

// The text exposition format 0.0.4, strictly: comment lines "# HELP name
// text" and "# TYPE name counter|gauge" (once per family, before its
// samples), and samples "name{label="value",...} number".
var (
	metricName  = `[a-zA-Z_:][a-zA-Z0-9_:]*`
	helpLine    = regexp.MustCompile(`^# HELP (` + metricName + `) ([^\n]*)$`)
	typeLine    = regexp.MustCompile(`^# TYPE (` + metricName + `) (counter|gauge|histogram|summary|untyped)$`)
	sampleLine  = regexp.MustCompile(`^(` + metricName + `)(\{(.*)\})? ([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|NaN|[-+]Inf))( -?[0-9]+)?$`)
	labelValues = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"$`)
)

// parsePrometheusText checks a whole exposition and returns its samples by
// their line's name and labels.
func parsePrometheusText(text string) (map[string]float64, error) {
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("the exposition does not end with a line feed")
	}
	samples := map[string]float64{}
	typed, helped := map[string]bool{}, map[string]bool{}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "# HELP "):
			m := helpLine.FindStringSubmatch(line)
			if m == nil || helped[m[1]] {
				return nil, fmt.Errorf("line %d: bad or repeated HELP: %q", i+1, line)
			}
			helped[m[1]] = true
		case strings.HasPrefix(line, "# TYPE "):
			m := typeLine.FindStringSubmatch(line)
			if m == nil || typed[m[1]] {
				return nil, fmt.Errorf("line %d: bad or repeated TYPE: %q", i+1, line)
			}
			typed[m[1]] = true
		case strings.HasPrefix(line, "#"):
		default:
			m := sampleLine.FindStringSubmatch(line)
			if m == nil {
				return nil, fmt.Errorf("line %d: not a sample: %q", i+1, line)
			}
			if !typed[m[1]] || !helped[m[1]] {
				return nil, fmt.Errorf("line %d: a sample before its family's HELP and TYPE: %q", i+1, line)
			}
			if err := checkLabels(m[3]); err != nil {
				return nil, fmt.Errorf("line %d: %v: %q", i+1, err, line)
			}
			v, err := strconv.ParseFloat(m[4], 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", i+1, err)
			}
			key := m[1] + m[2]
			if _, dup := samples[key]; dup {
				return nil, fmt.Errorf("line %d: a repeated sample: %q", i+1, line)
			}
			samples[key] = v
		}
	}
	return samples, nil
}

// checkLabels splits label pairs at the commas outside quoted values and
// checks each.
func checkLabels(s string) error {
	if s == "" {
		return nil
	}
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case quoted && s[i] == '\\':
			i++
		case s[i] == '"':
			quoted = !quoted
		case !quoted && s[i] == ',':
			if !labelValues.MatchString(s[start:i]) {
				return fmt.Errorf("bad label %q", s[start:i])
			}
			start = i + 1
		}
	}
	if quoted || !labelValues.MatchString(s[start:]) {
		return fmt.Errorf("bad label %q", s[start:])
	}
	return nil
}

// TestStatsLogInterval logs a summary at INFO until the context ends.
func TestStatsLogInterval(t *testing.T) {
	log := &testLogger{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, err := New(ctx, decodeJSON(t, `{"label":"stats-log","stats_log_interval":"1s","rules":[{"name":"s","response":{}}]}`), Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	serve(e, backendRequest(t, "GET", "http://b.invalid/x", "", nil))
	waitFor(t, func() bool {
		log.mu.Lock()
		defer log.mu.Unlock()
		for _, l := range log.lines {
			if strings.HasPrefix(l, `INFO: [PLUGIN: krakend-rules][stats-log] stats, busiest first: "s": 1 answered, 0 delegated, 0 fallback, 0 failed, last matched `) {
				return true
			}
		}
		return false
	})
}

// TestStatsRegistryCollisions: keys whose hashes collide still have their
// own counters and names, whatever the order they come in, and the
// label's length keeps ("ab", "c") apart from ("a", "bc").
func TestStatsRegistryCollisions(t *testing.T) {
	keys := [][2]string{{"ab", "c"}, {"a", "bc"}, {"", "abc"}, {"abc", ""}, {"b", "x"}, {"ab", "d"}, {"", ""}}
	if h := newStatsRegistry(); statsHash(h.seed, "ab", "c") == statsHash(h.seed, "a", "bc") {
		t.Error(`statsHash("ab", "c") = statsHash("a", "bc")`)
	}
	for _, c := range []struct {
		name string
		hash func(seed maphash.Seed, backend, rule string) uint64
	}{
		{"all in one slot", func(maphash.Seed, string, string) uint64 { return 7 }},
		{"all in the last slot, probing wraps", func(maphash.Seed, string, string) uint64 { return math.MaxUint64 }},
		{"by the total length", func(_ maphash.Seed, b, r string) uint64 { return uint64(len(b) + len(r)) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newStatsRegistry()
			r.hash = c.hash
			got := map[*ruleStats][2]string{}
			for i, k := range keys {
				s := r.of(k[0], k[1])
				if other, dup := got[s]; dup {
					t.Fatalf("%q and %q share their counters", k, other)
				}
				got[s] = k
				s.inForce.Add(1)
				s.answered.Add(int64(i))
			}
			for i := len(keys) - 1; i >= 0; i-- { // found again, last first
				if s := r.of(keys[i][0], keys[i][1]); got[s] != keys[i] {
					t.Errorf("%q found %q's counters", keys[i], got[s])
				}
			}
			want := slices.Clone(keys)
			slices.SortFunc(want, func(a, b [2]string) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) })
			rows := r.snapshot()
			if len(rows) != len(want) {
				t.Fatalf("%d rows, want %d", len(rows), len(want))
			}
			for i, row := range rows {
				if row.Backend != want[i][0] || row.Rule != want[i][1] || row.Answered != int64(slices.Index(keys, want[i])) {
					t.Errorf("row %d: %q %q %d answered, want %q", i, row.Backend, row.Rule, row.Answered, want[i])
				}
			}
		})
	}
}

// TestStatsRegistryKeepsEveryRule: across several slabs and backends
// registered in turn, each rule has its own counters, found again after,
// and the rows in force are listed by backend then rule, as a map of the
// names to counters would list them.
func TestStatsRegistryKeepsEveryRule(t *testing.T) {
	r := newStatsRegistry()
	type key struct{ backend, rule string }
	model := map[key]*ruleStats{}
	var order []key
	for round := range 3 { // a backend's rules, then another's, then the first's again: labels shared and not
		for _, backend := range []string{"b", "a", "b"} {
			for i := range 300 {
				k := key{backend, "r" + strconv.Itoa((i*7919+round*31)%400)}
				s := r.of(k.backend, k.rule)
				if kept, ok := model[k]; ok && kept != s {
					t.Fatalf("%v: other counters the second time", k)
				} else if !ok {
					model[k] = s
					order = append(order, k)
				}
			}
		}
	}
	if len(r.entries) != len(model) || len(*r.chunks.Load()) != (len(model)+statsChunk-1)/statsChunk || len(*r.chunks.Load()) < 3 {
		t.Fatalf("%d entries in %d chunks for %d rules", len(r.entries), len(*r.chunks.Load()), len(model))
	}
	seen := map[*ruleStats]bool{}
	for i, k := range order {
		s := model[k]
		if seen[s] {
			t.Fatalf("%v shares its counters", k)
		}
		seen[s] = true
		if i%3 != 0 { // every third is not in force: not listed
			s.inForce.Add(1)
			s.delegated.Add(int64(i))
		}
	}
	var want []StatsRow
	for i, k := range order {
		if i%3 != 0 {
			want = append(want, StatsRow{Backend: k.backend, Rule: k.rule, Delegated: int64(i)})
		}
	}
	slices.SortFunc(want, func(a, b StatsRow) int {
		if c := strings.Compare(a.Backend, b.Backend); c != 0 {
			return c
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	if got := r.snapshot(); !slices.Equal(got, want) {
		t.Errorf("snapshot:\n%v\nwant\n%v", got, want)
	}
}

// TestStatsRegistryAllocatesInSlabs: registering many rules allocates a
// few slabs and amortised growth, not an object per rule (which the
// garbage collector would mark at every cycle for the process's life);
// finding them again allocates nothing.
func TestStatsRegistryAllocatesInSlabs(t *testing.T) {
	if raceDetector {
		t.Skip("the race detector's instrumentation allocates on its own")
	}
	const n = 10000
	names := make([]string, n)
	for i := range names {
		names[i] = "rule-" + strconv.Itoa(i)
	}
	var r *statsRegistry
	allocs := testing.AllocsPerRun(3, func() {
		r = newStatsRegistry()
		for _, name := range names {
			r.of("backend", name)
		}
	})
	t.Logf("%v allocations", allocs)
	if allocs > n/20 { // the old map of one object per rule: more than n
		t.Errorf("registering %d rules allocates %v times", n, allocs)
	}
	if again := testing.AllocsPerRun(3, func() {
		for _, name := range names {
			r.of("backend", name)
		}
	}); again != 0 {
		t.Errorf("finding %d rules again allocates %v times", n, again)
	}
}

// BenchmarkStatsRegister is the cost of registering 10 000 rules in a new
// registry, as a gateway's first rules do.
func BenchmarkStatsRegister(b *testing.B) {
	names := make([]string, 10000)
	for i := range names {
		names[i] = "rule-" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := newStatsRegistry()
		for _, name := range names {
			r.of("backend", name)
		}
	}
}

// TestStatsRegistryConcurrently registers rules while others list them:
// the arena a listing reads without the lock is only appended to (run
// with -race).
func TestStatsRegistryConcurrently(t *testing.T) {
	r := newStatsRegistry()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 2000 {
			r.of("b"+strconv.Itoa(i%3), "r"+strconv.Itoa(i)).inForce.Add(1)
		}
	}()
	for listing := true; listing; {
		select {
		case <-done:
			listing = false
		default:
		}
		for _, row := range r.snapshot() {
			if i, err := strconv.Atoi(strings.TrimPrefix(row.Rule, "r")); err != nil || row.Backend != "b"+strconv.Itoa(i%3) {
				t.Fatalf("a row's names: %q %q", row.Backend, row.Rule)
			}
		}
	}
	if rows := r.snapshot(); len(rows) != 2000 {
		t.Errorf("%d rows, want 2000", len(rows))
	}
}
