package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// connWatcher is a backend that records the state of each connection made
// to it, so that a test sees when the gateway closes one.
type connWatcher struct {
	*recordingBackend
	mu     sync.Mutex
	state  map[net.Conn]http.ConnState
	closed int
}

func newConnWatcher(t *testing.T) *connWatcher {
	w := &connWatcher{recordingBackend: newBackend(t, nil), state: map[net.Conn]http.ConnState{}}
	w.ConnState = func(c net.Conn, s http.ConnState) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.state[c] = s
		if s == http.StateClosed {
			w.closed++
		}
	}
	return w
}

// counts returns how many connections are idle (kept alive, between
// requests) and how many were closed.
func (w *connWatcher) counts() (idle, closed int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.state {
		if s == http.StateIdle {
			idle++
		}
	}
	return idle, w.closed
}

// TestShutdownEndsThePluginsContext: the gateway builds the plugin's
// executor with its own context, as KrakenD CE 2.13 does, so a stop signal
// reaches the engine while the gateway is still draining its last requests:
// the engine stops watching its rules_file and closes its idle backend
// connections then, not when the process exits. A request held in flight at
// a second backend keeps the gateway alive after the signal; the test reads
// what the engine does meanwhile. With context.Background() (KrakenD CE
// 2.10 to 2.12) the idle connection stays open and the edited rules_file is
// loaded, and the test fails.
func TestShutdownEndsThePluginsContext(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) { testShutdown(t, sig) })
	}
}

func testShutdown(t *testing.T, sig syscall.Signal) {
	kept := newConnWatcher(t)
	release := make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	defer unblock()
	arrived := make(chan struct{}, 1)
	held := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-time.After(30 * time.Second):
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"held":true}`)
	})

	rules := filepath.Join(t.TempDir(), "rules.json")
	write := func(version string) {
		tmp := rules + ".tmp"
		content := `{"rules":[{"name":"` + version + `","match":{"path":"/never"},"response":{"body":{}}}]}`
		if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, rules); err != nil {
			t.Fatal(err)
		}
	}
	loaded := func(version string) string {
		return `1 rule loaded (with rules_file ` + strconv.Quote(rules) + `): ` + version
	}
	write("first")
	g := startGateway(t, `{"version":3,"timeout":"3s","endpoints":[`+
		endpoint("GET", "/kept", kept.url, "/kept", nil, nil, `{"rules_file":`+strconv.Quote(rules)+`,"reload_interval":"100ms"}`)+`,
		{"endpoint":"/held","method":"GET","timeout":"40s","output_encoding":"no-op",
		 "backend":[{"host":["`+held.url+`"],"url_pattern":"/held","encoding":"no-op"}]}]}`)
	g.waitLog(loaded("first"))

	// The engine watches its rules_file and keeps its backend connections
	// alive while the gateway runs.
	write("second")
	g.waitLog(loaded("second"))
	for i := 0; i < 3; i++ {
		expect(t, "delegated", g.get("/kept"), 200, `{"backend":true}`)
	}
	// The backend marks a connection idle just after its answer is sent.
	deadline := time.Now().Add(5 * time.Second)
	idle, closed := kept.counts()
	for idle == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		idle, closed = kept.counts()
	}
	if idle == 0 || closed != 0 {
		t.Fatalf("before the signal: %d idle and %d closed connections at the backend, want some idle and none closed", idle, closed)
	}

	// A request in flight that the gateway waits for before it exits.
	heldAnswer := make(chan answer, 1)
	go func() {
		res, err := client.Get(g.url + "/held")
		if err != nil {
			heldAnswer <- answer{body: err.Error()}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			b = append(b, err.Error()...)
		}
		heldAnswer <- answer{status: res.StatusCode, body: string(b)}
	}()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the held request never reached its backend")
	}

	if err := g.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	alive := func(when string) {
		t.Helper()
		select {
		case <-g.exited:
			t.Fatalf("%s: the gateway exited while a request was in flight: %v", when, g.exitErr)
		default:
		}
	}

	// The idle connection is closed by the engine, while the gateway lives.
	deadline = time.Now().Add(5 * time.Second)
	for {
		nowIdle, nowClosed := kept.counts()
		if nowIdle == 0 && nowClosed == idle {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("5s after %v: %d idle and %d closed of the %d connections kept alive at the backend: the engine did not close its idle connections", sig, nowIdle, nowClosed, idle)
		}
		time.Sleep(20 * time.Millisecond)
	}
	alive("when the idle connection was closed")

	// The rules_file is no longer watched: an edit is never loaded, though
	// the engine polled every 100ms before the signal.
	write("third")
	time.Sleep(1500 * time.Millisecond)
	alive("1.5s after the rules_file was edited")
	if strings.Contains(g.log.String(), loaded("third")) {
		t.Errorf("the rules_file edited after %v was loaded: the engine still watches it", sig)
	}

	// The gateway then drains the held request and exits cleanly.
	unblock()
	select {
	case a := <-heldAnswer:
		expect(t, "the request in flight at the signal", a, 200, `{"held":true}`)
	case <-time.After(10 * time.Second):
		t.Fatal("the held request never got its answer")
	}
	select {
	case <-g.exited:
		if g.exitErr != nil {
			t.Errorf("the gateway exited with %v", g.exitErr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the gateway did not exit 10s after its last request")
	}
	g.waitLog("Gateway stopped")
}
