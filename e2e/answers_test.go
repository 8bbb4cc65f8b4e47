package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestAnswersOfEveryKindThroughTheGateway: text, XML, binary bodies, no
// Content-Type, repeated headers, files chosen by the request and confined
// to their directory, through no-op endpoints (with KrakenD's default
// encoding the client would see only JSON).
func TestAnswersOfEveryKindThroughTheGateway(t *testing.T) {
	dir := t.TempDir()
	mocks := filepath.Join(dir, "mocks")
	for name, content := range map[string]string{
		"mocks/1.json": `{"id":1}`, "mocks/page.html": "<h1>hi</h1>", "secret.json": `{"secret":true}`,
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "secret.json"), filepath.Join(mocks, "link.json")); err != nil {
		t.Fatal(err)
	}
	backend := newBackend(t, nil)
	g := startGateway(t, config(
		endpoint("GET", "/text", backend.url, "/text", nil, nil, `{"rules":[{"response":{"headers":{"Content-Type":"text/plain; charset=utf-8"},"body":"OK \"{{ .Path }}\"\n"}}]}`),
		endpoint("GET", "/xml", backend.url, "/xml", nil, nil, `{"rules":[{"response":{"status":202,"headers":{"Content-Type":"application/xml"},"body":"<ok/>"}}]}`),
		endpoint("GET", "/json-string", backend.url, "/json-string", nil, nil, `{"rules":[{"response":{"body":"quoted"}}]}`),
		endpoint("GET", "/bare", backend.url, "/bare", nil, nil, `{"rules":[{"response":{"headers":{"Content-Type":null},"body":"{\"not\": \"labelled\"}"}}]}`),
		endpoint("GET", "/bin", backend.url, "/bin", nil, nil, `{"rules":[{"response":{"body_base64":"AAEC/4BQTkc="}}]}`),
		endpoint("GET", "/cookies", backend.url, "/cookies", nil, []string{"v"}, `{"rules":[{"response":{"headers":{"Set-Cookie":["a=1; Path=/","b={{ .Query.Get \"v\" }}; HttpOnly"]},"body":{"ok":true}}}]}`),
		endpoint("GET", "/files", backend.url, "/files", nil, []string{"f"}, fmt.Sprintf(`{"rules":[{"name":"files","response":{"body_dir":%q,"body_file":"{{ .Query.Get \"f\" }}"}}]}`, mocks)),
	))

	a := g.get("/text")
	expect(t, "text as it is", a, 200, "OK \"/text\"\n", "Content-Type", "text/plain; charset=utf-8")
	expect(t, "XML as it is", g.get("/xml"), 202, "<ok/>", "Content-Type", "application/xml")
	expect(t, "a string body is JSON by default", g.get("/json-string"), 200, `"quoted"`, "Content-Type", "application/json")
	// The plugin sends no Content-Type; Go's HTTP server in the gateway
	// then names one from the first bytes, as for any answer without one.
	a = g.get("/bare")
	expect(t, "no Content-Type from the plugin", a, 200, `{"not": "labelled"}`, "Content-Type", "text/plain; charset=utf-8")
	a = g.get("/bin")
	expect(t, "binary", a, 200, "\x00\x01\x02\xff\x80PNG", "Content-Type", "application/octet-stream", "Content-Length", "8")
	a = g.get("/cookies?v=x")
	expect(t, "two cookies", a, 200, `{"ok":true}`)
	if got := a.header.Values("Set-Cookie"); !slices.Equal(got, []string{"a=1; Path=/", "b=x; HttpOnly"}) {
		t.Errorf("Set-Cookie %q, want both, in order", got)
	}
	expect(t, "a file", g.get("/files?f=1.json"), 200, `{"id":1}`, "Content-Type", "application/json")
	expect(t, "a file's type", g.get("/files?f=page.html"), 200, "<h1>hi</h1>", "Content-Type", "text/html; charset=utf-8")
	notFound := `{"error":"no such body_file","rule":"files"}`
	expect(t, "a missing file", g.get("/files?f=2.json"), 404, notFound)
	expect(t, "../ out of body_dir", g.get("/files?f=..%2Fsecret.json"), 404, notFound)
	expect(t, "an absolute name", g.get("/files?f="+filepath.Join(dir, "secret.json")), 404, notFound)
	expect(t, "a link out of body_dir", g.get("/files?f=link.json"), 404, notFound)
}

// TestStaticDataThroughTheGateway merges data into a backend's answer, only
// when it failed, as KrakenD's static proxy does with "errored".
func TestStaticDataThroughTheGateway(t *testing.T) {
	backend := newBackend(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/down" {
			w.WriteHeader(503)
			w.Write([]byte(`{"error":"down","degraded":false}`))
			return
		}
		w.Write([]byte(`{"id":1}`))
	})
	rules := `{"rules":[{"delegate":{"static":{"strategy":"errored","data":{"degraded":true,"items":[]}}}}]}`
	g := startGateway(t, config(
		endpoint("GET", "/down", backend.url, "/down", nil, nil, rules),
		endpoint("GET", "/up", backend.url, "/up", nil, nil, rules),
	))
	expect(t, "merged into a failed answer", g.get("/down"), 503, `{"error":"down","degraded":true,"items":[]}`, "Content-Length", "43")
	expect(t, "a success left as it is", g.get("/up"), 200, `{"id":1}`)
}

// TestLogNormalDelayThroughTheGateway waits a log-normal delay, within its
// cap.
func TestLogNormalDelayThroughTheGateway(t *testing.T) {
	backend := newBackend(t, nil)
	g := startGateway(t, config(
		endpoint("GET", "/slow", backend.url, "/slow", nil, nil, `{"rules":[
			{"delay":{"distribution":"lognormal","median":"150ms","sigma":0.1,"max":"250ms"},"response":{"body":{"slow":true}}}]}`),
	))
	start := time.Now()
	expect(t, "delayed", g.get("/slow"), 200, `{"slow":true}`)
	// Draws below e^(-0.5) of the median are five sigmas away.
	if took := time.Since(start); took < 90*time.Millisecond {
		t.Errorf("answered after %v, before a delay of about 150ms", took)
	}
}
