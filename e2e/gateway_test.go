// Package e2e drives the demo gateway, with the krakend-rules .so loaded,
// over real HTTP on loopback. The binaries come from the Makefile (make e2e
// sets KRAKEND_RULES_PLUGIN and KRAKEND_RULES_GATEWAY; without them the
// tests run make build themselves), so plugin and host are always built
// alike.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	pluginPath  string // the krakend-rules .so
	gatewayPath string // the gateway binary
	repoRoot    string
)

func TestMain(m *testing.M) {
	wd, _ := os.Getwd()
	repoRoot = filepath.Dir(wd)
	pluginPath, gatewayPath = os.Getenv("KRAKEND_RULES_PLUGIN"), os.Getenv("KRAKEND_RULES_GATEWAY")
	if pluginPath == "" || gatewayPath == "" {
		cmd := exec.Command("make", "build")
		cmd.Dir, cmd.Stdout, cmd.Stderr = repoRoot, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: make build failed:", err)
			os.Exit(1)
		}
		pluginPath = filepath.Join(repoRoot, "build", "krakend-rules.so")
		gatewayPath = filepath.Join(repoRoot, "build", "gateway")
	}
	os.Exit(m.Run())
}

// syncBuffer collects the gateway's output while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type gateway struct {
	t       *testing.T
	url     string
	port    int
	config  string // the krakend.json it serves
	log     *syncBuffer
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has exited
	exitErr error         // its exit error, once exited is closed

	stopOnce sync.Once
	stopErr  error
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// writeConfig writes a krakend.json whose plugin folder is where the
// Makefile put the .so; "GATEWAY" in it becomes the gateway's own address.
func writeConfig(t *testing.T, port int, cfg string) string {
	t.Helper()
	cfg = strings.ReplaceAll(cfg, "GATEWAY", fmt.Sprintf("127.0.0.1:%d", port))
	var v map[string]any
	if err := json.Unmarshal([]byte(cfg), &v); err != nil {
		t.Fatalf("bad test config: %v\n%s", err, cfg)
	}
	v["plugin"] = map[string]any{"folder": filepath.Dir(pluginPath) + "/", "pattern": filepath.Base(pluginPath)}
	v["port"] = port
	v["listen_ip"] = "127.0.0.1" // loopback only
	b, _ := json.MarshalIndent(v, "", "  ")
	path := filepath.Join(t.TempDir(), "krakend.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startGateway runs the gateway on a free loopback port until the test
// ends, from the repository root (so that relative body_file and rules_file
// paths resolve as with make run).
func startGateway(t *testing.T, cfg string, env ...string) *gateway {
	t.Helper()
	return startGatewayWithFlags(t, cfg, nil, env...)
}

// startGatewayWithFlags is startGateway with more command line flags.
func startGatewayWithFlags(t *testing.T, cfg string, flags []string, env ...string) *gateway {
	t.Helper()
	port := freePort(t)
	path := writeConfig(t, port, cfg)
	g := &gateway{t: t, port: port, config: path, url: fmt.Sprintf("http://127.0.0.1:%d", port), log: &syncBuffer{}, exited: make(chan struct{})}
	g.cmd = exec.Command(gatewayPath, append([]string{"-c", path, "-d", "-l", "DEBUG"}, flags...)...)
	g.cmd.Dir, g.cmd.Stdout, g.cmd.Stderr = repoRoot, g.log, g.log
	g.cmd.Env = append(os.Environ(), env...)
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		g.exitErr = g.cmd.Wait()
		close(g.exited)
	}()
	t.Cleanup(func() {
		g.stop()
		if t.Failed() {
			t.Logf("gateway output:\n%s", g.log.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(g.url + "/__health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return g
			}
		}
		select {
		case <-g.exited:
			t.Fatalf("the gateway exited: %v\n%s", g.exitErr, g.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway did not start in 20s:\n%s", g.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for a clean exit, killing the gateway if it
// does not go within 10 s. It returns the exit error (nil: exit status 0).
func (g *gateway) stop() error {
	g.stopOnce.Do(func() {
		g.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-g.exited:
			g.stopErr = g.exitErr
		case <-time.After(10 * time.Second):
			g.cmd.Process.Kill()
			<-g.exited
			g.stopErr = fmt.Errorf("the gateway ignored SIGTERM for 10s")
		}
	})
	return g.stopErr
}

// answer is what a test reads of an HTTP answer.
type answer struct {
	status int
	header http.Header
	body   string
}

var client = &http.Client{Timeout: 30 * time.Second}

func (g *gateway) do(method, path string, header http.Header, body io.Reader) answer {
	g.t.Helper()
	req, err := http.NewRequest(method, g.url+path, body)
	if err != nil {
		g.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := client.Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		g.t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	return answer{res.StatusCode, res.Header, string(b)}
}

func (g *gateway) get(path string, header ...string) answer {
	g.t.Helper()
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return g.do("GET", path, h, nil)
}

// expect checks status, body and headers ("" for a header that must be
// absent).
func expect(t *testing.T, what string, a answer, status int, body string, headers ...string) {
	t.Helper()
	if a.status != status || (body != "*" && a.body != body) {
		t.Errorf("%s: got %d %s\nwant %d %s", what, a.status, a.body, status, body)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if got := a.header.Get(headers[i]); got != headers[i+1] {
			t.Errorf("%s: header %s = %q, want %q", what, headers[i], got, headers[i+1])
		}
	}
}

// waitLog waits until the gateway's output contains text.
func (g *gateway) waitLog(text string) {
	g.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(g.log.String(), text) {
		if time.Now().After(deadline) {
			g.t.Fatalf("the gateway never logged %q", text)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// recordingBackend is a loopback backend that records what reaches it.
type recordingBackend struct {
	*http.Server
	url      string
	mu       sync.Mutex
	requests []recorded
	handler  func(w http.ResponseWriter, r *http.Request, body []byte)
}

type recorded struct {
	method, path string
	header       http.Header
	body         []byte
	length       int64
}

func newBackend(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, body []byte)) *recordingBackend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &recordingBackend{url: "http://" + ln.Addr().String(), handler: handler}
	b.Server = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.requests = append(b.requests, recorded{r.Method, r.URL.Path, r.Header.Clone(), body, r.ContentLength})
		b.mu.Unlock()
		if b.handler != nil {
			b.handler(w, r, body)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"backend":true}`)
	})}
	go b.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		b.Shutdown(ctx)
	})
	return b
}

func (b *recordingBackend) received() []recorded {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]recorded(nil), b.requests...)
}

// closedAddress is a loopback address nothing listens on.
func closedAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
