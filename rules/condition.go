package rules

import (
	"krakend-rules/config"
	"net/http"
	"net/netip"
	"strings"

	"github.com/tidwall/gjson"
)

// A condition is one compiled test of a rule's match. Conditions only
// evaluate: everything they need was prepared at load.
// Each kind also explains itself to Engine.Explain with one method
// (explainer, in explain.go).
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

func (c *pathCondition) holds(x *exchange) bool { return c.matchOne(x.req.URL.Path) }

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
// objects may have more fields (unless jsonExact), arrays must have the
// same length.
type bodyJSONCondition struct {
	expected any
	mode     jsonMode
}

// jsonMode says how body_json compares: jsonAnyOrder (ignore_array_order),
// jsonExact (ignore_extra_fields false).
type jsonMode uint8

const (
	jsonAnyOrder jsonMode = 1 << iota
	jsonExact
)

// bodyJSONMode is the mode a match asks for.
func bodyJSONMode(m *config.Match) jsonMode {
	var mode jsonMode
	if m.IgnoreArrayOrder {
		mode |= jsonAnyOrder
	}
	if m.IgnoreExtraFields != nil && !*m.IgnoreExtraFields {
		mode |= jsonExact
	}
	return mode
}

func (c bodyJSONCondition) holds(x *exchange) bool {
	doc, ok := x.body.document()
	return ok && containsJSON(doc, c.expected, c.mode)
}

// containsJSON reports whether actual contains expected: equal scalars,
// objects with at least the expected fields (jsonExact: exactly them), arrays of the same length whose
// elements contain the expected ones, in order or, ignoring order, each
// expected element in a distinct actual one.
//
// It walks the body where it lies, with gjson, instead of decoding it: a
// decoded body costs many times its size in memory, and a client chooses
// its size and shape. Each step is led by the expected value, which comes
// from the configuration, so the recursion is as deep as the configuration
// and each byte of the body is visited a bounded number of times. Where an
// object repeats a key, its last value counts, as a JSON decoder keeps it.
// jsonExact adds one pass over each compared object: every member's name
// must be an expected one (a map index, no copy unless the name has escapes).
func containsJSON(actual gjson.Result, expected any, mode jsonMode) bool {
	switch want := expected.(type) {
	case map[string]any:
		if !actual.IsObject() {
			return false
		}
		for k, v := range want {
			got, found := lastMember(actual, k)
			if !found || !containsJSON(got, v, mode) {
				return false
			}
		}
		return mode&jsonExact == 0 || onlyMembers(actual, want)
	case []any:
		if !actual.IsArray() {
			return false
		}
		if mode&jsonAnyOrder != 0 {
			return containsAnyOrder(actual, want, mode)
		}
		n, ok := 0, true
		actual.ForEach(func(_, el gjson.Result) bool {
			ok = n < len(want) && containsJSON(el, want[n], mode)
			n++
			return ok
		})
		return ok && n == len(want)
	case string:
		return actual.Type == gjson.String && actual.Str == want
	case float64:
		return actual.Type == gjson.Number && actual.Num == want
	case bool:
		return actual.Type == gjson.True && want || actual.Type == gjson.False && !want
	case nil:
		return actual.Type == gjson.Null
	}
	return false
}

// onlyMembers reports whether every member of the object is named in want.
func onlyMembers(object gjson.Result, want map[string]any) bool {
	ok := true
	object.ForEach(func(key, _ gjson.Result) bool {
		name := key.Raw
		if len(name) >= 2 && strings.IndexByte(name, '\\') < 0 {
			name = name[1 : len(name)-1]
		} else {
			name = key.String()
		}
		_, ok = want[name]
		return ok
	})
	return ok
}

// lastMember returns the value of an object's member named k (its last
// one, when the name repeats).
func lastMember(object gjson.Result, k string) (value gjson.Result, found bool) {
	object.ForEach(func(key, v gjson.Result) bool {
		if memberNamed(key, k) {
			value, found = v, true
		}
		return true
	})
	return value, found
}

// memberNamed compares a member's name with k, decoding it only when it
// has escapes.
func memberNamed(key gjson.Result, k string) bool {
	raw := key.Raw
	if len(raw) >= 2 && strings.IndexByte(raw, '\\') < 0 {
		return raw[1:len(raw)-1] == k
	}
	return key.String() == k
}

// containsAnyOrder reports whether the array's elements can be paired with
// the expected ones, each expected element contained in a distinct actual
// one: a maximum bipartite matching (augmenting paths), polynomial in the
// expected array's length, where trying every assignment would be
// factorial.
func containsAnyOrder(actual gjson.Result, want []any, mode jsonMode) bool {
	got := make([]gjson.Result, 0, len(want))
	tooMany := false
	actual.ForEach(func(_, el gjson.Result) bool {
		if len(got) == len(want) {
			tooMany = true
			return false
		}
		got = append(got, el)
		return true
	})
	if tooMany || len(got) != len(want) {
		return false
	}
	n := len(want)
	fits := make([]bool, n*n) // fits[i*n+j]: got[j] contains want[i]
	for i := range want {
		for j := range got {
			fits[i*n+j] = containsJSON(got[j], want[i], mode)
		}
	}
	owner := make([]int, n) // owner[j]: the expected element got[j] is paired with, or -1
	for j := range owner {
		owner[j] = -1
	}
	seen := make([]bool, n)
	var augment func(i int) bool
	augment = func(i int) bool {
		for j := range n {
			if fits[i*n+j] && !seen[j] {
				seen[j] = true
				if owner[j] < 0 || augment(owner[j]) {
					owner[j] = i
					return true
				}
			}
		}
		return false
	}
	for i := range want {
		clear(seen)
		if !augment(i) {
			return false
		}
	}
	return true
}

// CanonicalHeader is the one normalisation of header names, the engine's
// and the linter's: the request's header map is keyed by canonical names,
// so one map index is enough. Names are not trimmed: a name with a space
// is a configuration error (headerName), and one in the endpoint's
// input_headers is not forwarded under the trimmed name either.
func CanonicalHeader(name string) string { return http.CanonicalHeaderKey(name) }

// headerName checks a configured header name and returns its canonical
// form. A name that is not an HTTP token (RFC 9110, section 5.1) — with a
// space, say, as in " X-Tenant" — could never match a request's header nor
// be sent, so it is a configuration error rather than something to trim.
func headerName(errs *config.Errors, loc config.Path, name string) string {
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			errs.Add(loc, "is not a valid header name: byte %d is %q (a header name is a token: letters, digits and !#$%%&'*+-.^_`|~)", i, name[i])
			return name
		}
	}
	if name == "" {
		errs.Add(loc, "is not a valid header name: it is empty")
	}
	return CanonicalHeader(name)
}

func isTokenChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
