package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what the driver keeps from one wrk run.
type wrkResult struct {
	Requests     int64         // completed requests
	RPS          float64       // "Requests/sec"
	P50, P99     time.Duration // from the --latency distribution
	Non2xx       int64         // "Non-2xx or 3xx responses"
	SocketErrors int64         // connect + read + write + timeout
	CPU          time.Duration // wrk's own user + system time
}

// wrkOptions are the load generator's settings, the same for every run.
type wrkOptions struct {
	threads, connections int
	cpu                  int
	headers              []string
}

// runWrk runs wrk against url for d and parses its report. Its output is
// kept in logPath.
func runWrk(ctx context.Context, o wrkOptions, url string, d time.Duration, logPath string) (wrkResult, error) {
	args := []string{"wrk",
		"-t" + strconv.Itoa(o.threads),
		"-c" + strconv.Itoa(o.connections),
		"-d" + strconv.Itoa(int(d.Round(time.Second)/time.Second)) + "s",
		"--latency",
	}
	for _, h := range o.headers {
		args = append(args, "-H", h)
	}
	args = append(args, url)
	argv := pinned(o.cpu, args...)

	// wrk stops by itself after d; the context bounds it in case it hangs.
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	out, err := cmd.CombinedOutput()
	if logPath != "" {
		_ = os.WriteFile(logPath, append([]byte(strings.Join(argv, " ")+"\n"), out...), 0o644)
	}
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w: %s", err, strings.TrimSpace(string(out)))
	}
	r, err := parseWrk(string(out))
	r.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return r, err
}

// parseWrk reads the report of "wrk --latency".
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	var haveRPS, have50, have99 bool
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		fields := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "Requests/sec:") && len(fields) == 2:
			v, err := strconv.ParseFloat(fields[1], 64)
			if err != nil {
				return r, fmt.Errorf("wrk: Requests/sec: %w", err)
			}
			r.RPS, haveRPS = v, true
		case len(fields) == 2 && (fields[0] == "50%" || fields[0] == "99%"):
			d, err := parseWrkDuration(fields[1])
			if err != nil {
				return r, fmt.Errorf("wrk: latency %s: %w", fields[0], err)
			}
			if fields[0] == "50%" {
				r.P50, have50 = d, true
			} else {
				r.P99, have99 = d, true
			}
		case len(fields) >= 3 && fields[1] == "requests" && fields[2] == "in":
			v, err := strconv.ParseInt(fields[0], 10, 64)
			if err != nil {
				return r, fmt.Errorf("wrk: request count: %w", err)
			}
			r.Requests = v
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:"):
			v, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(line, "Non-2xx or 3xx responses:")), 10, 64)
			if err != nil {
				return r, fmt.Errorf("wrk: non-2xx count: %w", err)
			}
			r.Non2xx = v
		case strings.HasPrefix(line, "Socket errors:"):
			// "Socket errors: connect 0, read 0, write 0, timeout 0"
			for _, part := range strings.Split(strings.TrimPrefix(line, "Socket errors:"), ",") {
				kv := strings.Fields(part)
				if len(kv) != 2 {
					return r, fmt.Errorf("wrk: socket errors %q", line)
				}
				v, err := strconv.ParseInt(kv[1], 10, 64)
				if err != nil {
					return r, fmt.Errorf("wrk: socket errors: %w", err)
				}
				r.SocketErrors += v
			}
		}
	}
	if !haveRPS || !have50 || !have99 {
		return r, fmt.Errorf("wrk: no Requests/sec or 50%%/99%% latency in its output (was --latency given?):\n%s", out)
	}
	return r, nil
}

// parseWrkDuration reads wrk's latency figures: "812.00us", "1.71ms",
// "2.05s", "1.00m", "1.00h".
func parseWrkDuration(s string) (time.Duration, error) {
	units := []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, err
			}
			return time.Duration(math.Round(v * float64(u.unit))), nil
		}
	}
	return 0, fmt.Errorf("unknown unit in %q", s)
}

// ensureWrk makes sure wrk is installed: with install, by apt-get (Debian's
// package), else it says which command would.
func ensureWrk(ctx context.Context, install bool, logf func(string, ...any)) error {
	if _, err := exec.LookPath("wrk"); err == nil {
		return nil
	}
	const hint = "apt-get update && apt-get install -y wrk"
	if !install {
		return fmt.Errorf("wrk is not installed: run %q (or pass -install)", hint)
	}
	logf("wrk is missing: installing Debian's package (%s)", hint)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	for _, argv := range [][]string{{"apt-get", "update", "-qq"}, {"apt-get", "install", "-y", "-qq", "wrk"}} {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %w: %s (install wrk with %q)", strings.Join(argv, " "), err, lastLines(string(out), 5), hint)
		}
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk still missing after apt-get install: %w", err)
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
