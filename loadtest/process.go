package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procs tracks every process the driver starts, so that each is stopped by
// its own PID on the way out, also after an error or an interrupt. Nothing
// else is ever signalled.
type procs struct {
	mu   sync.Mutex
	live map[int]*proc
}

// proc is one started process.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // Wait's result, set before done is closed
}

func newProcs() *procs { return &procs{live: map[int]*proc{}} }

// pinned returns argv prefixed with "taskset -c cpu" when cpu >= 0. taskset
// execs the command, so the PID started is the command's own.
func pinned(cpu int, argv ...string) []string {
	if cpu < 0 {
		return argv
	}
	return append([]string{"taskset", "-c", strconv.Itoa(cpu)}, argv...)
}

// start runs argv with stdout and stderr going to logPath. The child gets
// SIGKILL if the driver dies without cleaning up (PR_SET_PDEATHSIG).
func (p *procs) start(name, logPath string, env []string, argv ...string) (*proc, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	pr := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	p.mu.Lock()
	p.live[cmd.Process.Pid] = pr
	p.mu.Unlock()
	go func() {
		pr.err = cmd.Wait()
		close(pr.done)
		p.mu.Lock()
		delete(p.live, cmd.Process.Pid)
		p.mu.Unlock()
	}()
	return pr, nil
}

func (pr *proc) pid() int { return pr.cmd.Process.Pid }

func (pr *proc) exited() bool {
	select {
	case <-pr.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process, and SIGKILL if it has not exited
// within grace.
func (pr *proc) stop(grace time.Duration) {
	if pr.exited() {
		return
	}
	_ = syscall.Kill(pr.pid(), syscall.SIGTERM)
	select {
	case <-pr.done:
		return
	case <-time.After(grace):
	}
	_ = syscall.Kill(pr.pid(), syscall.SIGKILL)
	<-pr.done
}

// stopAll stops every process still running, each by its PID.
func (p *procs) stopAll() {
	p.mu.Lock()
	list := make([]*proc, 0, len(p.live))
	for _, pr := range p.live {
		list = append(list, pr)
	}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, pr := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr.stop(5 * time.Second)
		}()
	}
	wg.Wait()
}

// logTail returns the last lines of the process's log, for error messages.
func (pr *proc) logTail(n int) string {
	b, err := os.ReadFile(pr.logPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitHTTP polls url until it answers with want (0: any status), the
// process exits, or timeout passes.
func waitHTTP(ctx context.Context, pr *proc, url string, want int, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if pr.exited() {
			return fmt.Errorf("%s exited (%v) before answering %s; its log ends:\n%s", pr.name, pr.err, url, pr.logTail(15))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if want == 0 || resp.StatusCode == want {
				return nil
			}
			last = fmt.Errorf("status %d", resp.StatusCode)
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer %s within %s (last: %v); its log ends:\n%s", pr.name, url, timeout, last, pr.logTail(15))
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before it is used; on a test machine that is rare enough.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// errSkipped marks a scenario that cannot run here (a tool failed to
// install); its row is reported as skipped, with the reason.
var errSkipped = errors.New("skipped")
