package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestParityGaps drives the four options the real-world parity check asked
// for through the gateway: strict body_json, more time: formats,
// delegate.strip_prefix and the objectId helper.
func TestParityGaps(t *testing.T) {
	backend := newBackend(t, nil)
	upstream := newBackend(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		fmt.Fprintf(w, `{"upstream":%q}`, r.URL.Path)
	})
	g := startGateway(t, config(
		endpoint("POST", "/strict", backend.url, "/strict", []string{"Content-Type"}, nil, `{"rules":[
			{"name":"strict","match":{"body_json":{"total":4,"items":[{"sku":"A"}]},"ignore_extra_fields":false},"response":{"status":201,"body":{"ok":true}}}]}`),
		endpoint("GET", "/dates", backend.url, "/dates", []string{"If-Modified-Since"}, nil, `{"rules":[
			{"name":"fresh","match":{"headers":{"If-Modified-Since":"time:>=2026-11-01"}},"response":{"status":200,"body":{"fresh":true}}}]}`),
		endpoint("GET", "/other/service/{rest}", backend.url, "/other/service/{rest}", nil, nil, `{"rules":[
			{"name":"legacy","delegate":{"to":"`+upstream.url+`/approot","strip_prefix":"/other/service"}}]}`),
		endpoint("GET", "/oid", backend.url, "/oid", nil, nil, `{"rules":[
			{"name":"oid","response":{"headers":{"Content-Type":"text/plain"},"body":"{{ objectId 1700000000 }}"}}]}`),
	))
	h := http.Header{"Content-Type": {"application/json"}}
	expect(t, "strict: the same members", g.do("POST", "/strict", h, strings.NewReader(`{"items":[{"sku":"A"}],"total":4}`)), 201, `{"ok":true}`)
	expect(t, "strict: an extra member inside", g.do("POST", "/strict", h, strings.NewReader(`{"items":[{"sku":"A","qty":1}],"total":4}`)), 200, `{"backend":true}`)
	expect(t, "strict: an extra member at the top", g.do("POST", "/strict", h, strings.NewReader(`{"items":[{"sku":"A"}],"total":4,"x":0}`)), 200, `{"backend":true}`)

	expect(t, "an HTTP date after", g.get("/dates", "If-Modified-Since", "Mon, 30 Nov 2026 10:00:00 GMT"), 200, `{"fresh":true}`)
	expect(t, "an HTTP date before", g.get("/dates", "If-Modified-Since", "Sat, 31 Oct 2026 23:59:59 GMT"), 200, `{"backend":true}`)
	expect(t, "a date alone", g.get("/dates", "If-Modified-Since", "2026-11-01"), 200, `{"fresh":true}`)
	expect(t, "a time without a zone, as UTC", g.get("/dates", "If-Modified-Since", "2026-10-31T23:59:59"), 200, `{"backend":true}`)

	expect(t, "the prefix stripped", g.get("/other/service/doc"), 200, `{"upstream":"/approot/doc"}`)

	a := g.get("/oid")
	if a.status != 200 || !regexp.MustCompile(`^6553f100[0-9a-f]{16}$`).MatchString(a.body) {
		t.Errorf("objectId: got %d %q, want 6553f100 and 16 hex digits", a.status, a.body)
	}
}
