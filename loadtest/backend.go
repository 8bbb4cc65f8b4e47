package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// backendBody is what the backend (and the WireMock and Mockoon stubs)
// answer to every GET: a small static JSON document.
const backendBody = `{"ok":true}`

// statsPath answers the backend's counters; it is never proxied.
const statsPath = "/__loadtest/stats"

// backendStats are the tiny backend's counters since it started.
type backendStats struct {
	Accepted int64 `json:"accepted"` // TCP connections accepted
	Requests int64 `json:"requests"` // requests served, statsPath excluded
}

// backend is the small local backend: every GET gets backendBody; a request
// with a body has it read to the end and gets {"ok":true,"received":N}.
type backend struct {
	accepted atomic.Int64
	requests atomic.Int64
}

func (b *backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == statsPath {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(backendStats{Accepted: b.accepted.Load(), Requests: b.requests.Load()})
		return
	}
	b.requests.Add(1)
	body := []byte(backendBody)
	if r.Body != nil && r.Method != http.MethodGet && r.Method != http.MethodHead {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = []byte(`{"ok":true,"received":` + strconv.FormatInt(n, 10) + `}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// serveBackend runs the backend on addr until SIGTERM or SIGINT. The driver
// starts it as a child process (its own binary with -serve-backend), so that
// it can be pinned to the load generator's CPU.
func serveBackend(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	b := &backend{}
	srv := &http.Server{
		Handler:           b,
		ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				b.accepted.Add(1)
			}
		},
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	fmt.Println("backend listening on", ln.Addr())
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// fetchBackendStats reads the backend's counters over a connection of its
// own (no keep-alive): that connection is counted in Accepted too.
func fetchBackendStats(ctx context.Context, baseURL string) (backendStats, error) {
	var s backendStats
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+statsPath, nil)
	if err != nil {
		return s, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("backend stats: status %d", resp.StatusCode)
	}
	return s, json.NewDecoder(resp.Body).Decode(&s)
}
