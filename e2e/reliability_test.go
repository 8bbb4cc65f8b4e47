package e2e

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// oneBackend is a krakend.json with one no-op endpoint whose backend uses
// the plugin with the given configuration.
func oneBackend(method, endpoint, host, urlPattern, timeout, plugin string, inputHeaders ...string) string {
	headers := `[]`
	if len(inputHeaders) > 0 {
		headers = `["` + strings.Join(inputHeaders, `","`) + `"]`
	}
	return fmt.Sprintf(`{"version":3,"timeout":%q,"endpoints":[{
		"endpoint":%q,"method":%q,"output_encoding":"no-op","input_headers":%s,
		"backend":[{"host":[%q],"url_pattern":%q,"encoding":"no-op",
			"extra_config":{"plugin/http-client":{"name":"krakend-rules","krakend-rules":%s}}}]}]}`,
		timeout, endpoint, method, headers, host, urlPattern, plugin)
}

func TestAnInvalidConfigFailsClosedThroughTheGateway(t *testing.T) {
	backend := newBackend(t, nil)
	g := startGateway(t, oneBackend("POST", "/orders/{id}", backend.url, "/orders/{id}", "3s", `{"rules":[
		{"name":"maintenance","match":{"path":"/orders/**","methdos":["POST"]},"response":{"status":503}},
		{"name":"bad-glob","match":{"headers":{"X-Env":"[a-"}},"delegate":{}}]}`))
	for range 3 {
		expect(t, "every request", g.do("POST", "/orders/1", nil, strings.NewReader(`{}`)), 500, `{"error":"krakend-rules: invalid configuration"}`)
	}
	if n := len(backend.received()); n != 0 {
		t.Errorf("%d requests reached the backend the invalid rules were meant to protect", n)
	}
	for _, want := range []string{
		`ERROR: [PLUGIN: krakend-rules][maintenance +1] invalid configuration (2 errors): every request to this backend answers 500`,
		`ERROR: [PLUGIN: krakend-rules][maintenance +1] invalid configuration: rules[0].match.methdos: unknown field, did you mean "methods"?`,
		`ERROR: [PLUGIN: krakend-rules][maintenance +1] invalid configuration: rules[1].match.headers["X-Env"]: bad glob "[a-"`,
	} {
		if !strings.Contains(g.log.String(), want) {
			t.Errorf("the log lacks %q", want)
		}
	}
}

func TestBodiesReachTheBackendIntact(t *testing.T) {
	backend := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		sum := sha256.Sum256(body)
		if hex.EncodeToString(sum[:]) != r.Header.Get("X-Digest") {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"digest":"mismatch","length":%d}`, len(body))
			return
		}
		fmt.Fprintf(w, `{"digest":"ok","length":%d}`, len(body))
	})
	g := startGateway(t, oneBackend("POST", "/in", backend.url, "/in", "10s",
		`{"max_body_bytes":1024,"rules":[
			{"name":"never","match":{"body":{"kind":"nothing-sends-this"}},"response":{"status":418}},
			{"name":"json-never","match":{"body_json":{"kind":"nor this"}},"response":{"status":418}},
			{"name":"not-never","match":{"not":{"body":{"kind":"*"}},"path":"/nowhere"},"response":{"status":418}}]}`,
		"Content-Type", "Content-Length", "X-Digest"))

	bodies := map[string][]byte{
		"JSON":                []byte(`{"kind":"order","items":[1,2,3]}`),
		"not JSON":            []byte("kind=order&x=1"),
		"empty":               {},
		"truncated JSON":      []byte(`{"kind":"ord`),
		"binary":              {0, 1, 2, 255, '\r', '\n', 0},
		"nested 10 000 deep":  []byte(strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)),
		"larger than max":     []byte(`{"kind":"` + strings.Repeat("x", 5<<20) + `"}`),
		"exactly max (1 KiB)": []byte(`{"kind":"` + strings.Repeat("y", 1024-11) + `"}`),
	}
	for name, body := range bodies {
		for _, chunked := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/chunked=%v", name, chunked), func(t *testing.T) {
				sum := sha256.Sum256(body)
				var reader io.Reader = strings.NewReader(string(body))
				if chunked {
					reader = io.MultiReader(reader) // hides the length: sent chunked
				}
				a := g.do("POST", "/in", http.Header{"X-Digest": {hex.EncodeToString(sum[:])}, "Content-Type": {"application/json"}}, reader)
				expect(t, "the backend's verdict", a, 200, fmt.Sprintf(`{"digest":"ok","length":%d}`, len(body)))
			})
		}
	}
}

