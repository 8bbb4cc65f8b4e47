// Command loadtest compares, at the gateway level, what the krakend-rules
// HTTP client plugin costs: the same Lura-based gateway (build/gateway) is
// measured with no plugin, with krakend-rules delegating past 1 000 rules,
// with the KrakenD documentation's hello-world client plugin, with
// krakend-rules answering static and templated rules, in front of WireMock
// and Mockoon, and with krakend-rules reading one item of a crud data set
// from memory and from Redis. Everything runs on 127.0.0.1; the gateway is
// pinned to one CPU, wrk, the backends and redis-server to the other; each
// scenario runs twice, interleaved (a b c … a b c …), and the report is a
// Markdown table.
//
// Run it from the repository root after "make build":
//
//	go run ./loadtest [-duration 10s] [-runs 2] [-only a,b,c] [-memory] [-out report.md]
//
// See loadtest/README.md.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// options are the command line flags.
type options struct {
	duration, warmup time.Duration
	runs             int
	only             string
	gateway, plugin  string
	hello            string
	buildFlags       string
	cache, workdir   string
	out              string
	memory           bool
	memoryDuration   time.Duration
	rules            int
	fileRules        int
	connections      int
	threads          int
	gatewayCPU       int
	loadCPU          int
	logLevel         string
	accessLog        bool
	install          bool
	timeout          time.Duration
	serveBackend     string
	cpuProfile       bool
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured duration of each run")
	fs.DurationVar(&o.warmup, "warmup", 5*time.Second, "unmeasured load before each run (0: none)")
	fs.IntVar(&o.runs, "runs", 2, "rounds over the scenarios, interleaved: a b c … then a b c … again")
	fs.StringVar(&o.only, "only", "", "comma-separated scenarios to run: a, a-rules, b, b-file, b1, c, c-hijack, d, e, f (both mocks), f-wiremock, f-mockoon, g (both crud reads), g-redis (default: all)")
	fs.StringVar(&o.gateway, "gateway", "build/gateway", "the gateway binary (make build)")
	fs.StringVar(&o.plugin, "plugin", "build/krakend-rules.so", "the krakend-rules plugin (make build)")
	fs.StringVar(&o.hello, "helloworld", "build/loadtest/helloworld.so", "the hello-world plugin; built from ./loadtest/helloworld when missing or older than -gateway")
	fs.StringVar(&o.buildFlags, "buildflags", "", "extra go build flags for the hello-world plugin: the Makefile's BUILDFLAGS, which the gateway was built with")
	fs.StringVar(&o.cache, "cache", "build/loadtest/npm", "npm prefix where WireMock and Mockoon CLI are installed on first use")
	fs.StringVar(&o.workdir, "workdir", "build/loadtest/work", "configurations and logs of the last run (emptied first)")
	fs.StringVar(&o.out, "out", "", "also write the Markdown report to this file")
	fs.BoolVar(&o.memory, "memory", false, "also run the memory checks: RSS during a long run of (b), and 64 MiB request bodies")
	fs.DurationVar(&o.memoryDuration, "memory-duration", 60*time.Second, "length of the RSS run of -memory")
	fs.IntVar(&o.rules, "rules", 1000, "rules configured in scenarios (a-rules) and (b), none matching")
	fs.IntVar(&o.fileRules, "file-rules", 10000, "rules in scenario (b-file)'s rules_file, none matching")
	fs.IntVar(&o.connections, "connections", 32, "wrk -c")
	fs.IntVar(&o.threads, "threads", 1, "wrk -t")
	fs.IntVar(&o.gatewayCPU, "gateway-cpu", 0, "CPU the gateway is pinned to (-1: no pinning)")
	fs.IntVar(&o.loadCPU, "load-cpu", 1, "CPU wrk and the backends are pinned to (-1: no pinning)")
	fs.StringVar(&o.logLevel, "log-level", "WARNING", "the gateway's log level (plugin load failures are warnings)")
	fs.BoolVar(&o.accessLog, "access-log", false, "keep the gateway's per-request access log (off by default: it would be measured too)")
	fs.BoolVar(&o.install, "install", true, "install what is missing: wrk with apt-get, WireMock and Mockoon with npm")
	fs.DurationVar(&o.timeout, "timeout", 14*time.Minute, "hard limit for the whole run (raised to fit long -duration/-runs)")
	fs.BoolVar(&o.cpuProfile, "cpuprofile", false, "write a CPU profile of each gateway run to its folder under -workdir (cpu.pprof, for go tool pprof)")
	fs.StringVar(&o.serveBackend, "serve-backend", "", "internal: serve the test backend on this address")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if o.runs < 1 || o.duration < 3*time.Second || o.connections < 1 || o.threads < 1 || o.rules < 0 || o.fileRules < 0 {
		return o, errors.New("-runs, -connections and -threads must be at least 1, -duration at least 3s, -rules and -file-rules not negative")
	}
	if o.memoryDuration < 5*time.Second {
		return o, errors.New("-memory-duration must be at least 5s")
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}
	if o.serveBackend != "" {
		if err := serveBackend(o.serveBackend); err != nil {
			fmt.Fprintln(os.Stderr, "backend:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// driver holds what every run needs.
type driver struct {
	o     options
	self  string // this binary, for the backend child
	so    pluginFiles
	gw    string
	procs *procs
	npm   npmTools
	wrk   wrkOptions
	// binaries names the binaries and when they were built, for the report.
	binaries string
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func run(o options) error {
	selected, err := selectScenarios(scenarios(o.rules, o.fileRules), o.only)
	if err != nil {
		return err
	}

	// A hard bound on the whole run, whatever happens.
	estimate := time.Duration(o.runs*len(selected)) * (o.duration + o.warmup + 30*time.Second)
	if o.memory {
		estimate += o.memoryDuration + o.warmup + 3*time.Minute
	}
	if estimate+5*time.Minute > o.timeout {
		o.timeout = estimate + 5*time.Minute
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	d := &driver{o: o, procs: newProcs(),
		npm: npmTools{cache: o.cache, install: o.install, logf: logf},
		wrk: wrkOptions{threads: o.threads, connections: o.connections, cpu: o.loadCPU, headers: []string{benchHeader}},
	}
	// Every process started is stopped by its PID on the way out, also on
	// an error or an interrupt.
	defer d.procs.stopAll()

	if err := d.prepare(ctx); err != nil {
		return err
	}
	logf("%d scenario(s) × %d run(s) of %s (+%s warm-up), wrk -t%d -c%d; gateway on CPU %d, wrk and backends on CPU %d; hard limit %s",
		len(selected), o.runs, o.duration, o.warmup, o.threads, o.connections, o.gatewayCPU, o.loadCPU, o.timeout.Round(time.Minute))

	rep := &report{opts: o, started: time.Now(), scenarios: selected, skipped: map[string]string{}, failed: map[string]string{}}
	rep.machine = describeMachine(d.gw)
	rep.binaries = d.binaries
	rep.loadBefore = loadAverage()
	if l1, err := strconv.ParseFloat(strings.Fields(rep.loadBefore + " ?")[0], 64); err == nil && l1 > 0.5 {
		logf("warning: load average %s before the first run: other work on this machine will skew the figures", rep.loadBefore)
	}
	for round := 1; round <= o.runs; round++ {
		for _, s := range selected {
			if _, skip := rep.skipped[s.id]; skip {
				continue
			}
			logf("run %d/%d: (%s) %s", round, o.runs, s.id, s.title)
			res, err := d.runScenario(ctx, s, round, o.duration, false)
			if ctx.Err() != nil {
				return fmt.Errorf("stopped: %w", context.Cause(ctx))
			}
			switch {
			case errors.Is(err, errSkipped):
				logf("  (%s) skipped: %v", s.id, err)
				rep.skipped[s.id] = strings.TrimPrefix(err.Error(), errSkipped.Error()+": ")
			case err != nil:
				logf("  (%s) FAILED: %v", s.id, err)
				rep.failed[s.id] = err.Error()
			default:
				logf("  %.0f req/s, p50 %s, p99 %s, non-2xx %d, socket errors %d, backend connections opened %s, TIME_WAIT %d (%d right after the run); CPU: gateway %.2f, wrk+backend %.2f, other %.2f, steal %.2f",
					res.wrk.RPS, fmtLatency(res.wrk.P50), fmtLatency(res.wrk.P99), res.wrk.Non2xx, res.wrk.SocketErrors, fmtOptInt(res.connsOpened), res.timeWait, res.timeWaitAfter,
					res.cpu.gateway, res.cpu.load, res.cpu.other, res.cpu.steal)
				rep.runs = append(rep.runs, res)
			}
		}
	}

	if o.memory {
		if err := d.memoryChecks(ctx, rep); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("stopped: %w", context.Cause(ctx))
			}
			logf("memory checks FAILED: %v", err)
			rep.memoryErr = err.Error()
		}
	}
	rep.finished = time.Now()
	rep.loadAfter = loadAverage()

	md := rep.markdown()
	fmt.Print(md)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
			return err
		}
		logf("report written to %s", o.out)
	}
	if len(rep.failed) > 0 || rep.memoryErr != "" {
		return fmt.Errorf("%d scenario(s) failed (see the report)", len(rep.failed))
	}
	return nil
}

// prepare checks the tools and binaries, builds the hello-world plugin if
// needed and empties the work folder.
func (d *driver) prepare(ctx context.Context) error {
	o := d.o
	if o.gatewayCPU >= 0 || o.loadCPU >= 0 {
		if _, err := exec.LookPath("taskset"); err != nil {
			return errors.New("taskset not found (Debian's util-linux): install it, or pass -gateway-cpu -1 -load-cpu -1 to run unpinned")
		}
	}
	if err := ensureWrk(ctx, o.install, logf); err != nil {
		return err
	}
	var err error
	if d.self, err = os.Executable(); err != nil {
		return err
	}
	if d.gw, err = existingFile(o.gateway, "the gateway: run make build"); err != nil {
		return err
	}
	if d.so.rules, err = existingFile(o.plugin, "the krakend-rules plugin: run make build"); err != nil {
		return err
	}
	if d.so.hello, err = d.helloPlugin(ctx); err != nil {
		return err
	}
	d.binaries = describeBinaries(d.gw, d.so.rules, d.so.hello)
	if err := os.RemoveAll(o.workdir); err != nil {
		return err
	}
	if err := os.MkdirAll(o.workdir, 0o755); err != nil {
		return err
	}
	// Every run uses copies taken now, so that a "make build" during the
	// session cannot hand one run a half-written or different binary.
	bin := filepath.Join(o.workdir, "bin")
	for _, f := range []*string{&d.gw, &d.so.rules, &d.so.hello} {
		if *f, err = copyInto(bin, *f); err != nil {
			return err
		}
	}
	return nil
}

// copyInto copies the file src into dir, keeping its name and mode.
func copyInto(dir, src string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	info, err := os.Stat(src)
	if err != nil {
		return "", err
	}
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	dst := filepath.Join(dir, filepath.Base(src))
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, info.Mode().Perm())
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return "", err
	}
	return dst, out.Close()
}

