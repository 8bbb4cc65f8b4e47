package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSoak loads the gateway with a mixed rule set for KRAKEND_RULES_SOAK
// (a duration, e.g. 2m; `make soak`), from 16 loopback clients: static,
// templated, body-rule and delegated answers, with request bodies the
// backend checks against a digest. It fails on any unexpected status, any
// lost or altered body, or an RSS that keeps growing after warm-up. Not part
// of make test: without the variable it says so and skips.
func TestSoak(t *testing.T) {
	duration, err := time.ParseDuration(os.Getenv("KRAKEND_RULES_SOAK"))
	if err != nil || duration <= 0 {
		t.Skip("set KRAKEND_RULES_SOAK=2m (or run make soak) to soak the gateway")
	}
	backend := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		sum := sha256.Sum256(body)
		if hex.EncodeToString(sum[:]) != r.Header.Get("X-Digest") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		io.WriteString(w, `{"stored":true}`)
	})
	g := startGateway(t, config(
		endpoint("GET", "/static/{id}", backend.url, "/static/{id}", nil, nil, `{"rules":[{"name":"static","response":{"body":{"ok":true,"items":[1,2,3]}}}]}`),
		endpoint("GET", "/tmpl/{id}", backend.url, "/tmpl/{id}", []string{"X-Tenant"}, []string{"q"}, `{"rules":[{"name":"tmpl","response":{"body":{"id":"{{ index .Segments 1 }}","tenant":"{{ .Header.Get \"X-Tenant\" }}","q":"{{ .Query.Get \"q\" }}"}}}]}`),
		endpoint("POST", "/orders", backend.url, "/orders", []string{"Content-Type", "Content-Length", "X-Digest"}, nil, `{"max_body_bytes":4096,"rules":[
			{"name":"eur","match":{"body":{"currency":"EUR"}},"response":{"status":201,"body_template":"{\"mocked\":{{ bodyRaw \"n\" }}}"}},
			{"name":"seq","match":{"body":{"currency":"SEQ"}},"responses":[{"status":201},{"status":202}]},
			{"name":"store","delegate":{}}]}`),
	))
	// Wide enough for the workers; the gateway's own transport to the
	// backend is the plugin's.
	soakClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	var requests, unexpected, altered atomic.Int64
	var mu sync.Mutex
	var firstErrors []string
	fail := func(counter *atomic.Int64, format string, args ...any) {
		counter.Add(1)
		mu.Lock()
		if len(firstErrors) < 10 {
			firstErrors = append(firstErrors, fmt.Sprintf(format, args...))
		}
		mu.Unlock()
	}
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for time.Now().Before(deadline) {
				var req *http.Request
				want := 200
				kind := rng.IntN(4)
				switch kind {
				case 0:
					req, _ = http.NewRequest("GET", fmt.Sprintf("%s/static/%d", g.url, rng.IntN(100)), nil)
				case 1:
					req, _ = http.NewRequest("GET", fmt.Sprintf("%s/tmpl/%d?q=%d", g.url, rng.IntN(100), rng.IntN(100)), nil)
					req.Header.Set("X-Tenant", "acme")
				default:
					currency := []string{"EUR", "USD", "GBP", "SEQ"}[rng.IntN(4)]
					body := fmt.Sprintf(`{"currency":%q,"n":%d,"pad":%q}`, currency, rng.IntN(1000), strings.Repeat("x", rng.IntN(8000)))
					sum := sha256.Sum256([]byte(body))
					req, _ = http.NewRequest("POST", g.url+"/orders", bytes.NewReader([]byte(body)))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("X-Digest", hex.EncodeToString(sum[:]))
					switch {
					case currency == "EUR" && len(body) <= 4096:
						want = 201
					case currency == "SEQ" && len(body) <= 4096:
						want = -1 // 201 or 202
					}
				}
				res, err := soakClient.Do(req)
				requests.Add(1)
				if err != nil {
					fail(&unexpected, "%s %s: %v", req.Method, req.URL.Path, err)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				switch {
				case res.StatusCode == 400:
					fail(&altered, "a body reached the backend altered")
				case want == -1 && (res.StatusCode == 201 || res.StatusCode == 202):
				case res.StatusCode != want:
					fail(&unexpected, "%s %s: %d, want %d", req.Method, req.URL.Path, res.StatusCode, want)
				}
			}
		}()
	}

	var samples []int
	warmup := min(duration/6, 20*time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(min(5*time.Second, time.Until(deadline)))
		samples = append(samples, vmRSS(t, g.cmd.Process.Pid))
	}
	wg.Wait()
	total := requests.Load()
	t.Logf("soak: %v, %d requests (%.0f/s), %d unexpected statuses, %d altered bodies", duration, total, float64(total)/duration.Seconds(), unexpected.Load(), altered.Load())
	t.Logf("gateway RSS every 5s (MiB): %v", mib(samples))
	for _, e := range firstErrors {
		t.Error(e)
	}
	if n := int(warmup / (5 * time.Second)); n < len(samples)-1 {
		after, last := samples[n], samples[len(samples)-1]
		t.Logf("RSS after warm-up %d MiB, at the end %d MiB", after>>10, last>>10)
		if last > after+after/5+10<<10 {
			t.Errorf("RSS grew from %d MiB after warm-up to %d MiB", after>>10, last>>10)
		}
	}
}

// vmRSS returns a process's resident set size in KiB.
func vmRSS(t *testing.T, pid int) int {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

func mib(kib []int) []int {
	out := make([]int, len(kib))
	for i, k := range kib {
		out[i] = k >> 10
	}
	return out
}
