package rules

import (
	"net/netip"
	"reflect"
	"strconv"
	"strings"
)

// Warning is something in a valid configuration that cannot work as
// written, such as a rule that can never apply. The configuration loads;
// the warning is logged at load and reported by the linter.
type Warning struct {
	// Location is where the problem is, as in ConfigError.
	Location string
	// Problem says what is wrong.
	Problem string
}

func (w Warning) String() string {
	if w.Location == "" {
		return w.Problem
	}
	return w.Location + ": " + w.Problem
}

// unreachableRules reports the rules that can never apply: a rule before
// them applies to every request they match, so first-match order never
// reaches them. The test is sound but not complete — it never reports a
// rule that can apply, and may miss one that cannot: an earlier rule covers
// a later one when it always applies (no probability below 1, no active
// window) and each of its conditions is also one of the later rule's, or
// is wider than it (a method set that contains the later one's, a path glob
// that matches the later literal path, "/prefix/**" before a pattern that
// starts with "/prefix/"...). Rules that failed to decode are skipped.
func unreachableRules(all []Rule, locs, names []string) []Warning {
	var out []Warning
	for j := range all {
		if all[j].undecodable {
			continue
		}
		if all[j].Probability != nil && *all[j].Probability == 0 {
			out = append(out, Warning{locs[j], "never applies: its probability is 0"})
			continue
		}
		for i := 0; i < j; i++ {
			if covers(&all[i], &all[j]) {
				why := "applies to every request this one matches"
				if isEmptyMatch(all[i].Match) {
					why = "has no conditions: it applies to every request"
				}
				out = append(out, Warning{locs[j], "never applies: rule " + strconv.Quote(names[i]) +
					" (" + locs[i] + ") comes first and " + why})
				break
			}
		}
	}
	return out
}

// covers reports whether the earlier rule e surely applies to every request
// the later rule l matches.
func covers(e, l *Rule) bool {
	if e.undecodable || e.Active != nil || (e.Probability != nil && *e.Probability < 1) {
		return false
	}
	if isEmptyMatch(e.Match) {
		return true
	}
	if l.Match == nil {
		return false
	}
	return matchCovers(e.Match, l.Match)
}

func isEmptyMatch(m *Match) bool {
	return m == nil || reflect.DeepEqual(*m, Match{})
}

// matchCovers reports whether every request that satisfies l satisfies e:
// each condition e sets is implied by a condition of l.
func matchCovers(e, l *Match) bool {
	if e.Path != "" && !pathCovers(e.Path, l.Path) {
		return false
	}
	if len(e.Methods) > 0 && !methodsCover(e.Methods, l.Methods) {
		return false
	}
	if !sameConditions(e.Headers, l.Headers, canonicalHeader) ||
		!sameConditions(e.Query, l.Query, nil) ||
		!sameConditions(e.Cookies, l.Cookies, nil) ||
		!sameConditions(e.Body, l.Body, nil) {
		return false
	}
	if e.Host != "" && e.Host != l.Host {
		return false
	}
	if len(e.RemoteIP) > 0 && !rangesCover(e.RemoteIP, l.RemoteIP) {
		return false
	}
	if e.HasBodyJSON && !(l.HasBodyJSON && reflect.DeepEqual(e.BodyJSON, l.BodyJSON) &&
		(e.IgnoreArrayOrder || !l.IgnoreArrayOrder)) {
		return false
	}
	if len(e.Any) > 0 && !reflect.DeepEqual(e.Any, l.Any) && !someAlternativeCovers(e.Any, l) {
		return false
	}
	if e.Not != nil && (l.Not == nil || !reflect.DeepEqual(*e.Not, *l.Not)) {
		return false
	}
	return true
}

// someAlternativeCovers: when l's own conditions imply one alternative of
// e's any, they imply the any.
func someAlternativeCovers(alternatives []Match, l *Match) bool {
	for i := range alternatives {
		if matchCovers(&alternatives[i], l) {
			return true
		}
	}
	return false
}

// sameConditions reports whether every key -> pattern of e is also in l,
// with the same pattern; canon, if set, normalises keys (header names).
func sameConditions(e, l map[string]string, canon func(string) string) bool {
	if len(e) == 0 {
		return true
	}
	if canon == nil {
		canon = func(s string) string { return s }
	}
	normalised := make(map[string]string, len(l))
	for k, v := range l {
		normalised[canon(k)] = v
	}
	for k, v := range e {
		if lv, ok := normalised[canon(k)]; !ok || lv != v {
			return false
		}
	}
	return true
}

func methodsCover(e, l []string) bool {
	if len(l) == 0 {
		return false
	}
	for _, m := range l {
		found := false
		for _, em := range e {
			if strings.EqualFold(strings.TrimSpace(em), strings.TrimSpace(m)) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// rangesCover reports whether every range of l lies inside a range of e.
func rangesCover(e, l []string) bool {
	if len(l) == 0 {
		return false
	}
	var outer []netip.Prefix
	for _, s := range e {
		p, err := parsePrefix(s)
		if err != nil {
			return false
		}
		outer = append(outer, p)
	}
	for _, s := range l {
		p, err := parsePrefix(s)
		if err != nil {
			return false
		}
		inside := false
		for _, o := range outer {
			if o.Bits() <= p.Bits() && o.Contains(p.Addr()) {
				inside = true
				break
			}
		}
		if !inside {
			return false
		}
	}
	return true
}

// pathCovers reports whether every path that the pattern l accepts is
// accepted by the pattern e.
func pathCovers(e, l string) bool {
	if e == l {
		return true
	}
	if strings.HasPrefix(e, "!") || strings.HasPrefix(e, "~") {
		return false
	}
	// Every backend request path starts with "/", and "/**" accepts all of
	// them, whatever l is.
	if e == "/**" || e == "**" {
		return true
	}
	if l == "" || strings.HasPrefix(l, "!") || strings.HasPrefix(l, "~") {
		return false
	}
	if lit, whole := literalPrefix(l); whole {
		p, err := compilePattern(pathGlobs, e)
		return err == nil && p.match(lit)
	}
	// "/orders/**" accepts any path that starts with "/orders/", so it
	// covers every pattern whose literal start does.
	if prefix, ok := strings.CutSuffix(e, "**"); ok {
		if _, whole := literalPrefix(prefix); whole {
			lit, _ := literalPrefix(l)
			return strings.HasPrefix(lit, prefix)
		}
	}
	return false
}

// literalPrefix returns the part of a glob before its first special
// character, and whether that is the whole glob.
func literalPrefix(glob string) (string, bool) {
	i := strings.IndexAny(glob, `*?[]{}\`)
	if i < 0 {
		return glob, true
	}
	return glob[:i], false
}