func existingFile(path, what string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(abs); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return abs, nil
}

// helloPlugin returns the hello-world plugin, building it when it is
// missing or older than the gateway: a Go plugin loads only into a host
// built by the same toolchain with the same flags.
func (d *driver) helloPlugin(ctx context.Context) (string, error) {
	abs, err := filepath.Abs(d.o.hello)
	if err != nil {
		return "", err
	}
	gwInfo, err := os.Stat(d.gw)
	if err != nil {
		return "", err
	}
	if info, err := os.Stat(abs); err == nil && !info.ModTime().Before(gwInfo.ModTime()) {
		return abs, nil
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return "", err
	}
	args := []string{"build"}
	args = append(args, strings.Fields(d.o.buildFlags)...)
	args = append(args, "-buildmode=plugin", "-o", abs, "./loadtest/helloworld")
	logf("building the hello-world plugin: CGO_ENABLED=1 go %s", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the hello-world plugin (run from the repository root): %w: %s", err, out)
	}
	return abs, nil
}

// runResult is one measured run.
type runResult struct {
	scenario      string
	round         int
	wrk           wrkResult
	connsOpened   int           // backend connections accepted in churnWindow; -1: unknown
	timeWait      int           // TIME_WAIT sockets on the backend port made in churnWindow
	timeWaitAfter int           // … from the window's start to right after the run
	churnWindow   time.Duration // the run less churnMargin at each end
	gatewayRSS    int64
	cpu           cpuUse
	rss           []rssSample // with sampling only
}

