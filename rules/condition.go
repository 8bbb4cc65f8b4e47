package rules

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/tidwall/gjson"
)

// A condition is one compiled test of a rule's match. Conditions only
// evaluate: everything they need was prepared at load.
type condition interface {
	holds(x *exchange) bool
}

// methodCondition holds for any of its methods (upper-cased at load).
type methodCondition []string

func (c methodCondition) holds(x *exchange) bool {
	for _, m := range c {
		if strings.EqualFold(m, x.req.Method) {
			return true
		}
	}
	return false
}

// pathCondition is a glob on the backend request's path.
type pathCondition struct{ pattern }

func (c pathCondition) holds(x *exchange) bool { return c.matchOne(x.req.URL.Path) }

// headerCondition is a glob on the values of one header; name is canonical.
type headerCondition struct {
	name string
	pattern
}

func (c headerCondition) holds(x *exchange) bool {
	return c.matchAny(x.req.Header[c.name])
}

// queryCondition is a glob on the values of one query parameter.
type queryCondition struct {
	name string
	pattern
}

func (c queryCondition) holds(x *exchange) bool { return c.matchAny(x.query()[c.name]) }

// bodyCondition is a glob on the value(s) a gjson path selects in the JSON
// body. A body that cannot be evaluated fails the condition, negated or not,
// so an unreadable body can never select a rule.
type bodyCondition struct {
	path string
	pattern
}

func (c bodyCondition) holds(x *exchange) bool {
	res, ok := x.body.get(c.path)
	if !ok {
		return false
	}
	if !res.Exists() {
		return c.negate
	}
	if !res.IsArray() {
		return c.matchOne(res.String())
	}
	matched := false
	res.ForEach(func(_, el gjson.Result) bool {
		matched = c.match(el.String())
		return !matched
	})
	return matched != c.negate
}

// cookieCondition is a pattern on the values of one cookie of the Cookie
// header(s).
type cookieCondition struct {
	name string
	pattern
}

func (c cookieCondition) holds(x *exchange) bool {
	return c.matchAny(x.cookie(c.name))
}

// hostCondition is a pattern on the host the client asked for: the first
// X-Forwarded-Host (which Lura sets), else the request URL's host; no port.
type hostCondition struct{ pattern }

func (c hostCondition) holds(x *exchange) bool { return c.matchOne(clientHost(x.req)) }

func clientHost(req *http.Request) string {
	host := req.URL.Host
	if fwd := req.Header["X-Forwarded-Host"]; len(fwd) > 0 {
		host, _, _ = strings.Cut(fwd[0], ",")
		host = strings.TrimSpace(host)
	}
	return stripPort(host)
}

// stripPort removes a ":port" from a host, minding IPv6 brackets.
func stripPort(host string) string {
	if strings.HasPrefix(host, "[") {
		if end := strings.IndexByte(host, ']'); end > 0 {
			return host[1:end]
		}
		return host
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && strings.IndexByte(host, ':') == i {
		return host[:i]
	}
	return host
}

// remoteIPCondition holds when the first address of X-Forwarded-For, which
// Lura sets from the router's idea of the client address, is in one of the
// ranges.
type remoteIPCondition []netip.Prefix

func (c remoteIPCondition) holds(x *exchange) bool {
	fwd := x.req.Header["X-Forwarded-For"]
	if len(fwd) == 0 {
		return false
	}
	first, _, _ := strings.Cut(fwd[0], ",")
	addr, err := netip.ParseAddr(strings.TrimSpace(first))
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range c {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// anyCondition holds when one of its matches holds.
type anyCondition [][]condition

func (c anyCondition) holds(x *exchange) bool {
	for _, m := range c {
		if allHold(m, x) {
			return true
		}
	}
	return false
}

// notCondition holds when its match does not.
type notCondition []condition

func (c notCondition) holds(x *exchange) bool { return !allHold(c, x) }

func allHold(conds []condition, x *exchange) bool {
	for _, c := range conds {
		if !c.holds(x) {
			return false
		}
	}
	return true
}

// bodyJSONCondition holds when the JSON body contains the expected value:
// objects may have more fields, arrays must have the same length.
type bodyJSONCondition struct {
	expected    any
	ignoreOrder bool
}

func (c bodyJSONCondition) holds(x *exchange) bool {
	actual, ok := x.bodyValue()
	return ok && containsJSON(actual, c.expected, c.ignoreOrder)
}

// containsJSON reports whether actual contains expected: equal scalars,
// objects with at least the expected fields, arrays of the same length whose
// elements contain the expected ones, in order or, ignoring order, each
// expected element in a distinct actual one.
func containsJSON(actual, expected any, ignoreOrder bool) bool {
	switch want := expected.(type) {
	case map[string]any:
		got, ok := actual.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range want {
			g, ok := got[k]
			if !ok || !containsJSON(g, v, ignoreOrder) {
				return false
			}
		}
		return true
	case []any:
		got, ok := actual.([]any)
		if !ok || len(got) != len(want) {
			return false
		}
		if !ignoreOrder {
			for i := range want {
				if !containsJSON(got[i], want[i], ignoreOrder) {
					return false
				}
			}
			return true
		}
		return assignElements(got, want, make([]bool, len(got)), 0)
	default:
		return actual == expected // strings, float64, bool and nil compare by value
	}
}

// assignElements finds distinct actual elements for want[i:], backtracking:
// a greedy choice could take an element a later expected one needed.
func assignElements(got, want []any, used []bool, i int) bool {
	if i == len(want) {
		return true
	}
	for j := range got {
		if !used[j] && containsJSON(got[j], want[i], true) {
			used[j] = true
			if assignElements(got, want, used, i+1) {
				return true
			}
			used[j] = false
		}
	}
	return false
}

// canonicalHeader is how header conditions look names up: the request's
// header map is keyed by canonical names, so one map index is enough.
func canonicalHeader(name string) string { return http.CanonicalHeaderKey(name) }
