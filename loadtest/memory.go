package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// uploadSize is the request body of the large-body check: 64 MiB, 64 times
// krakend-rules' default max_body_bytes.
const uploadSize = 64 << 20

// bodyCase is one gateway of the large-body check.
type bodyCase struct {
	id, title string
	plugin    bool // krakend-rules with a body rule on the endpoint
	forwardCL bool // Content-Length in input_headers: the plugin sees the size
}

var bodyCases = []bodyCase{
	{id: "proxy", title: "no plugin (Lura alone)"},
	{id: "rules", title: "krakend-rules body rule, Content-Length not forwarded (the plugin reads up to the bound)", plugin: true},
	{id: "rules-cl", title: "krakend-rules body rule, Content-Length forwarded (the plugin reads nothing)", plugin: true, forwardCL: true},
}

// bodyResult is what one large upload did to the gateway.
type bodyResult struct {
	c                   bodyCase
	status              int
	answer              string
	received            int64 // bytes the backend read, from its answer; -1: unknown
	hwmBefore, hwmAfter int64
	rssAfter            int64
	took                time.Duration
}

// soakResult is the RSS run of scenario (b).
type soakResult struct {
	run runResult
}

// memoryChecks runs the optional memory checks and stores them in rep.
func (d *driver) memoryChecks(ctx context.Context, rep *report) error {
	var b scenario
	for _, s := range scenarios(d.o.rules, d.o.fileRules) {
		if s.id == "b" {
			b = s
		}
	}
	logf("memory: (b) for %s, gateway VmRSS sampled every second", d.o.memoryDuration)
	res, err := d.runScenario(ctx, b, 0, d.o.memoryDuration, true)
	if err != nil {
		return fmt.Errorf("RSS run of (b): %w", err)
	}
	rep.soak = &soakResult{run: res}
	first, last := res.rss[0], res.rss[len(res.rss)-1]
	logf("  VmRSS %s at %s, %s at %s (%.0f req/s)", fmtMiB(first.rss), first.at, fmtMiB(last.rss), last.at, res.wrk.RPS)

	for _, c := range bodyCases {
		logf("memory: POST of a %s body, %s", fmtMiB(uploadSize), c.title)
		r, err := d.bodyCheck(ctx, c)
		if err != nil {
			return fmt.Errorf("large body, %s: %w", c.id, err)
		}
		logf("  status %d, backend received %d bytes, VmHWM %s → %s (+%s) in %s",
			r.status, r.received, fmtMiB(r.hwmBefore), fmtMiB(r.hwmAfter), fmtMiB(r.hwmAfter-r.hwmBefore), r.took.Round(time.Millisecond))
		rep.bodies = append(rep.bodies, r)
	}
	return nil
}

// bodyRules has one rule with a body condition, default max_body_bytes.
func bodyRules() map[string]any {
	return map[string]any{"rules": []any{map[string]any{
		"name":     "body-rule",
		"match":    map[string]any{"path": "/upload/**", "body": map[string]any{"kind": "bench"}},
		"response": map[string]any{"body": map[string]any{"matched": true}},
	}}}
}

// bodyCheck starts a backend and a gateway for c, warms it with small
// uploads, then posts one 64 MiB body and reads the gateway's VmHWM before
// and after.
func (d *driver) bodyCheck(ctx context.Context, c bodyCase) (bodyResult, error) {
	r := bodyResult{c: c, received: -1}
	dir := filepath.Join(d.o.workdir, "memory-body-"+c.id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return r, err
	}
	backendPort, err := freePort()
	if err != nil {
		return r, err
	}
	backendURL := fmt.Sprintf("http://127.0.0.1:%d", backendPort)
	backend, err := d.startGoBackend(ctx, dir, backendPort)
	if err != nil {
		return r, err
	}
	defer backend.stop(5 * time.Second)

	gwPort, err := freePort()
	if err != nil {
		return r, err
	}
	var headers []string
	if c.forwardCL {
		headers = []string{"Content-Length"}
	}
	var client map[string]any
	cfg := gatewayConfig{port: gwPort, accessLog: d.o.accessLog, name: "krakend-rules load test (memory " + c.id + ")", timeoutStr: "60s"}
	if c.plugin {
		client = rulesClient(bodyRules())
		cfg.plugin = d.so.rules
	}
	cfg.endpoints = []any{endpoint("POST", "/upload/{id}", backendURL, "/upload/{id}", headers, client)}
	gw, err := d.startGateway(ctx, dir, cfg)
	if err != nil {
		return r, err
	}
	defer gw.stop(5 * time.Second)
	url := fmt.Sprintf("http://127.0.0.1:%d/upload/1", gwPort)

	// Small uploads first: the rule must answer them (the plugin is in the
	// path), and the gateway's steady state is reached before the peak is
	// read.
	small := `{"kind":"bench","pad":"` + strings.Repeat("x", 1000) + `"}`
	for i := 0; i < 50; i++ {
		status, answer, err := post(ctx, url, strings.NewReader(small), int64(len(small)))
		if err != nil {
			return r, fmt.Errorf("small upload: %w", err)
		}
		want := `{"ok":true,"received":` + strconv.Itoa(len(small)) + `}`
		if c.plugin {
			want = `{"matched":true}`
		}
		if status != http.StatusOK || expectJSON(want)([]byte(answer)) != nil {
			return r, fmt.Errorf("small upload: status %d, answer %s, want %s", status, answer, want)
		}
	}
	before, err := readMemStatus(gw.pid())
	if err != nil {
		return r, err
	}
	r.hwmBefore = before.HWM

	start := time.Now()
	r.status, r.answer, err = post(ctx, url, newPaddedJSON(uploadSize), uploadSize)
	r.took = time.Since(start)
	if err != nil {
		return r, fmt.Errorf("64 MiB upload: %w", err)
	}
	var a struct {
		Received *int64 `json:"received"`
	}
	if json.Unmarshal([]byte(r.answer), &a) == nil && a.Received != nil {
		r.received = *a.Received
	}
	after, err := readMemStatus(gw.pid())
	if err != nil {
		return r, err
	}
	r.hwmAfter, r.rssAfter = after.HWM, after.RSS
	return r, nil
}

func post(ctx context.Context, url string, body io.Reader, size int64) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return 0, "", err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 2 * time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b), err
}

// paddedJSON streams {"kind":"bench","pad":"xxx…"} of exactly n bytes
// without holding it in memory.
type paddedJSON struct {
	head, tail string
	pad        int64 // padding bytes still to send
	pos        int   // bytes of head already sent
	tailPos    int
}

func newPaddedJSON(n int64) *paddedJSON {
	p := &paddedJSON{head: `{"kind":"bench","pad":"`, tail: `"}`}
	p.pad = n - int64(len(p.head)+len(p.tail))
	return p
}

func (p *paddedJSON) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		switch {
		case p.pos < len(p.head):
			c := copy(b[n:], p.head[p.pos:])
			p.pos += c
			n += c
		case p.pad > 0:
			c := int64(len(b) - n)
			if c > p.pad {
				c = p.pad
			}
			for i := int64(0); i < c; i++ {
				b[n+int(i)] = 'x'
			}
			p.pad -= c
			n += int(c)
		case p.tailPos < len(p.tail):
			c := copy(b[n:], p.tail[p.tailPos:])
			p.tailPos += c
			n += c
		default:
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
	}
	return n, nil
}
