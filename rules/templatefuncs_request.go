package rules

import (
	"maps"
	"net/url"
	"slices"
	"strings"
)

// Request helpers: the host the client called, cookies, query parameters
// as nested objects, a body value with a default. Each says what it reads
// (TemplateUse), for the linter.

func init() {
	addHelpers(map[string]helperSpec{
		"hostname": {fn: func(b *boundTemplates, _ []any) (any, error) { return hostname(b), nil }, s0: hostname, min: 0, max: 0, reads: readsForwardedHost},
		"port":     {fn: func(b *boundTemplates, _ []any) (any, error) { return port(b), nil }, s0: port, min: 0, max: 0, reads: readsForwardedHost},
		"cookie":   {fn: cookie, min: 1, max: 1, reads: readsCookie},
		"queryObject": {fn: queryObject, min: 1, max: 1, reads: func(name string, literal bool, r *RequestReads) {
			if literal {
				r.QueryObjects = append(r.QueryObjects, name)
			}
		}},
		"bodyOr": {fn: bodyOr, min: 2, max: 2},
	})
}

// readsCookie: a cookie is read from the Cookie header, whatever its name.
func readsCookie(name string, literal bool, r *RequestReads) {
	r.Headers = append(r.Headers, "Cookie")
	if literal {
		r.Cookies = append(r.Cookies, name)
	}
}

func hostname(b *boundTemplates) string { h, _ := requestHost(b.x); return h }

func port(b *boundTemplates) string { _, p := requestHost(b.x); return p }

func readsForwardedHost(_ string, _ bool, r *RequestReads) {
	r.Headers = append(r.Headers, "X-Forwarded-Host")
}

// requestHost is the host the client called: X-Forwarded-Host, which
// KrakenD always sets to the Host of the client's request (the first of a
// list, should another host have made one), or else the request URL's host; split into its name
// (without the brackets of an IPv6 address) and its port ("" when none).
func requestHost(x *exchange) (name, port string) {
	host := x.req.URL.Host
	if v := x.req.Header["X-Forwarded-Host"]; len(v) > 0 && v[0] != "" {
		host, _, _ = strings.Cut(v[0], ",")
		host = strings.TrimSpace(host)
	}
	u := url.URL{Host: host}
	return validUTF8(u.Hostname()), validUTF8(u.Port())
}

// cookie NAME is the value of the first cookie of that name, or "".
func cookie(b *boundTemplates, a []any) (any, error) {
	name := toString(a[0])
	for _, line := range b.x.req.Header["Cookie"] {
		for part := range strings.SplitSeq(line, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && k == name {
				if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
					v = v[1 : len(v)-1]
				}
				return validUTF8(v), nil
			}
		}
	}
	return "", nil
}

// maxQueryDepth bounds the nesting queryObject builds.
const maxQueryDepth = 8

// queryObject NAME builds an object from the query parameters NAME[a]=1,
// NAME[b][c]=2 and NAME[l][]=x: {"a":"1","b":{"c":"2"},"l":["x"]}. A key
// given more than once, or ending in [], gives a list.
func queryObject(b *boundTemplates, a []any) (any, error) {
	name := toString(a[0])
	root := map[string]any{}
	q := b.x.query()
	// In key order, so that "a[b]=1&a[b][c]=2" always gives the same.
	for _, key := range slices.Sorted(maps.Keys(q)) {
		values := q[key]
		rest, ok := strings.CutPrefix(key, name)
		if !ok || !strings.HasPrefix(rest, "[") {
			continue
		}
		path, list, ok := bracketPath(rest)
		if !ok {
			continue
		}
		m := root
		for i, k := range path {
			if i == len(path)-1 {
				switch {
				case list || len(values) > 1:
					m[k] = validStrings(values)
				default:
					m[k] = validUTF8(values[0])
				}
				break
			}
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
	}
	return root, nil
}

// bracketPath splits "[a][b][]" into a, b and whether it ends in [].
func bracketPath(s string) (path []string, list, ok bool) {
	for s != "" {
		if s[0] != '[' {
			return nil, false, false
		}
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return nil, false, false
		}
		k := s[1:end]
		s = s[end+1:]
		if k == "" {
			if s != "" {
				return nil, false, false
			}
			list = true
			break
		}
		if len(path) == maxQueryDepth {
			return nil, false, false
		}
		path = append(path, validUTF8(k))
	}
	return path, list, len(path) > 0
}

func validStrings(values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = validUTF8(v)
	}
	return out
}

// bodyOr PATH DEFAULT is the value at a gjson path of the JSON request
// body when it exists (even empty), else DEFAULT.
func bodyOr(b *boundTemplates, a []any) (any, error) {
	res, ok := b.x.body.get(toString(a[0]))
	if !ok || !res.Exists() {
		return a[1], nil
	}
	return validUTF8(res.String()), nil
}
