package main

import (
	"debug/buildinfo"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// report gathers the results and renders them as Markdown.
type report struct {
	opts      options
	machine   string
	binaries  string
	started   time.Time
	finished  time.Time
	scenarios []scenario
	runs      []runResult
	skipped   map[string]string // scenario id → reason
	failed    map[string]string // scenario id → error
	soak      *soakResult
	bodies    []bodyResult
	memoryErr string
	// loadBefore and loadAfter are /proc/loadavg's first three fields: other
	// work on the machine skews every figure, so the report shows it.
	loadBefore, loadAfter string
}

// loadAverage returns the 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// describeMachine names the CPU, cores, kernel, the gateway's Go release
// and wrk's version.
func describeMachine(gateway string) string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel := "?"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	goVersion := runtime.Version()
	if info, err := buildinfo.ReadFile(gateway); err == nil {
		goVersion = info.GoVersion
	}
	wrkVersion := "wrk"
	if out, err := exec.Command("wrk", "-v").CombinedOutput(); err == nil || len(out) > 0 {
		if f := strings.Fields(string(out)); len(f) >= 2 {
			wrkVersion = f[0] + " " + f[1]
		}
	}
	return fmt.Sprintf("%s, %d cores, Linux %s; gateway built with %s; %s", cpu, runtime.NumCPU(), kernel, goVersion, wrkVersion)
}

