package lint

import (
	"errors"
	"fmt"
	"krakend-rules/rules"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// backend is what the plugin's behaviour depends on in a backend and its
// endpoint, read as Lura v2.10.0 reads it.
type backend struct {
	at    path   // the backend's plugin/http-client object
	where string // the endpoint and backend, for findings

	endpointMethod string
	urlPattern     string
	method         string // of the backend request: the backend's, else the endpoint's
	methodOrigin   string

	// Headers reach the plugin when the endpoint forwards them
	// (input_headers; Content-Type only when none is listed, all for "*").
	headers    []string // canonical
	allHeaders bool
	// Query parameters reach it when the endpoint forwards them
	// (input_query_strings; none by default, all for "*"), and the backend's
	// own list, when it has one, keeps them; url_pattern's own query always
	// does.
	endpointQuery, backendQuery []string
	patternQuery                url.Values

	// noOp: both the endpoint's output_encoding and the backend's encoding
	// are no-op, so statuses and headers pass through untouched.
	noOp                     bool
	outputEncoding, encoding string
	returnsErrorCode         bool
	timeout                  time.Duration
	timeoutOrigin            string
}

// Headers Lura sets on every backend request, whatever input_headers says.
var alwaysForwarded = []string{"X-Forwarded-For", "X-Forwarded-Host", "User-Agent"}

// defaultTimeout is Lura's endpoint timeout when none is configured.
const defaultTimeout = 2 * time.Second

func newBackend(ep, be map[string]any, rootTimeout string) *backend {
	b := &backend{
		endpointMethod: endpointMethod(ep),
		outputEncoding: stringField(ep, "output_encoding"),
		encoding:       stringField(be, "encoding"),
		urlPattern:     stringField(be, "url_pattern"),
	}
	b.method, b.methodOrigin = b.endpointMethod, "the endpoint's method"
	if m := strings.ToUpper(stringField(be, "method")); m != "" {
		b.method, b.methodOrigin = m, "the backend's method"
	}

	for _, h := range stringList(ep["input_headers"]) {
		if h == "*" {
			b.allHeaders = true
		}
		b.headers = append(b.headers, rules.CanonicalHeader(h))
	}
	b.endpointQuery = stringList(ep["input_query_strings"])
	b.backendQuery = stringList(be["input_query_strings"])
	if pattern := stringField(be, "url_pattern"); strings.Contains(pattern, "?") {
		b.patternQuery, _ = url.ParseQuery(pattern[strings.IndexByte(pattern, '?')+1:])
	}

	b.noOp = b.outputEncoding == "no-op" && b.encoding == "no-op"
	if extra, ok := be["extra_config"].(map[string]any); ok {
		if httpOpts, ok := extra["backend/http"].(map[string]any); ok {
			b.returnsErrorCode = httpOpts["return_error_code"] == true
		}
	}

	b.timeout, b.timeoutOrigin = defaultTimeout, "2s, KrakenD's default"
	for _, t := range []struct{ value, origin string }{
		{rootTimeout, "set at the root"}, {stringField(ep, "timeout"), "set on the endpoint"},
	} {
		if d, err := parseDuration(t.value); err == nil && d > 0 {
			b.timeout, b.timeoutOrigin = d, t.value+", "+t.origin
		}
	}
	return b
}

// endpointMethod is the endpoint's method, GET by default.
func endpointMethod(ep map[string]any) string {
	if m := strings.ToUpper(stringField(ep, "method")); m != "" {
		return m
	}
	return http.MethodGet
}

func (b *backend) forwardsHeader(name string) bool {
	name = rules.CanonicalHeader(name)
	if b.allHeaders || slices.Contains(alwaysForwarded, name) {
		return true
	}
	if len(b.headers) == 0 {
		return name == "Content-Type"
	}
	return slices.Contains(b.headers, name)
}

func (b *backend) inputHeaders() string {
	if len(b.headers) == 0 {
		return "none, so only Content-Type"
	}
	return strings.Join(b.headers, ", ")
}

// dropsQuery says why the query parameter never reaches the plugin, or "".
func (b *backend) dropsQuery(name string) string {
	if _, ok := b.patternQuery[name]; ok {
		return ""
	}
	if !slices.Contains(b.endpointQuery, "*") && !slices.Contains(b.endpointQuery, name) {
		list := strings.Join(b.endpointQuery, ", ")
		if list == "" {
			list = "none"
		}
		return fmt.Sprintf("the endpoint does not forward the query parameter %s (input_query_strings: %s; names are case-sensitive)", name, list)
	}
	if len(b.backendQuery) > 0 && !slices.Contains(b.backendQuery, "*") && !slices.Contains(b.backendQuery, name) {
		return fmt.Sprintf("the backend's input_query_strings (%s) drop the query parameter %s", strings.Join(b.backendQuery, ", "), name)
	}
	return ""
}

// dropsQueryObject says why the parameters name[…] never reach the plugin:
// Lura forwards only the names listed, so such an object needs "*" or its
// keys listed one by one.
func (b *backend) dropsQueryObject(name string) string {
	listed := func(names []string) bool {
		return slices.ContainsFunc(names, func(n string) bool { return n == "*" || strings.HasPrefix(n, name+"[") })
	}
	if !listed(b.endpointQuery) {
		list := strings.Join(b.endpointQuery, ", ")
		if list == "" {
			list = "none"
		}
		return fmt.Sprintf(`the endpoint forwards no query parameter %s[…] (input_query_strings: %s): list its keys or "*"`, name, list)
	}
	if len(b.backendQuery) > 0 && !listed(b.backendQuery) {
		return fmt.Sprintf("the backend's input_query_strings (%s) drop the query parameters %s[…]", strings.Join(b.backendQuery, ", "), name)
	}
	return ""
}

// notNoOp explains why statuses and headers are hidden.
func (b *backend) notNoOp() string {
	return fmt.Sprintf(`the endpoint is not no-op (output_encoding %s, backend encoding %s), so KrakenD keeps only the body: set "output_encoding": "no-op" on the endpoint and "encoding": "no-op" on the backend`,
		orDefault(b.outputEncoding), orDefault(b.encoding))
}

func orDefault(s string) string {
	if s == "" {
		return "not set"
	}
	return strconv.Quote(s)
}

// parseDuration reads KrakenD's durations ("2s", "1500ms").
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("no duration")
	}
	return time.ParseDuration(s)
}

func stringField(obj map[string]any, name string) string {
	s, _ := obj[name].(string)
	return s
}

func stringList(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, el := range list {
		if s, ok := el.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(strings.TrimSpace(v), s) {
			return true
		}
	}
	return false
}
