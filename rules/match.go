package rules

import (
	"fmt"
	"krakend-rules/config"
	"net/netip"
	"strings"

	"github.com/gobwas/glob"
)

// compileMatch turns a config.Match into conditions, cheapest first, so that a rule
// that cannot match is usually rejected without parsing the query or
// reading the body. needs tells which kinds of body the conditions read,
// nested ones included. Every condition on a header, a query
// parameter, a cookie or the body is also recorded in reads, with its
// location, for the linter.
func compileMatch(errs *config.Errors, loc config.Path, m *config.Match, reads *[]ConditionRead, shared conditionCache) (conds []condition, needs bodyNeeds) {
	// patterns compiles the conditions of one kind; identical ones (the
	// same name and pattern) are shared between the set's rules (shared.go).
	patterns := func(c glob.Compiler, where string, src map[string]string, build func(name string, p pattern) condition) {
		for _, name := range config.SortedKeys(src) {
			p, err := compilePattern(c, src[name])
			if err != nil {
				errs.Add(loc.Field(where).Key(name), "%v", err)
			}
			*reads = append(*reads, ConditionRead{Location: config.Location{At: loc.Field(where).Key(name)}, Of: where, Name: name})
			cond := build(name, p)
			if err == nil {
				cond = shared.share(where+"\x00"+name+"\x00"+src[name], cond)
			}
			conds = append(conds, cond)
		}
	}
	single := func(c glob.Compiler, where, src string) pattern {
		p, err := compilePattern(c, src)
		if err != nil {
			errs.Add(loc.Field(where), "%v", err)
		}
		return p
	}

	if len(m.Methods) > 0 {
		methods := make(methodCondition, 0, len(m.Methods))
		for _, method := range m.Methods {
			methods = append(methods, strings.ToUpper(strings.TrimSpace(method)))
		}
		conds = append(conds, shared.methods(methods))
	}
	if m.Path != "" {
		conds = append(conds, &pathCondition{single(pathGlobs, "path", m.Path)})
	}
	if m.Host != "" {
		conds = append(conds, hostCondition{single(valueGlobs, "host", m.Host)})
	}
	if len(m.RemoteIP) > 0 {
		var ranges remoteIPCondition
		for i, s := range m.RemoteIP {
			p, err := parsePrefix(s)
			if err != nil {
				errs.Add(loc.Field("remote_ip").Index(i), "%v", err)
				continue
			}
			ranges = append(ranges, p)
		}
		conds = append(conds, ranges)
	}
	patterns(valueGlobs, "headers", m.Headers, func(name string, p pattern) condition {
		return headerCondition{name: headerName(errs, loc.Field("headers").Key(name), name), pattern: p}
	})
	patterns(valueGlobs, "query", m.Query, func(name string, p pattern) condition {
		return queryCondition{name: name, pattern: p}
	})
	patterns(valueGlobs, "cookies", m.Cookies, func(name string, p pattern) condition {
		return cookieCondition{name: name, pattern: p}
	})
	if len(m.Any) > 0 {
		var alternatives anyCondition
		for i := range m.Any {
			sub, body := compileMatch(errs, loc.Field("any").Index(i), &m.Any[i], reads, shared)
			alternatives = append(alternatives, sub)
			needs |= body
		}
		conds = append(conds, alternatives)
	}
	if m.Not != nil {
		sub, body := compileMatch(errs, loc.Field("not"), m.Not, reads, shared)
		conds = append(conds, notCondition(sub))
		needs |= body
	}
	patterns(valueGlobs, "body", m.Body, func(path string, p pattern) condition {
		if path == "" {
			errs.Add(loc.Field("body").Key(path), "a body condition needs a gjson path")
		}
		needs |= needsJSON
		return bodyCondition{path: path, pattern: p}
	})
	if m.HasBodyJSON {
		*reads = append(*reads, ConditionRead{Location: config.Location{At: loc.Field("body_json")}, Of: "body_json"})
		conds = append(conds, bodyJSONCondition{expected: m.BodyJSON, mode: bodyJSONMode(m)})
		needs |= needsJSON
	}
	needs |= compileBodyKinds(errs, loc, m, reads, &conds)
	return conds, needs
}

// ConditionRead is a condition of a compiled rule on a part of the request
// the endpoint must forward: Of is "headers", "query", "cookies", "body",
// "body_json", "body_text", "form", "multipart", "xpath" or "body_xml", Name
// the header, parameter, cookie, gjson path, field, part or XPath.
type ConditionRead struct {
	config.Location
	Of   string
	Name string
}

// parsePrefix accepts a CIDR range or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return p, fmt.Errorf("bad CIDR range %q", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad address %q (want an IP address or a CIDR range)", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
