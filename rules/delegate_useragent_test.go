package rules

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// A delegate's "request_headers": {"User-Agent": null} must send no
// User-Agent: deleting it alone let Go's transport add "Go-http-client/1.1"
// (found translating WireMock's removeProxyRequestHeaders, see
// testdata/realworld). Other headers are unaffected.
func TestDelegateRemovesTheUserAgent(t *testing.T) {
	got := make(chan []string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Values("User-Agent")
	}))
	defer srv.Close()
	tests := []struct {
		name, headers string
		want          []string
	}{
		{"removed", `{"user-agent": null}`, nil},
		{"kept", `{"X-Other": null}`, []string{"KrakenD Version 2.10.2"}},
		{"replaced", `{"User-Agent": "mock/1"}`, []string{"mock/1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, `{"rules":[{"name":"d","delegate":{"request_headers":`+tt.headers+`}}]}`, nil)
			res, body := serve(e, backendRequest(t, "GET", srv.URL+"/x", "", http.Header{"User-Agent": {"KrakenD Version 2.10.2"}}))
			if res.StatusCode != 200 {
				t.Fatalf("status %d: %s", res.StatusCode, body)
			}
			if v := <-got; len(v) != len(tt.want) || len(v) > 0 && v[0] != tt.want[0] {
				t.Errorf("the backend saw User-Agent %q, want %q", v, tt.want)
			}
		})
	}
}
