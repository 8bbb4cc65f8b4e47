package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRealWorldStubsThroughTheGateway serves two of the translated stubs of
// rules/testdata/realworld through the gateway, as rules_files: the
// AcmePay WireMock stubs (a header guard, a templated charge with
// randAlphaNum, a scenario that throttles after three calls), and
// WireMock's removeProxyRequestHeaders, where KrakenD's own User-Agent
// must not reach the upstream.
func TestRealWorldStubsThroughTheGateway(t *testing.T) {
	dir, err := filepath.Abs("../rules/testdata/realworld")
	if err != nil {
		t.Fatal(err)
	}
	backend := newBackend(t, nil)
	upstream := newBackend(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("UA=" + r.Header.Get("User-Agent")))
	})
	headers, err := os.ReadFile(filepath.Join(dir, "w38-proxy-request-headers.json"))
	if err != nil {
		t.Fatal(err)
	}
	headersFile := filepath.Join(t.TempDir(), "w38.json")
	if err := os.WriteFile(headersFile, []byte(strings.ReplaceAll(string(headers), "http://upstream.test", upstream.url)), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, config(
		endpoint("POST", "/v1/charges", backend.url, "/v1/charges", []string{"Authorization", "X-Mock-Scenario", "Content-Type"}, nil,
			`{"rules_file":`+jsonText(filepath.Join(dir, "u04-acmepay.json"))+`}`),
		endpoint("GET", "/add/{x}", backend.url, "/add/{x}", nil, nil, `{"rules_file":`+jsonText(headersFile)+`}`),
		endpoint("GET", "/remove/{x}", backend.url, "/remove/{x}", nil, nil, `{"rules_file":`+jsonText(headersFile)+`}`),
	))
	charge := `{"amount":100,"currency":"EUR","customerId":"cus_1"}`
	post := func(body string, header ...string) answer {
		h := http.Header{"Content-Type": {"application/json"}}
		for i := 0; i+1 < len(header); i += 2 {
			h.Set(header[i], header[i+1])
		}
		return g.do("POST", "/v1/charges", h, strings.NewReader(body))
	}
	expect(t, "no token", post(charge), 401, `{"error":{"message":"No API key provided.","type":"authentication_error"}}`)
	a := post(charge, "Authorization", "Bearer sk")
	if a.status != 201 || !regexp.MustCompile(`"id": "ch_[A-Za-z0-9]{16}",\n  "status": "succeeded",\n  "amount": 100,\n  "currency": "EUR"`).MatchString(a.body) {
		t.Errorf("a charge: %d %s", a.status, a.body)
	}
	for i := 1; i <= 3; i++ {
		if a := post(charge, "Authorization", "Bearer sk", "X-Mock-Scenario", "rate-limit"); a.status != 201 {
			t.Errorf("rate-limit call %d: %d %s", i, a.status, a.body)
		}
	}
	expect(t, "throttled", post(charge, "Authorization", "Bearer sk", "X-Mock-Scenario", "rate-limit"), 429,
		`{"error":{"message":"Too many requests. Slow down.","type":"rate_limit_error"}}`, "Retry-After", "30")

	expect(t, "a User-Agent added", g.get("/add/1"), 200, "UA=Mozilla/5.0 (iPhone; U; CPU iPhone)")
	expect(t, "KrakenD's User-Agent removed", g.get("/remove/1"), 200, "UA=")
}
