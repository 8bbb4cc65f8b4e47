package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// The mock servers compared in scenario (f), installed from npm on first
// use into the cache folder.
const (
	wiremockVersion = "3.13.2"
	mockoonVersion  = "9.9.0"
	// mockoonMigration is the data-file format of Mockoon 9.9.0 (its
	// commons' HighestMigrationId): a file written in it needs no repair.
	mockoonMigration = 33
)

// npmTools installs and locates the mock servers.
type npmTools struct {
	cache   string // npm --prefix
	install bool
	logf    func(string, ...any)
}

func (t npmTools) wiremockJar() string {
	return filepath.Join(t.cache, "node_modules", "wiremock", "build", "wiremock-standalone-"+wiremockVersion+".jar")
}

func (t npmTools) mockoonCLI() string {
	return filepath.Join(t.cache, "node_modules", "@mockoon", "cli", "bin", "run.js")
}

// ensure installs pkg@version unless file is already there. Its errors wrap
// errSkipped: a missing mock server skips its row, nothing else.
func (t npmTools) ensure(ctx context.Context, pkg, version, file string) error {
	if _, err := os.Stat(file); err == nil {
		return nil
	}
	if !t.install {
		return fmt.Errorf("%w: %s is not installed (run without -install=false, or npm install --prefix %s %s@%s)", errSkipped, file, t.cache, pkg, version)
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return fmt.Errorf("%w: npm not found, cannot install %s@%s", errSkipped, pkg, version)
	}
	if err := os.MkdirAll(t.cache, 0o755); err != nil {
		return fmt.Errorf("%w: %v", errSkipped, err)
	}
	t.logf("installing %s@%s into %s (npm, first use only)", pkg, version, t.cache)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", t.cache, "--no-audit", "--no-fund", "--loglevel=error", pkg+"@"+version)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w: npm install %s@%s: %v: %s", errSkipped, pkg, version, err, lastLines(string(out), 5))
	}
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("%w: npm installed %s@%s but %s is missing", errSkipped, pkg, version, file)
	}
	return nil
}

// startWiremock runs WireMock standalone on port with one stub: every
// GET /bench/... answers backendBody. The request journal and the request
// log are off, as they would be in a load test (the journal keeps every
// request in memory).
func startWiremock(ctx context.Context, p *procs, t npmTools, dir string, port, cpu int) (*proc, error) {
	if _, err := exec.LookPath("java"); err != nil {
		return nil, fmt.Errorf("%w: java not found (WireMock needs a JRE)", errSkipped)
	}
	if err := t.ensure(ctx, "wiremock", wiremockVersion, t.wiremockJar()); err != nil {
		return nil, err
	}
	mappings := filepath.Join(dir, "mappings")
	if err := os.MkdirAll(mappings, 0o755); err != nil {
		return nil, err
	}
	stub := map[string]any{
		"request": map[string]any{"method": "GET", "urlPathPattern": "/bench/.*"},
		"response": map[string]any{
			"status":  200,
			"body":    backendBody,
			"headers": map[string]string{"Content-Type": "application/json"},
		},
	}
	if err := writeJSON(filepath.Join(mappings, "bench.json"), stub); err != nil {
		return nil, err
	}
	argv := pinned(cpu, "java", "-jar", t.wiremockJar(),
		"--port", strconv.Itoa(port), "--bind-address", "127.0.0.1", "--root-dir", dir,
		"--no-request-journal", "--disable-request-logging", "--disable-banner")
	pr, err := p.start("WireMock", filepath.Join(dir, "wiremock.log"), nil, argv...)
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, pr, fmt.Sprintf("http://127.0.0.1:%d/bench/0", port), 200, 90*time.Second); err != nil {
		pr.stop(5 * time.Second)
		return nil, err
	}
	return pr, nil
}

// startMockoon runs Mockoon CLI with an environment file serving
// backendBody on GET /bench/:id, templating off (the body is static).
func startMockoon(ctx context.Context, p *procs, t npmTools, dir string, port, cpu int) (*proc, error) {
	if _, err := exec.LookPath("node"); err != nil {
		return nil, fmt.Errorf("%w: node not found (Mockoon CLI needs Node.js)", errSkipped)
	}
	if err := t.ensure(ctx, "@mockoon/cli", mockoonVersion, t.mockoonCLI()); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	env := mockoonEnvironment(port)
	envFile := filepath.Join(dir, "mockoon-environment.json")
	if err := writeJSON(envFile, env); err != nil {
		return nil, err
	}
	argv := pinned(cpu, "node", t.mockoonCLI(), "start", "--data", envFile, "--disable-log-to-file", "--disable-admin-api")
	// Mockoon writes its settings under HOME; keep them in the work folder.
	pr, err := p.start("Mockoon", filepath.Join(dir, "mockoon.log"), []string{"HOME=" + dir}, argv...)
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, pr, fmt.Sprintf("http://127.0.0.1:%d/bench/0", port), 200, 90*time.Second); err != nil {
		pr.stop(5 * time.Second)
		return nil, err
	}
	return pr, nil
}

// mockoonEnvironment is a complete Mockoon data file (every field present,
// in the current format) with one route.
func mockoonEnvironment(port int) map[string]any {
	routeID := uuid4()
	response := map[string]any{
		"uuid":              uuid4(),
		"body":              backendBody,
		"latency":           0,
		"statusCode":        200,
		"label":             "",
		"headers":           []any{map[string]string{"key": "Content-Type", "value": "application/json"}},
		"bodyType":          "INLINE",
		"filePath":          "",
		"databucketID":      "",
		"sendFileAsBody":    false,
		"rules":             []any{},
		"rulesOperator":     "OR",
		"disableTemplating": true,
		"fallbackTo404":     false,
		"default":           true,
		"crudKey":           "id",
		"callbacks":         []any{},
	}
	route := map[string]any{
		"uuid":              routeID,
		"type":              "http",
		"documentation":     "",
		"method":            "get",
		"endpoint":          "bench/:id",
		"responses":         []any{response},
		"responseMode":      nil,
		"streamingMode":     nil,
		"streamingInterval": 0,
	}
	return map[string]any{
		"uuid":              uuid4(),
		"lastMigration":     mockoonMigration,
		"name":              "krakend-rules load test",
		"endpointPrefix":    "",
		"latency":           0,
		"port":              port,
		"hostname":          "127.0.0.1",
		"folders":           []any{},
		"routes":            []any{route},
		"rootChildren":      []any{map[string]string{"type": "route", "uuid": routeID}},
		"proxyMode":         false,
		"proxyHost":         "",
		"proxyRemovePrefix": false,
		"tlsOptions": map[string]any{
			"enabled": false, "type": "CERT", "pfxPath": "", "certPath": "", "keyPath": "", "caPath": "", "passphrase": "",
		},
		"cors":            false,
		"headers":         []any{},
		"proxyReqHeaders": []any{},
		"proxyResHeaders": []any{},
		"data":            []any{},
		"callbacks":       []any{},
	}
}

func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
