// Package redistest starts a real redis-server for tests: on a free
// 127.0.0.1 port, without persistence, stopped by its process id when the
// test ends. Without redis-server the test is skipped — except in CI
// (CI=true), where .ci/run installs it and its absence is a failure.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is a running redis-server.
type Server struct {
	Addr string // 127.0.0.1:port
	cmd  *exec.Cmd
}

// URL is the server's redis:// URL for database db.
func (s *Server) URL(db int) string { return "redis://" + s.Addr + "/" + strconv.Itoa(db) }

// Start starts a redis-server for the test, stopped when it ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is not installed (.ci/run installs Debian's redis-server)")
		}
		t.Skip("redis-server is not installed (apt-get install redis-server)")
	}
	for attempt := 0; ; attempt++ {
		port := freePort(t)
		s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port)}
		s.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", t.TempDir(), "--loglevel", "warning")
		out, err := s.cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		s.cmd.Stderr = s.cmd.Stdout
		if err := s.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { // drain the log so that the server never blocks on it
			sc := bufio.NewScanner(out)
			for sc.Scan() {
			}
		}()
		if s.ready(5 * time.Second) {
			t.Cleanup(s.Stop)
			return s
		}
		s.Stop()
		if attempt == 2 {
			t.Fatalf("redis-server did not start on %s", s.Addr)
		}
	}
}

// ready waits until the server answers PING.
func (s *Server) ready(limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if s.Ping() == nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// Ping sends PING and reads PONG.
func (s *Server) Ping() error {
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// Stop ends the server, by its process id.
func (s *Server) Stop() {
	if s.cmd.Process != nil && s.cmd.ProcessState == nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