// rssSample is the gateway's resident size at a moment of a run.
type rssSample struct {
	at  time.Duration
	rss int64
}

// runScenario starts the scenario's backend and gateway, checks that the
// gateway answers as the scenario says (the plugin is really in the path),
// warms up, measures, and stops both.
func (d *driver) runScenario(ctx context.Context, s scenario, round int, duration time.Duration, sample bool) (runResult, error) {
	res := runResult{scenario: s.id, round: round, connsOpened: -1}
	dir := filepath.Join(d.o.workdir, fmt.Sprintf("%d-%s", round, s.id))
	if sample {
		dir = filepath.Join(d.o.workdir, "memory-"+s.id)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}

	// A Redis scenario's redis-server, started first: without one the
	// scenario is skipped before anything else starts.
	var redis *proc
	redisURL := ""
	if s.redis {
		redisPort, err := freePort()
		if err != nil {
			return res, err
		}
		if redis, err = startRedis(ctx, d.procs, dir, redisPort, d.o.loadCPU); err != nil {
			return res, err
		}
		defer redis.stop(5 * time.Second)
		redisURL = fmt.Sprintf("redis://127.0.0.1:%d/0", redisPort)
	}

	backendPort, err := freePort()
	if err != nil {
		return res, err
	}
	backendURL := fmt.Sprintf("http://127.0.0.1:%d", backendPort)
	var backend *proc
	switch s.backend {
	case goBackend:
		backend, err = d.startGoBackend(ctx, dir, backendPort)
	case wiremockBackend:
		backend, err = startWiremock(ctx, d.procs, d.npm, dir, backendPort, d.o.loadCPU)
	case mockoonBackend:
		backend, err = startMockoon(ctx, d.procs, d.npm, dir, backendPort, d.o.loadCPU)
	}
	if err != nil {
		return res, err
	}
	defer backend.stop(5 * time.Second)

	gwPort, err := freePort()
	if err != nil {
		return res, err
	}
	rulesFile := ""
	if s.rulesFile {
		rulesFile = filepath.Join(dir, "rules.json")
		b, err := json.Marshal(benchRules(s, redisURL))
		if err != nil {
			return res, err
		}
		if err := os.WriteFile(rulesFile, b, 0o644); err != nil {
			return res, err
		}
	}
	cfg := scenarioConfig(s, gwPort, backendURL, redisURL, rulesFile, d.so, d.o.accessLog)
	gw, err := d.startGateway(ctx, dir, cfg)
	if err != nil {
		return res, err
	}
	defer gw.stop(5 * time.Second)
	gwURL := fmt.Sprintf("http://127.0.0.1:%d", gwPort)

	if err := preflight(ctx, gwURL+benchPath, s.expect); err != nil {
		return res, fmt.Errorf("GET %s: %w (gateway log: %s)", benchPath, err, gw.logPath)
	}
	if check := expectCheck(s.plugin); check != nil {
		if err := preflight(ctx, gwURL+checkPath, check); err != nil {
			return res, fmt.Errorf("the plugin is not in the path: GET %s: %w; the gateway log ends:\n%s", checkPath, err, gw.logTail(10))
		}
	}

	if d.o.warmup > 0 {
		if _, err := runWrk(ctx, d.wrk, gwURL+benchPath, d.o.warmup, filepath.Join(dir, "wrk-warmup.txt")); err != nil {
			return res, fmt.Errorf("warm-up: %w", err)
		}
	}
	// The load side's CPU: the backend's, and a Redis scenario's server's.
	loadPIDs := []int{backend.pid()}
	if redis != nil {
		loadPIDs = append(loadPIDs, redis.pid())
	}
	cpu0, err := takeCPUSnapshot(gw.pid(), loadPIDs...)
	if err != nil {
		return res, err
	}
	var samples []rssSample
	var wg sync.WaitGroup
	sampleCtx, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	if sample {
		wg.Add(1)
		go func() {
			defer wg.Done()
			samples = sampleRSS(sampleCtx, gw.pid(), time.Second)
		}()
	}
	// Connection churn is counted in the steady state, from churnMargin into
	// the run to churnMargin before its end: when wrk stops (the warm-up
	// too) it drops its connections with requests in flight, the gateway
	// cancels them and closes their backend connections, and the next run's
	// first instants open new ones in their place. TIME_WAIT sockets are also
	// counted right after the run, those closings included.
	marks := make(chan [2]churnMark, 1)
	go func() {
		var m [2]churnMark
		for i, at := range []time.Duration{churnMargin, duration - churnMargin} {
			select {
			case <-sampleCtx.Done():
				m[i] = churnMark{err: sampleCtx.Err()}
			case <-time.After(at - time.Since(cpu0.at)):
				m[i] = markChurn(sampleCtx, s.backend == goBackend, backendURL, backendPort)
			}
		}
		marks <- m
	}()
	res.wrk, err = runWrk(ctx, d.wrk, gwURL+benchPath, duration, filepath.Join(dir, "wrk.txt"))
	cpu1, cpuErr := takeCPUSnapshot(gw.pid(), loadPIDs...)
	// Right after the run, before anything closes the gateway's idle
	// connections.
	after, afterErr := countTimeWait(backendPort)
	m := <-marks
	stopSampling()
	wg.Wait()
	res.rss = samples
	if err != nil {
		return res, err
	}
	if cpuErr != nil {
		return res, cpuErr
	}
	res.cpu = cpuBetween(cpu0, cpu1, res.wrk.CPU)
	start, end := m[0], m[1]
	if err := errors.Join(start.err, end.err, afterErr); err != nil {
		return res, fmt.Errorf("counting connections: %w", err)
	}
	res.churnWindow = end.at.Sub(start.at)
	res.timeWait = end.timeWait - start.timeWait
	res.timeWaitAfter = after - start.timeWait
	if s.backend == goBackend {
		// Each mark's stats request has a connection of its own, which the
		// driver closes (a TIME_WAIT on its side): the start mark's is in
		// both TIME_WAIT counts, the end mark's in the one after the run,
		// and the end mark's connection in its own Accepted.
		res.timeWait--
		res.timeWaitAfter -= 2
		res.connsOpened = int(end.stats.Accepted - start.stats.Accepted - 1)
	}
	if m, err := readMemStatus(gw.pid()); err == nil {
		res.gatewayRSS = m.RSS
	}
	if gw.exited() {
		return res, fmt.Errorf("the gateway exited during the run (%v); its log ends:\n%s", gw.err, gw.logTail(15))
	}
	return res, nil
}