func TestAClientThatGoesAwayMidUploadDeliversNoShortenedBody(t *testing.T) {
	backend := newBackend(t, nil)
	g := startGateway(t, oneBackend("POST", "/in", backend.url, "/in", "3s",
		`{"rules":[{"match":{"body":{"a":"*"}},"response":{"status":418}}]}`, "Content-Length"))
	conn, err := net.Dial("tcp", strings.TrimPrefix(g.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\":\"%s", strings.Repeat("z", 400))
	time.Sleep(200 * time.Millisecond)
	conn.Close()
	time.Sleep(300 * time.Millisecond)
	for _, r := range backend.received() {
		if len(r.body) != 1000 {
			t.Errorf("the backend got a %d-byte body for a 1000-byte upload", len(r.body))
		}
	}
	expect(t, "the gateway still serves", g.get("/__health"), 200, "*")
}

func TestBackendFaults(t *testing.T) {
	cancelled := make(chan time.Duration, 1)
	backend := newBackend(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		switch r.URL.Path {
		case "/reset":
			conn, buf, _ := w.(http.Hijacker).Hijack()
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"partial\":")
			buf.Flush()
			conn.(*net.TCPConn).SetLinger(0) // a reset, not a clean close
			conn.Close()
		case "/slow":
			start := time.Now()
			select {
			case <-r.Context().Done():
				cancelled <- time.Since(start)
			case <-time.After(10 * time.Second):
			}
		case "/huge", "/huge-declared":
			if r.URL.Path == "/huge-declared" {
				w.Header().Set("Content-Length", strconv.Itoa(1<<30))
			}
			chunk := make([]byte, 1<<20)
			for range 1024 { // 1 GiB, unless the reader stops first
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case "/garbage":
			conn, buf, _ := w.(http.Hijacker).Hijack()
			buf.WriteString("SMTP ready\r\n\r\n")
			buf.Flush()
			conn.Close()
		}
	})
	down := closedAddress(t)
	cfg := fmt.Sprintf(`{"version":3,"timeout":"3s","endpoints":[
		{"endpoint":"/down","output_encoding":"no-op","backend":[{"host":["http://%s"],"url_pattern":"/down","encoding":"no-op",
			"extra_config":{"plugin/http-client":{"name":"krakend-rules","krakend-rules":{"rules":[{"name":"pass","delegate":{}}]}}}}]},
		{"endpoint":"/fault/{kind}","output_encoding":"no-op","timeout":"400ms","backend":[{"host":["%s"],"url_pattern":"/{kind}","encoding":"no-op",
			"extra_config":{"plugin/http-client":{"name":"krakend-rules","krakend-rules":{"rules":[]}}}}]},
		{"endpoint":"/big/{kind}","output_encoding":"no-op","timeout":"10s","backend":[{"host":["%s"],"url_pattern":"/{kind}","encoding":"no-op",
			"extra_config":{"plugin/http-client":{"name":"krakend-rules","krakend-rules":{"rules":[]}}}}]}]}`, down, backend.url, backend.url)
	g := startGateway(t, cfg)

	expect(t, "connection refused", g.get("/down"), 502, `{"error":"backend unreachable","rule":"pass"}`)
	expect(t, "reset mid-response", g.get("/fault/reset"), 502, `{"error":"backend answer incomplete"}`)
	expect(t, "not HTTP", g.get("/fault/garbage"), 502, `{"error":"backend error"}`)

	start := time.Now()
	a := g.get("/fault/slow")
	took := time.Since(start)
	if a.status < 500 || took > 2*time.Second {
		t.Errorf("a backend slower than the endpoint timeout: %d after %v", a.status, took)
	}
	select {
	case d := <-cancelled:
		if d > 2*time.Second {
			t.Errorf("the backend saw the cancellation only after %v", d)
		}
	case <-time.After(5 * time.Second):
		t.Error("the backend never saw the cancellation")
	}

	before := vmHWM(t, g.cmd.Process.Pid)
	for _, path := range []string{"/big/huge-declared", "/big/huge"} {
		start := time.Now()
		a := g.get(path)
		if a.status != 502 || a.body != `{"error":"backend answer too large"}` {
			t.Errorf("%s: a 1 GiB answer gave %d %.80s", path, a.status, a.body)
		}
		t.Logf("%s answered in %v", path, time.Since(start))
	}
	after := vmHWM(t, g.cmd.Process.Pid)
	t.Logf("gateway peak RSS: %d MiB before the 1 GiB answers, %d MiB after", before>>10, after>>10)
	if growth := after - before; growth > 160<<10 { // KiB: the 64 MiB bound, about 1.5 times that while growing
		t.Errorf("the gateway's peak RSS grew by %d MiB for a 1 GiB answer", growth>>10)
	}
	if !strings.Contains(g.log.String(), "the answer is longer than max_response_bytes (67108864)") {
		t.Error("the too-large answer was not logged")
	}
	expect(t, "still serving", g.get("/__health"), 200, "*")
}

// vmHWM returns a process's peak resident set size in KiB.
func vmHWM(t *testing.T, pid int) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return n
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

