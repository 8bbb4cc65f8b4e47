// Package explain says which rule of a krakend.json (or a rules file)
// answers a request, and why the rules before it did not, for
// "krakend-rules explain". It builds the backend request the way Lura
// builds the one it hands the plugin — the endpoint's parameters put into
// the backend's url_pattern, only the forwarded headers and query
// parameters — and hands it to the plugin's own engine (rules.Engine.Explain).
package explain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"krakend-rules/rules"
	"krakend-rules/state"
)

// Request is a client request, as curl would send it to the gateway.
type Request struct {
	Method string // default GET, or POST with a body
	Target string // "/orders/7?x=1"
	Header http.Header
	Body   []byte
	// RemoteIP is the client address Lura puts in X-Forwarded-For.
	RemoteIP string
}

// Select chooses the endpoint and backend. Endpoint is the endpoint's
// "endpoint" ("/orders/{id}"); empty, the first endpoint whose pattern and
// method fit the request. Backend is the backend's index; -1, the first
// that names krakend-rules.
type Select struct {
	Endpoint string
	Backend  int
}

// Result is an explanation with what was chosen on the way.
type Result struct {
	// Endpoint and Backend name what was chosen, as the linter names them;
	// empty for a rules file.
	Endpoint string `json:"endpoint,omitempty"`
	Backend  string `json:"backend,omitempty"`
	// BackendRequest is what the plugin gets.
	BackendRequest BackendRequest `json:"backend_request"`
	// Dropped are the request's headers and query parameters that the
	// endpoint does not forward, so no rule can see them.
	Dropped []string `json:"dropped,omitempty"`
	// NoOp: the endpoint and backend are no-op, so the client gets the
	// answer's status and headers; otherwise only its body, as KrakenD
	// decodes it.
	NoOp bool `json:"no_op"`
	*rules.Explanation
}

// BackendRequest is the request the plugin receives.
type BackendRequest struct {
	Method string      `json:"method"`
	URL    string      `json:"url"`
	Header http.Header `json:"headers"`
}

// PluginName is the plugin's name in krakend.json.
const PluginName = "krakend-rules"

// Explain loads the configuration (a krakend.json, or a rules file: an
// object with "rules" and no "endpoints") and explains the request.
// Relative body_file and rules_file names are read from the current
// directory, as the gateway reads them from its working directory.
func Explain(content []byte, sel Select, req Request) (*Result, error) {
	var root map[string]any
	if err := json.Unmarshal(content, &root); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	if req.Method == "" {
		req.Method = http.MethodGet
		if len(req.Body) > 0 {
			req.Method = http.MethodPost
		}
	}
	req.Method = strings.ToUpper(req.Method)
	target, err := url.ParseRequestURI(req.Target)
	if err != nil || !strings.HasPrefix(req.Target, "/") {
		return nil, fmt.Errorf("bad request path %q: want /path?query", req.Target)
	}
	if _, isGateway := root["endpoints"]; !isGateway {
		if _, ok := root["rules"]; !ok {
			return nil, errors.New(`neither a krakend.json ("endpoints") nor a rules file ("rules")`)
		}
		// A rules file: the request is the backend request itself.
		r := &Result{NoOp: true, BackendRequest: BackendRequest{Method: req.Method, URL: "http://backend" + target.RequestURI(), Header: req.Header.Clone()}}
		return r, r.run(map[string]any{"rules": root["rules"]}, req.Body, int64(len(req.Body)))
	}

	ep, epIndex, err := chooseEndpoint(root, sel.Endpoint, req.Method, target.Path)
	if err != nil {
		return nil, err
	}
	backends, _ := ep["backend"].([]any)
	beIndex := sel.Backend
	if beIndex < 0 {
		for i, raw := range backends {
			if pluginOf(raw) != nil {
				beIndex = i
				break
			}
		}
		if beIndex < 0 {
			return nil, fmt.Errorf("endpoint %s has no backend with %s", str(ep, "endpoint"), PluginName)
		}
	}
	if beIndex >= len(backends) {
		return nil, fmt.Errorf("endpoint %s has %d backend(s): no backend[%d]", str(ep, "endpoint"), len(backends), beIndex)
	}
	be, _ := backends[beIndex].(map[string]any)
	plugin := pluginOf(be)
	if plugin == nil {
		return nil, fmt.Errorf("backend[%d] of endpoint %s does not name %s", beIndex, str(ep, "endpoint"), PluginName)
	}
	r := &Result{
		Endpoint: fmt.Sprintf("%s %s (endpoints[%d])", endpointMethod(ep), str(ep, "endpoint"), epIndex),
		Backend:  fmt.Sprintf("backend[%d] %s", beIndex, str(be, "url_pattern")),
		NoOp:     str(ep, "output_encoding") == "no-op" && str(be, "encoding") == "no-op",
	}
	r.BackendRequest, r.Dropped = backendRequest(root, ep, be, req, target)
	contentLength := int64(-1) // Lura sets it only when Content-Length is forwarded
	if r.BackendRequest.Header.Get("Content-Length") != "" {
		contentLength = int64(len(req.Body))
	}
	raw, ok := plugin[PluginName]
	if !ok {
		return nil, fmt.Errorf("backend[%d] of endpoint %s has no %q object: it fails closed (every request answers 500)", beIndex, str(ep, "endpoint"), PluginName)
	}
	return r, r.run(raw, req.Body, contentLength)
}

