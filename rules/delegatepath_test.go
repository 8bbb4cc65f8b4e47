package rules

import (
	"fmt"
	"net/url"
	"testing"

	"krakend-rules/config"
)

func TestStripPrefixApply(t *testing.T) {
	tests := []struct {
		prefix, path, want string
	}{
		{"/api", "/api/orders/1", "/orders/1"},
		{"/api", "/api", ""},
		{"/api", "/api/", "/"},
		{"/api/", "/api/x", "/x"},
		{"/api", "/apix/1", "/apix/1"},
		{"/api", "/other/api/1", "/other/api/1"},
		{"/other/service", "/other/service/doc/123", "/doc/123"},
		{"/api", "/api/a%2Fb", "/a%2Fb"},
		{"/a b", "/a%20b/c", "/c"},
		{"/api", "/API/x", "/API/x"},
	}
	for _, tt := range tests {
		var errs config.Errors
		p := compileStripPrefix(&errs, config.At("strip_prefix"), tt.prefix)
		if p == nil || errs.Err() != nil {
			t.Fatalf("%q: %v", tt.prefix, errs.Err())
		}
		u, err := url.Parse("http://h" + tt.path + "?q=1")
		if err != nil {
			t.Fatal(err)
		}
		before := u.String()
		got := p.apply(u)
		if got.EscapedPath() != tt.want || got.RawQuery != "q=1" {
			t.Errorf("strip %q from %q = %q (query %q), want %q", tt.prefix, tt.path, got.EscapedPath(), got.RawQuery, tt.want)
		}
		if u.String() != before {
			t.Errorf("strip %q changed the request's URL: %s", tt.prefix, u)
		}
	}
}

func TestStripPrefixDelegates(t *testing.T) {
	backend := echoBackend(t)
	tests := []struct {
		delegate, path, want string
	}{
		{fmt.Sprintf(`{"to": %q, "strip_prefix": "/other/service"}`, backend.URL+"/approot"), "/other/service/doc/123", "/approot/doc/123"},
		{fmt.Sprintf(`{"to": %q, "strip_prefix": "/other/service"}`, backend.URL+"/approot"), "/other/service", "/approot"},
		{fmt.Sprintf(`{"to": %q, "strip_prefix": "/api"}`, backend.URL), "/api", "/"},
		{fmt.Sprintf(`{"to": %q, "strip_prefix": "/api"}`, backend.URL), "/apix/1", "/apix/1"},
		{`{"strip_prefix": "/api"}`, "/api/v1/orders", "/v1/orders"},
		{`{"strip_prefix": "/api"}`, "/v1/api/orders", "/v1/api/orders"},
	}
	for _, tt := range tests {
		e := newEngine(t, `{"rules":[{"delegate":`+tt.delegate+`}]}`, nil)
		_, body := serve(e, backendRequest(t, "GET", backend.URL+tt.path+"?x=1", "", nil))
		if got := decodeEcho(t, body); got.Path != tt.want || got.Query != "x=1" {
			t.Errorf("%s on %s: the backend saw %q?%s, want %q?x=1", tt.delegate, tt.path, got.Path, got.Query, tt.want)
		}
	}
}
