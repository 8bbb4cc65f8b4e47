package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRecordingThroughTheGateway records real answers through one gateway,
// answers from the recording once the backend is stopped, then serves the
// recorded file as the rules_file of a second gateway with no backend.
func TestRecordingThroughTheGateway(t *testing.T) {
	var failing atomic.Bool
	backend := newBackend(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if failing.Load() {
			w.WriteHeader(503)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", `"`+r.URL.Path+`"`)
		w.Header().Set("Set-Cookie", "session=secret-cookie")
		w.Header().Set("X-Api-Token", "secret-token")
		fmt.Fprintf(w, `{"path":%q,"page":%q,"tenant":%q,"real":true}`, r.URL.Path, r.URL.Query().Get("page"), r.Header.Get("X-Tenant"))
	})
	file := filepath.Join(t.TempDir(), "recorded.json")
	g := startGateway(t, config(
		endpoint("GET", "/rec/{id}", backend.url, "/orders/{id}", []string{"X-Tenant", "Authorization"}, []string{"page"},
			`{"label":"recorder","debug_header":true,"rules":[{"name":"orders","delegate":{
				"record":{"file":`+strconv.Quote(file)+`,"key":{"query":["page"],"headers":["X-Tenant"]},
					"headers":["Content-Type","ETag","Set-Cookie","X-Api-Token"],"exclude_headers":["X-Api-Token"]},
				"fallback":{"recorded":true}}}]}`),
		endpoint("POST", "/search", backend.url, "/search", nil, nil,
			`{"label":"search","debug_header":true,"rules":[{"name":"search","delegate":{
				"record":{"file":`+strconv.Quote(file)+`,"key":{"body":true}},"fallback":{"recorded":true}}}]}`),
	))
	first := `{"path":"/orders/1","page":"2","tenant":"acme","real":true}`
	search := func(body string) answer {
		return g.do("POST", "/search", http.Header{"Content-Type": {"application/json"}}, strings.NewReader(body))
	}
	expect(t, "a search recorded by its body", search(`{"q":"shoes","page":1}`), 200, `{"path":"/search","page":"","tenant":"","real":true}`, "X-Krakend-Rule", "search")
	expect(t, "recorded", g.get("/rec/1?page=2", "X-Tenant", "acme", "Authorization", "Bearer secret-auth"), 200, first, "X-Krakend-Rule", "orders")
	expect(t, "recorded too", g.get("/rec/5"), 200, `{"path":"/orders/5","page":"","tenant":"","real":true}`)

	// The file is written a second after the last change.
	deadline := time.Now().Add(10 * time.Second)
	for {
		content, _ := os.ReadFile(file)
		if strings.Count(string(content), `"name"`) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the recording never reached the file: %s", content)
		}
		time.Sleep(50 * time.Millisecond)
	}
	content, _ := os.ReadFile(file)
	if strings.Contains(string(content), "secret") {
		t.Errorf("a sensitive or excluded header was written:\n%s", content)
	}
	var written struct {
		Rules []struct {
			Name     string
			Response struct{ Headers map[string]string }
		}
	}
	if err := json.Unmarshal(content, &written); err != nil || len(written.Rules) != 3 ||
		written.Rules[1].Name != `GET /orders/1 query:page="2" header:X-Tenant="acme"` || written.Rules[1].Response.Headers["Etag"] != `"/orders/1"` ||
		!strings.HasPrefix(written.Rules[2].Name, "POST /search body:") {
		t.Errorf("the record file (%v):\n%s", err, content)
	}

	failing.Store(true)
	expect(t, "the backend answers 503: the recording answers", g.get("/rec/1?page=2", "X-Tenant", "acme"), 200, first,
		"X-Krakend-Rule", "orders (fallback: backend answered 503, recorded answer)")
	expect(t, "the backend answers 503, nothing recorded: its own answer", g.get("/rec/9"), 503, "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	backend.Shutdown(ctx)
	expect(t, "the backend is down: the recording answers", g.get("/rec/1?page=2", "X-Tenant", "acme"), 200, first,
		"X-Krakend-Rule", "orders (fallback: backend unreachable, recorded answer)", "Etag", `"/orders/1"`, "Set-Cookie", "")
	expect(t, "the same search, its keys in another order", search(`{"page":1, "q":"shoes"}`), 200, `{"path":"/search","page":"","tenant":"","real":true}`,
		"X-Krakend-Rule", "search (fallback: backend unreachable, recorded answer)")
	expect(t, "another search was never recorded", search(`{"q":"hats"}`), 502, `{"error":"backend unreachable","rule":"search"}`)
	expect(t, "another tenant was never recorded", g.get("/rec/1?page=2", "X-Tenant", "other"), 502, `{"error":"backend unreachable","rule":"orders"}`)
	if err := g.stop(); err != nil {
		t.Fatalf("the recording gateway did not stop cleanly: %v", err)
	}

	replay := startGateway(t, config(
		endpoint("GET", "/rec/{id}", "http://"+closedAddress(t), "/orders/{id}", []string{"X-Tenant"}, []string{"page"},
			`{"label":"replay","debug_header":true,"rules_file":`+strconv.Quote(file)+`}`),
	))
	// A JSON body is replayed like any "body": its keys sorted.
	expect(t, "replayed by another gateway", replay.get("/rec/1?page=2", "X-Tenant", "acme"), 200, `{"page":"2","path":"/orders/1","real":true,"tenant":"acme"}`,
		"X-Krakend-Rule", `GET /orders/1 query:page="2" header:X-Tenant="acme"`, "Etag", `"/orders/1"`, "Content-Type", "application/json")
	expect(t, "the other recording", replay.get("/rec/5"), 200, `{"page":"","path":"/orders/5","real":true,"tenant":""}`)
	expect(t, "not recorded: delegated to the stopped backend", replay.get("/rec/7"), 502, `{"error":"backend unreachable"}`)

	replaySearch := startGateway(t, config(
		endpoint("POST", "/search", "http://"+closedAddress(t), "/search", nil, nil, `{"label":"replay search","rules_file":`+strconv.Quote(file)+`}`),
	))
	h := http.Header{"Content-Type": {"application/json"}}
	expect(t, "a search replayed by its body", replaySearch.do("POST", "/search", h, strings.NewReader(`{"q":"shoes","page":1}`)), 200,
		`{"page":"","path":"/search","real":true,"tenant":""}`)
	expect(t, "another search is not", replaySearch.do("POST", "/search", h, strings.NewReader(`{"q":"hats","page":1}`)), 502, `{"error":"backend unreachable"}`)
}