// run compiles the plugin's configuration as the plugin does and explains
// the backend request.
func (r *Result) run(raw any, body []byte, contentLength int64) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A dry-run registry: explaining never connects to a Redis store nor
	// writes a persist_file, and state starts as a fresh gateway's.
	engine, err := rules.New(ctx, raw, rules.Options{Registry: &state.Registry{DryRun: true}})
	if err != nil {
		return fmt.Errorf("the configuration does not load (the backend fails closed, answering 500):\n%v", err)
	}
	req, err := http.NewRequest(r.BackendRequest.Method, r.BackendRequest.URL, nil)
	if err != nil {
		return err
	}
	if body != nil {
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), contentLength
	}
	req.Header = r.BackendRequest.Header
	if req.Header == nil {
		req.Header = http.Header{}
	}
	r.Explanation = engine.Explain(req)
	return nil
}

func pluginOf(raw any) map[string]any {
	be, _ := raw.(map[string]any)
	extra, _ := be["extra_config"].(map[string]any)
	for _, k := range []string{"plugin/http-client", "github.com/devopsfaith/krakend/transport/http/client/executor"} {
		if p, ok := extra[k].(map[string]any); ok && p["name"] == PluginName {
			return p
		}
	}
	return nil
}

// chooseEndpoint finds the endpoint named, or else the first whose pattern
// and method fit the request.
func chooseEndpoint(root map[string]any, named, method, path string) (map[string]any, int, error) {
	endpoints, _ := root["endpoints"].([]any)
	var sameName []int
	for i, raw := range endpoints {
		ep, _ := raw.(map[string]any)
		if ep == nil {
			continue
		}
		if named != "" {
			if str(ep, "endpoint") == named {
				sameName = append(sameName, i)
			}
			continue
		}
		if endpointMethod(ep) == method {
			if _, ok := endpointParams(str(ep, "endpoint"), path); ok {
				return ep, i, nil
			}
		}
	}
	if named == "" {
		return nil, 0, fmt.Errorf("no endpoint serves %s %s (give -endpoint)", method, path)
	}
	for _, i := range sameName {
		ep := endpoints[i].(map[string]any)
		if endpointMethod(ep) == method || len(sameName) == 1 {
			return ep, i, nil
		}
	}
	return nil, 0, fmt.Errorf("no endpoint %q", named)
}

func endpointMethod(ep map[string]any) string {
	if m := strings.ToUpper(str(ep, "method")); m != "" {
		return m
	}
	return http.MethodGet
}

// endpointParams matches a path against an endpoint pattern
// ("/orders/{id}"), one segment per parameter, as KrakenD's router does.
func endpointParams(pattern, path string) (map[string]string, bool) {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return nil, false
	}
	params := map[string]string{}
	for i, p := range ps {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") && len(p) > 2 {
			if xs[i] == "" {
				return nil, false
			}
			params[p[1:len(p)-1]] = xs[i]
			continue
		}
		if p != xs[i] {
			return nil, false
		}
	}
	return params, true
}

// UserAgent is what Lura's router puts in User-Agent: "KrakenD Version "
// and the version the gateway was built with (the demo gateway's is
// undefined).
var UserAgent = "KrakenD Version undefined"

// backendRequest builds the request Lura hands the plugin: the endpoint's
// parameters in the backend's url_pattern, on its first host; the headers
// in input_headers (Content-Type when there are none; all for "*") and
// those Lura sets; the query parameters in input_query_strings.
func backendRequest(root, ep, be map[string]any, req Request, target *url.URL) (BackendRequest, []string) {
	params, _ := endpointParams(str(ep, "endpoint"), target.Path)
	pattern := str(be, "url_pattern")
	for name, v := range params {
		pattern = strings.ReplaceAll(pattern, "{"+name+"}", v)
	}
	host := ""
	for _, hosts := range []any{be["host"], root["host"]} {
		if list := strings1(hosts); len(list) > 0 {
			host = strings.TrimSuffix(list[0], "/")
			break
		}
	}
	if host == "" {
		host = "http://backend"
	}
	method := endpointMethod(ep)
	if m := strings.ToUpper(str(be, "method")); m != "" {
		method = m
	}

	var dropped []string
	query := url.Values{}
	inQuery := strings1(ep["input_query_strings"])
	for _, name := range sortedKeys(target.Query()) {
		if slices.Contains(inQuery, "*") || slices.Contains(inQuery, name) {
			query[name] = target.Query()[name]
		} else {
			dropped = append(dropped, "query "+name)
		}
	}
	u := host + pattern
	if len(query) > 0 {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + query.Encode()
	}

	inHeaders := strings1(ep["input_headers"])
	all := slices.Contains(inHeaders, "*")
	if len(inHeaders) == 0 {
		inHeaders = []string{"Content-Type"}
	}
	header := http.Header{}
	for _, name := range sortedKeys(req.Header) {
		canon := http.CanonicalHeaderKey(name)
		if canon == "Host" {
			continue
		}
		if all || slices.ContainsFunc(inHeaders, func(h string) bool { return http.CanonicalHeaderKey(h) == canon }) {
			header[canon] = append(header[canon], req.Header[name]...)
		} else if canon != "X-Forwarded-For" && canon != "X-Forwarded-Host" { // Lura sets those
			dropped = append(dropped, "header "+canon)
		}
	}
	ip := req.RemoteIP
	if ip == "" {
		ip = "127.0.0.1"
	}
	header.Set("X-Forwarded-For", ip)
	clientHost := req.Header.Get("Host")
	if clientHost == "" {
		clientHost = "localhost:8080"
	}
	header.Set("X-Forwarded-Host", clientHost)
	// Lura's own User-Agent, or, when the client's is forwarded, beside it.
	if _, ok := header["User-Agent"]; ok {
		header.Set("X-Forwarded-Via", UserAgent)
	} else {
		header.Set("User-Agent", UserAgent)
	}
	return BackendRequest{Method: method, URL: u, Header: header}, dropped
}

func str(obj map[string]any, name string) string {
	s, _ := obj[name].(string)
	return s
}

func strings1(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