// describeBinaries names each file relative to the working directory, with
// its modification time.
func describeBinaries(paths ...string) string {
	wd, _ := os.Getwd()
	var parts []string
	for _, p := range paths {
		name := p
		if rel, err := filepath.Rel(wd, p); err == nil {
			name = rel
		}
		if info, err := os.Stat(p); err == nil {
			name = fmt.Sprintf("`%s` (built %s)", name, info.ModTime().Format("2006-01-02 15:04"))
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, ", ")
}

// summary is one scenario over its runs.
type summary struct {
	s             scenario
	runs          []runResult
	rps, p50, p99 float64 // means; latencies in seconds
}

func (r *report) summaries() []summary {
	var out []summary
	for _, s := range r.scenarios {
		sum := summary{s: s}
		for _, run := range r.runs {
			if run.scenario == s.id && run.round > 0 {
				sum.runs = append(sum.runs, run)
				sum.rps += run.wrk.RPS
				sum.p50 += run.wrk.P50.Seconds()
				sum.p99 += run.wrk.P99.Seconds()
			}
		}
		if n := float64(len(sum.runs)); n > 0 {
			sum.rps /= n
			sum.p50 /= n
			sum.p99 /= n
		}
		out = append(out, sum)
	}
	return out
}

func (r *report) markdown() string {
	var b strings.Builder
	o := r.opts
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	w("## Gateway load comparison\n\n")
	w("%s. %s.\n\n", r.started.Format("2006-01-02 15:04 MST"), r.machine)
	w("Binaries: %s.\n\n", r.binaries)
	w("Each run: a fresh gateway (`build/gateway`, Lura v2.14.1) and a fresh backend, `wrk -t%d -c%d -d%s --latency -H '%s'` on `GET %s` after a %s warm-up. ",
		o.threads, o.connections, o.duration, benchHeader, benchPath, o.warmup)
	if r.withRedis() {
		w("The gateway is pinned to CPU %d, wrk, the backends and the Redis scenarios' redis-server (a fresh one each run, without persistence; its CPU counts as the backend's) to CPU %d. ", o.gatewayCPU, o.loadCPU)
	} else {
		w("The gateway is pinned to CPU %d, wrk and the backends to CPU %d. ", o.gatewayCPU, o.loadCPU)
	}
	w("Endpoint `GET /bench/{id}` with `output_encoding: no-op`, one backend with `encoding: no-op` and `input_headers: [X-Tenant]`; the gateway logs at %s", o.logLevel)
	if o.accessLog {
		w(" with its access log on")
	} else {
		w(" with its access log off")
	}
	w(". %d round(s), interleaved: %s. Means of the runs; × (a) is req/s over scenario (a)'s", o.runs, r.order())
	sums := r.summaries()
	base, baseD := ratioBases(sums)
	if baseD > 0 {
		w(", × (d) over the static rule's (d)")
	}
	w(". ")
	w("Load average (1 5 15 min) before: %s, after: %s.\n\n", r.loadBefore, r.loadAfter)

	r.table(w, sums, base, baseD)
	for id, msg := range r.failed {
		w("\nScenario (%s) failed: %s\n", id, msg)
	}
	r.targets(w, sums)

	w("\n### Runs, in the order they ran\n\n")
	w("CPU columns are in cores over the measured run (1.00 = one CPU busy throughout): the gateway alone has CPU %d; *other* is everything else on the machine, and *steal* what the hypervisor took — both are noise.\n\n", o.gatewayCPU)
	w("| # | scenario | req/s | p50 | p99 | non-2xx | socket errors | backend connections opened | TIME_WAIT on the backend port (after the run) | gateway RSS after | CPU gateway | CPU wrk + backend | CPU other | steal |\n")
	w("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, run := range r.runs {
		if run.round == 0 {
			continue
		}
		w("| %d | (%s) | %s | %s | %s | %d | %d | %s | %d (%d) | %s | %.2f | %.2f | %.2f | %.2f |\n", i+1, run.scenario, groupDigits(run.wrk.RPS),
			fmtLatency(run.wrk.P50), fmtLatency(run.wrk.P99), run.wrk.Non2xx, run.wrk.SocketErrors,
			fmtOptInt(run.connsOpened), run.timeWait, run.timeWaitAfter, fmtMiB(run.gatewayRSS),
			run.cpu.gateway, run.cpu.load, run.cpu.other, run.cpu.steal)
	}

	r.churn(w)
	r.memory(w)
	w("\nTotal time %s.\n", r.finished.Sub(r.started).Round(time.Second))
	return b.String()
}

// withRedis tells whether a selected scenario runs a redis-server.
func (r *report) withRedis() bool {
	for _, s := range r.scenarios {
		if s.redis {
			return true
		}
	}
	return false
}

// ratioBases returns the mean req/s of (a) and of (d), 0 for one that did
// not run.
func ratioBases(sums []summary) (a, d float64) {
	for _, s := range sums {
		switch s.s.id {
		case "a":
			a = s.rps
		case "d":
			d = s.rps
		}
	}
	return a, d
}

// table is the summary table: a row per scenario, with its ratio to (a),
// and to (d) when (d) ran (the comparison row of the rule actions: what a
// crud read costs against a static answer).
func (r *report) table(w func(string, ...any), sums []summary, base, baseD float64) {
	withD := baseD > 0
	ratioCell := func(rps, den float64) string {
		if den > 0 {
			return fmt.Sprintf("%.2f", rps/den)
		}
		return "—"
	}
	if withD {
		w("| scenario | req/s | × (a) | × (d) | p50 | p99 | req/s per run |\n")
		w("|---|---:|---:|---:|---:|---:|---|\n")
	} else {
		w("| scenario | req/s | × (a) | p50 | p99 | req/s per run |\n")
		w("|---|---:|---:|---:|---:|---|\n")
	}
	empty := " | | | | |"
	if withD {
		empty += " |"
	}
	for _, s := range sums {
		name := fmt.Sprintf("(%s) %s", s.s.id, s.s.title)
		if reason, ok := r.skipped[s.s.id]; ok {
			w("| %s | skipped: %s%s\n", name, mdEscape(reason), empty)
			continue
		}
		if msg, ok := r.failed[s.s.id]; ok && len(s.runs) == 0 {
			w("| %s | failed: %s%s\n", name, mdEscape(firstLine(msg)), empty)
			continue
		}
		if len(s.runs) == 0 {
			continue
		}
		var per []string
		for _, run := range s.runs {
			per = append(per, groupDigits(run.wrk.RPS))
		}
		ratios := ratioCell(s.rps, base)
		if withD {
			ratios += " | " + ratioCell(s.rps, baseD)
		}
		w("| %s | %s | %s | %s | %s | %s |\n", name, groupDigits(s.rps), ratios,
			fmtLatency(secs(s.p50)), fmtLatency(secs(s.p99)), strings.Join(per, " · "))
	}
}

// target is one of the project's performance goals: a ratio between two
// scenarios' figures that must reach (or, with atMost, stay within) goal.
type target struct {
	what     string
	num, den string // scenario ids
	p99      bool   // compare p99 latencies instead of req/s
	goal     float64
	atMost   bool
}

var targets = []target{
	{what: "delegating past {rules} rules vs no plugin, req/s", num: "b", den: "a", goal: 0.95},
	{what: "delegating past {rules} rules vs no plugin, p99", num: "b", den: "a", p99: true, goal: 1.2, atMost: true},
	{what: "delegating past 1 rule vs no plugin, req/s", num: "b1", den: "a", goal: 0.95},
	{what: "delegating past 1 rule vs no plugin, p99", num: "b1", den: "a", p99: true, goal: 1.2, atMost: true},
	// The same two goals against a gateway that keeps (b)'s configuration
	// without loading the plugin: what the plugin itself costs.
	{what: "delegating past {rules} rules vs the same configuration, no plugin, req/s", num: "b", den: "a-rules", goal: 0.95},
	{what: "delegating past {rules} rules vs the same configuration, no plugin, p99", num: "b", den: "a-rules", p99: true, goal: 1.2, atMost: true},
	// Rules from a rules_file, which the host does not keep: the plugin's
	// own cost at that many rules, against no plugin and against (b).
	{what: "delegating past {file-rules} rules from a rules_file vs no plugin, req/s", num: "b-file", den: "a", goal: 0.95},
	{what: "delegating past {file-rules} rules from a rules_file vs no plugin, p99", num: "b-file", den: "a", p99: true, goal: 1.2, atMost: true},
	{what: "delegating past {file-rules} rules from a rules_file vs {rules} inline, req/s", num: "b-file", den: "b", goal: 0.95},
	{what: "delegating past {file-rules} rules from a rules_file vs {rules} inline, p99", num: "b-file", den: "b", p99: true, goal: 1.2, atMost: true},
	{what: "static rule vs the hello-world plugin's hijack, req/s", num: "d", den: "c-hijack", goal: 1.0},
	{what: "templated rule vs static rule, req/s", num: "e", den: "d", goal: 0.8},
	{what: "static rule vs the gateway in front of WireMock, req/s", num: "d", den: "f-wiremock", goal: 2},
	{what: "static rule vs the gateway in front of Mockoon, req/s", num: "d", den: "f-mockoon", goal: 10},
}

// targets says, for each goal whose two scenarios ran, whether it was met.
func (r *report) targets(w func(string, ...any), sums []summary) {
	byID := map[string]summary{}
	for _, s := range sums {
		if len(s.runs) > 0 {
			byID[s.s.id] = s
		}
	}
	header := false
	for _, t := range targets {
		num, ok1 := byID[t.num]
		den, ok2 := byID[t.den]
		if !ok1 || !ok2 {
			continue
		}
		if !header {
			w("\n### Targets\n\n| target | ratio | goal | |\n|---|---:|---:|---|\n")
			header = true
		}
		ratio := num.rps / den.rps
		if t.p99 {
			ratio = num.p99 / den.p99
		}
		met, goal := ratio >= t.goal, fmt.Sprintf("≥ %.2f", t.goal)
		if t.atMost {
			met, goal = ratio <= t.goal, fmt.Sprintf("≤ %.2f", t.goal)
		}
		verdict := "met"
		if !met {
			verdict = "**missed**"
		}
		what := strings.NewReplacer("{rules}", groupDigits(float64(r.opts.rules)), "{file-rules}", groupDigits(float64(r.opts.fileRules))).Replace(t.what)
		w("| (%s) / (%s): %s | %.2f | %s | %s |\n", t.num, t.den, what, ratio, goal, verdict)
	}
}

// churn compares the connections to the backend of (b) and (c).
func (r *report) churn(w func(string, ...any)) {
	var rows []summary
	for _, s := range r.summaries() {
		if (s.s.id == "b" || s.s.id == "b1" || s.s.id == "c") && len(s.runs) > 0 {
			rows = append(rows, s)
		}
	}
	if len(rows) == 0 {
		return
	}
	w("\n### Connection churn towards the backend, (b) vs (c)\n\n")
	w("Connections the backend accepted and TIME_WAIT sockets on its port (each run has its own port) in the steady state: from %s into the measured run to %s before its end. ", churnMargin, churnMargin)
	w("When wrk stops it drops its %d connections with requests in flight; the gateway cancels those requests and closes their backend connections, and the next run's first instants open new ones. ", r.opts.connections)
	w("The last column counts TIME_WAIT sockets from the window's start to right after the run, those closings included. The driver's own requests to the backend are not counted.\n\n")
	w("| scenario | connections opened, per run | TIME_WAIT, per run | connections per 100 000 requests | TIME_WAIT right after the run |\n")
	w("|---|---:|---:|---:|---:|\n")
	for _, s := range rows {
		var conns, reqs float64
		var opened, tw, twAfter []string
		for _, run := range s.runs {
			conns += float64(run.connsOpened)
			reqs += run.wrk.RPS * run.churnWindow.Seconds()
			opened = append(opened, fmtOptInt(run.connsOpened))
			tw = append(tw, strconv.Itoa(run.timeWait))
			twAfter = append(twAfter, strconv.Itoa(run.timeWaitAfter))
		}
		rate := 0.0
		if reqs > 0 {
			rate = conns / reqs * 100000
		}
		w("| (%s) %s | %s | %s | %.1f | %s |\n", s.s.id, s.s.title, strings.Join(opened, " · "), strings.Join(tw, " · "), rate, strings.Join(twAfter, " · "))
	}
}

func (r *report) memory(w func(string, ...any)) {
	if r.soak == nil && len(r.bodies) == 0 && r.memoryErr == "" {
		return
	}
	w("\n### Memory\n\n")
	if s := r.soak; s != nil && len(s.run.rss) > 0 {
		first, last := s.run.rss[0], s.run.rss[len(s.run.rss)-1]
		lo, hi := first.rss, first.rss
		for _, x := range s.run.rss {
			lo = min(lo, x.rss)
			hi = max(hi, x.rss)
		}
		w("Gateway VmRSS during %s of scenario (b) after the warm-up (%s req/s), sampled every second:\n\n", r.opts.memoryDuration, groupDigits(s.run.wrk.RPS))
		w("| first sample | last sample | change | min | max | samples |\n|---:|---:|---:|---:|---:|---:|\n")
		w("| %s (%s) | %s (%s) | %+.1f MiB | %s | %s | %d |\n", fmtMiB(first.rss), first.at, fmtMiB(last.rss), last.at,
			float64(last.rss-first.rss)/(1<<20), fmtMiB(lo), fmtMiB(hi), len(s.run.rss))
		w("\nAll samples (MiB): %s\n\n", rssSeries(s.run.rss))
	}
	if len(r.bodies) > 0 {
		w("One POST of a %s JSON body (`{\"kind\":\"bench\",\"pad\":\"xxx…\"}`) through `POST /upload/{id}` to the backend, after 50 small uploads; the body rule matches `kind` with the default `max_body_bytes` (1 MiB). VmHWM is the gateway's peak resident size.\n\n", fmtMiB(uploadSize))
		w("| gateway | status | backend received | VmHWM before | VmHWM after | peak growth | VmRSS after | time |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, x := range r.bodies {
			recv := "?"
			if x.received >= 0 {
				recv = groupDigits(float64(x.received)) + " B"
			}
			w("| %s | %d | %s | %s | %s | +%s | %s | %s |\n", x.c.title, x.status, recv, fmtMiB(x.hwmBefore), fmtMiB(x.hwmAfter),
				fmtMiB(x.hwmAfter-x.hwmBefore), fmtMiB(x.rssAfter), x.took.Round(time.Millisecond))
		}
	}
	if r.memoryErr != "" {
		w("\nMemory checks failed: %s\n", r.memoryErr)
	}
}

func (r *report) order() string {
	var ids []string
	for _, s := range r.scenarios {
		ids = append(ids, s.id)
	}
	return strings.Join(ids, " ") + " ×" + fmt.Sprint(r.opts.runs)
}

func rssSeries(s []rssSample) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = fmt.Sprintf("%.1f", float64(x.rss)/(1<<20))
	}
	return strings.Join(parts, " ")
}

func secs(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

// fmtLatency prints a latency in ms with two decimals, or µs below 1 ms.
func fmtLatency(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func fmtMiB(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func fmtOptInt(n int) string {
	if n < 0 {
		return "—"
	}
	return groupDigits(float64(n))
}

// groupDigits rounds f and groups its digits by three with spaces, as the
// project's README does: 17 512.
func groupDigits(f float64) string {
	s := fmt.Sprintf("%d", int64(math.Round(f)))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []string
	for len(s) > 3 {
		out = append([]string{s[len(s)-3:]}, out...)
		s = s[:len(s)-3]
	}
	out = append([]string{s}, out...)
	res := strings.Join(out, " ")
	if neg {
		res = "-" + res
	}
	return res
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
