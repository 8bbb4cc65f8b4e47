package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestRuleStatisticsEndpoints counts requests through the gateway and reads
// them back from a JSON and a Prometheus endpoint made of stats rules.
func TestRuleStatisticsEndpoints(t *testing.T) {
	backend := newBackend(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if r.URL.Path == "/down" {
			w.WriteHeader(503)
		}
		w.Write([]byte(`{"ok":true}`))
	})
	nowhere := "http://" + closedAddress(t)
	g := startGateway(t, config(
		endpoint("GET", "/s/{what}", backend.url, "/{what}", nil, nil, `{"label":"GET /s","stats_log_interval":"1s","rules":[
			{"name":"mock","match":{"path":"/mock"},"response":{"body":{"mock":true}}},
			{"name":"down","match":{"path":"/down"},"delegate":{"fallback":{"response":{"body":{"fallback":true}}}}},
			{"name":"real","delegate":{}}]}`),
		endpoint("GET", "/__rules/stats", nowhere, "/stats", nil, nil, `{"label":"stats","rules":[{"name":"json","stats":{}}]}`),
		endpoint("GET", "/__rules/metrics", nowhere, "/metrics", nil, nil, `{"label":"metrics","rules":[{"name":"prometheus","stats":{"format":"prometheus"}}]}`),
	))
	for path, n := range map[string]int{"/s/mock": 3, "/s/down": 2, "/s/other": 1} {
		for range n {
			g.get(path)
		}
	}
	a := g.get("/__rules/stats")
	var doc struct {
		Rules []struct {
			Backend, Rule                         string
			Answered, Delegated, Fallback, Failed int64
			LastMatched                           string `json:"last_matched"`
		}
	}
	if err := json.Unmarshal([]byte(a.body), &doc); err != nil || a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("JSON statistics: %v %s", err, a.body)
	}
	got := map[string][4]int64{}
	for _, r := range doc.Rules {
		got[r.Backend+"/"+r.Rule] = [4]int64{r.Answered, r.Delegated, r.Fallback, r.Failed}
		if r.Backend == "GET /s" && r.LastMatched == "" {
			t.Errorf("%s: no last_matched", r.Rule)
		}
	}
	for k, v := range map[string][4]int64{"GET /s/mock": {3, 0, 0, 0}, "GET /s/down": {0, 0, 2, 0}, "GET /s/real": {0, 1, 0, 0}, "stats/json": {0, 0, 0, 0}} {
		if got[k] != v {
			t.Errorf("%s: %v, want %v (%s)", k, got[k], v, a.body)
		}
	}

	g.waitLog(`INFO: [PLUGIN: krakend-rules][GET /s] stats, busiest first: "mock": 3 answered, 0 delegated, 0 fallback, 0 failed, last matched `)

	m := g.get("/__rules/metrics")
	if ct := m.header.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Prometheus Content-Type %q", ct)
	}
	for _, line := range []string{
		"# TYPE krakend_rules_requests_total counter",
		`krakend_rules_requests_total{backend="GET /s",rule="mock",outcome="answered"} 3`,
		`krakend_rules_requests_total{backend="GET /s",rule="down",outcome="fallback"} 2`,
		`krakend_rules_requests_total{backend="stats",rule="json",outcome="answered"} 1`,
		"# TYPE krakend_rules_last_matched_timestamp_seconds gauge",
	} {
		if !strings.Contains(m.body, line+"\n") {
			t.Errorf("the Prometheus exposition lacks %q:\n%s", line, m.body)
		}
	}
}