// churnMargin is how much of each end of a measured run connection churn
// leaves out.
const churnMargin = time.Second

// churnMark is the backend's connection counters at one moment.
type churnMark struct {
	at       time.Time
	timeWait int          // TIME_WAIT sockets on the backend port
	stats    backendStats // the Go backend's counters (others have none)
	err      error
}

func markChurn(ctx context.Context, withStats bool, backendURL string, backendPort int) churnMark {
	m := churnMark{at: time.Now()}
	if m.timeWait, m.err = countTimeWait(backendPort); m.err != nil {
		return m
	}
	if withStats {
		m.stats, m.err = fetchBackendStats(ctx, backendURL)
	}
	return m
}

// startGoBackend starts this binary as the test backend, pinned to the load
// CPU.
func (d *driver) startGoBackend(ctx context.Context, dir string, port int) (*proc, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	pr, err := d.procs.start("backend", filepath.Join(dir, "backend.log"), nil, pinned(d.o.loadCPU, d.self, "-serve-backend", addr)...)
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, pr, "http://"+addr+statsPath, 200, 15*time.Second); err != nil {
		pr.stop(5 * time.Second)
		return nil, err
	}
	return pr, nil
}

// startGateway writes the configuration and starts the gateway pinned to
// its CPU, waiting for its health endpoint.
func (d *driver) startGateway(ctx context.Context, dir string, cfg gatewayConfig) (*proc, error) {
	b, err := cfg.marshal()
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "krakend.json")
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		return nil, err
	}
	argv := pinned(d.o.gatewayCPU, d.gw, "-c", cfgPath, "-p", strconv.Itoa(cfg.port), "-l", d.o.logLevel)
	if d.o.cpuProfile {
		argv = append(argv, "-cpuprofile", filepath.Join(dir, "cpu.pprof"))
	}
	pr, err := d.procs.start("gateway", filepath.Join(dir, "gateway.log"), nil, argv...)
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, pr, fmt.Sprintf("http://127.0.0.1:%d/__health", cfg.port), 200, 20*time.Second); err != nil {
		pr.stop(5 * time.Second)
		return nil, err
	}
	return pr, nil
}

// preflight sends one request as wrk will and checks the answer.
func preflight(ctx context.Context, url string, expect func([]byte) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Tenant", benchTenant)
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, truncate(bytes.TrimSpace(body), 300))
	}
	return expect(body)
}

// sampleRSS reads the process's VmRSS every interval until ctx ends.
func sampleRSS(ctx context.Context, pid int, interval time.Duration) []rssSample {
	start := time.Now()
	var out []rssSample
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return out
		case <-t.C:
			if m, err := readMemStatus(pid); err == nil {
				out = append(out, rssSample{at: time.Since(start).Round(100 * time.Millisecond), rss: m.RSS})
			}
		}
	}
}