func TestA64MiBBodyKeepsTheGatewaySmall(t *testing.T) {
	var received atomic.Int64
	streamed := newStreamingBackend(t, &received)
	for _, declared := range []bool{true, false} {
		t.Run(fmt.Sprintf("Content-Length forwarded=%v", declared), func(t *testing.T) {
			headers := []string{"Content-Type"}
			if declared {
				headers = append(headers, "Content-Length")
			}
			g := startGateway(t, oneBackend("POST", "/upload", streamed, "/upload", "30s",
				`{"rules":[{"name":"eur","match":{"body":{"currency":"EUR"}},"response":{"status":201}}]}`, headers...))
			g.do("POST", "/upload", nil, strings.NewReader(`{"currency":"USD"}`)) // warm up
			before := vmHWM(t, g.cmd.Process.Pid)
			const size = 64 << 20
			body := io.MultiReader(strings.NewReader(`{"currency":"USD","pad":"`), &zeros{n: size}, strings.NewReader(`"}`))
			req, _ := http.NewRequest("POST", g.url+"/upload", body)
			req.Header.Set("Content-Type", "application/json")
			if declared {
				req.ContentLength = size + 27
			}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			after := vmHWM(t, g.cmd.Process.Pid)
			t.Logf("status %d; the backend got %d bytes; gateway peak RSS %d KiB before, %d KiB after", res.StatusCode, received.Load(), before, after)
			if res.StatusCode != 200 || received.Load() != size+27 {
				t.Errorf("status %d, the backend got %d bytes of %d", res.StatusCode, received.Load(), size+27)
			}
			if growth := after - before; growth > 8<<10 {
				t.Errorf("peak RSS grew by %d KiB for a 64 MiB body, want under 8 MiB", growth)
			}
		})
	}
}

// zeros yields n bytes of '0' without holding them.
type zeros struct{ n int }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), z.n)
	for i := range k {
		p[i] = '0'
	}
	z.n -= k
	return k, nil
}

// newStreamingBackend counts a request body's bytes without holding them.
func newStreamingBackend(t *testing.T, received *atomic.Int64) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		received.Store(n)
		io.WriteString(w, `{"stored":true}`)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// TestHostileBodiesKeepTheGatewaySmall: with max_body_bytes at 64 MiB,
// bodies of the shapes that cost a recursive or decoding parser its stack
// or many times their size are evaluated (or found unevaluable) in about
// their size once more, reach the backend whole, and leave the gateway
// serving.
func TestHostileBodiesKeepTheGatewaySmall(t *testing.T) {
	var received atomic.Int64
	streamed := newStreamingBackend(t, &received)
	g := startGateway(t, oneBackend("POST", "/upload", streamed, "/upload", "60s", `{"max_body_bytes":67108864,"rules":[
		{"name":"eur","match":{"body":{"currency":"EUR"}},"response":{"status":201}},
		{"name":"pair","match":{"body_json":{"a":[1,2]}},"response":{"status":202}}]}`, "Content-Type"))
	g.do("POST", "/upload", nil, strings.NewReader(`{"currency":"USD"}`)) // warm up
	const size = 64 << 20
	shapes := []struct {
		name                 string
		prefix, unit, suffix string
	}{
		{"64 MiB of [", "", "[", ""},
		{"64 MiB of nested objects", "", `{"a":`, ""},
		{"a 64 MiB string", `{"currency":"`, "y", `"}`},
		{"millions of keys", `{"k":0`, `,"k":1`, `}`},
		{"a long array", `{"a":[`, "1,", `1]}`},
	}
	for _, s := range shapes {
		t.Run(s.name, func(t *testing.T) {
			n := (size - len(s.prefix) - len(s.suffix)) / len(s.unit)
			length := int64(len(s.prefix) + n*len(s.unit) + len(s.suffix))
			before := vmHWM(t, g.cmd.Process.Pid)
			body := io.MultiReader(strings.NewReader(s.prefix), &repeated{unit: s.unit, n: n}, strings.NewReader(s.suffix))
			req, _ := http.NewRequest("POST", g.url+"/upload", body) // chunked: no Content-Length
			req.Header.Set("Content-Type", "application/json")
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			after := vmHWM(t, g.cmd.Process.Pid)
			t.Logf("%d bytes: status %d; the backend got %d; gateway peak RSS %d MiB before, %d MiB after", length, res.StatusCode, received.Load(), before>>10, after>>10)
			if res.StatusCode != 200 || received.Load() != length {
				t.Errorf("status %d, the backend got %d bytes of %d", res.StatusCode, received.Load(), length)
			}
			if growth := int64(after-before) << 10; growth > 5*length/2 {
				t.Errorf("peak RSS grew by %d MiB for a %d MiB body, want at most 2.5×", growth>>20, length>>20)
			}
			expect(t, "still serving", g.get("/__health"), 200, "*")
		})
	}
}

// repeated yields unit n times without holding the whole.
type repeated struct {
	unit string
	n    int
	off  int // into unit, for a read that ended mid-unit
}

func (r *repeated) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && r.n > 0 {
		c := copy(p[k:], r.unit[r.off:])
		k += c
		if r.off += c; r.off == len(r.unit) {
			r.off = 0
			r.n--
		}
	}
	return k, nil
}
