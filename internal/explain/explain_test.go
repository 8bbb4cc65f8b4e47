package explain

import (
	"net/http"
	"net/url"
	"reflect"
	"testing"
)

// TestBackendRequestIsWhatLuraBuilds: the headers and query parameters
// that reach the plugin, as Lura's router forwards them.
func TestBackendRequestIsWhatLuraBuilds(t *testing.T) {
	client := http.Header{"X-Tenant": {"acme"}, "Content-Type": {"application/json"}, "User-Agent": {"curl/8"}, "Host": {"api.example.com"}}
	tests := []struct {
		name        string
		inHeaders   []any
		inQuery     []any
		wantURL     string
		wantHeaders http.Header
		wantDropped []string
	}{
		{"none listed: Content-Type only", nil, nil, "http://b:8080/v1/orders/7", http.Header{
			"Content-Type": {"application/json"}, "User-Agent": {UserAgent}, "X-Forwarded-For": {"10.0.0.1"}, "X-Forwarded-Host": {"api.example.com"}},
			[]string{"query a", "query b", "header User-Agent", "header X-Tenant"}},
		{"a list, User-Agent forwarded", []any{"X-Tenant", "User-Agent"}, []any{"b"}, "http://b:8080/v1/orders/7?b=2", http.Header{
			"X-Tenant": {"acme"}, "User-Agent": {"curl/8"}, "X-Forwarded-Via": {UserAgent}, "X-Forwarded-For": {"10.0.0.1"}, "X-Forwarded-Host": {"api.example.com"}},
			[]string{"query a", "header Content-Type"}},
		{"everything", []any{"*"}, []any{"*"}, "http://b:8080/v1/orders/7?a=1&b=2", http.Header{
			"X-Tenant": {"acme"}, "Content-Type": {"application/json"}, "User-Agent": {"curl/8"}, "X-Forwarded-Via": {UserAgent}, "X-Forwarded-For": {"10.0.0.1"}, "X-Forwarded-Host": {"api.example.com"}},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := map[string]any{"endpoint": "/orders/{id}", "input_headers": tt.inHeaders, "input_query_strings": tt.inQuery}
			be := map[string]any{"host": []any{"http://b:8080/"}, "url_pattern": "/v1/orders/{id}"}
			target, _ := url.ParseRequestURI("/orders/7?a=1&b=2")
			got, dropped := backendRequest(map[string]any{}, ep, be, Request{Method: "GET", Header: client, RemoteIP: "10.0.0.1"}, target)
			if got.URL != tt.wantURL || got.Method != "GET" {
				t.Errorf("%s %s, want GET %s", got.Method, got.URL, tt.wantURL)
			}
			if !reflect.DeepEqual(got.Header, tt.wantHeaders) {
				t.Errorf("headers %v\nwant %v", got.Header, tt.wantHeaders)
			}
			if !reflect.DeepEqual(dropped, tt.wantDropped) {
				t.Errorf("dropped %q, want %q", dropped, tt.wantDropped)
			}
		})
	}
}

func TestEndpointParams(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          map[string]string
		ok            bool
	}{
		{"/orders/{id}", "/orders/7", map[string]string{"id": "7"}, true},
		{"/orders/{id}", "/orders/", nil, false},
		{"/orders/{id}", "/orders/7/items", nil, false},
		{"/a/{x}/c", "/a/b/c", map[string]string{"x": "b"}, true},
		{"/a", "/b", nil, false},
	}
	for _, tt := range tests {
		got, ok := endpointParams(tt.pattern, tt.path)
		if ok != tt.ok || ok && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("endpointParams(%q, %q) = %v %v, want %v %v", tt.pattern, tt.path, got, ok, tt.want, tt.ok)
		}
	}
}
