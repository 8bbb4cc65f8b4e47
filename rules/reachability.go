package rules

import (
	"fmt"
	"krakend-rules/config"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
)

// Warning is something in a valid configuration that cannot work as
// written, such as a rule that can never apply. The configuration loads;
// the warning is logged at load and reported by the linter.
type Warning struct {
	// Location is where the problem is, as in a configuration error.
	config.Location
	// Problem says what is wrong.
	Problem string
}

func (w Warning) String() string {
	if loc := w.Location.String(); loc != "" {
		return loc + ": " + w.Problem
	}
	return w.Problem
}

// maxCoverChecks bounds the comparisons of rule pairs that
// unreachableRules makes, so that a very large rule list whose rules share
// their paths still loads quickly: past it the rest of the rules are not
// checked (and a warning says so).
const maxCoverChecks = 1_000_000

// unreachableRules reports the rules that can never apply: a rule before
// them applies to every request they match, so first-match order never
// reaches them. The test is sound but not complete — it never reports a
// rule that can apply, and may miss one that cannot: an earlier rule covers
// a later one when it always applies (no probability below 1, no active
// window) and each of its conditions is also one of the later rule's, or
// is wider than it (a method set that contains the later one's, a path glob
// that matches the later literal path, "/prefix/**" before a pattern that
// starts with "/prefix/"...). Rules that failed to decode are skipped.
//
// Only the earlier rules whose path can cover the later one's are compared
// with it — those with no path, the same path, or a glob whose literal
// start begins the later path's — so a list of rules on distinct paths
// costs about one map lookup per character of each path.
func unreachableRules(all []config.Rule, drafts []ruleDraft, locs []config.Location) []Warning {
	var out []Warning
	shapes := make([]ruleShape, len(all))
	var pathless []int             // candidates for every rule: no path, or "/**"
	byPath := map[string][]int{}   // candidates for a rule with this very path
	byPrefix := map[string][]int{} // globs by their literal start
	checks := 0
	for j := range all {
		l := newRuleShape(&all[j], &drafts[j])
		shapes[j] = l
		if all[j].Undecodable {
			continue
		}
		if all[j].Probability != nil && *all[j].Probability == 0 {
			out = append(out, Warning{locs[j], "never applies: its probability is 0"})
			continue
		}

		// The earliest earlier rule that covers this one, among the
		// candidates; each list is in configured order.
		first := -1
		try := func(candidates []int) bool {
			for _, i := range candidates {
				if first >= 0 && i >= first {
					return true
				}
				if checks++; checks > maxCoverChecks {
					return false
				}
				if covers(&shapes[i], &l) {
					first = i
					return true
				}
			}
			return true
		}
		complete := try(pathless)
		switch l.path {
		case noPath:
		case globPath, literalPath:
			for k := 0; complete && k <= len(l.prefix); k++ {
				complete = try(byPrefix[l.prefix[:k]])
			}
			fallthrough
		default:
			complete = complete && try(byPath[l.rule.Match.Path])
		}
		if !complete {
			out = append(out, Warning{locs[j], fmt.Sprintf("this rule and the %d after it were not checked for rules that never apply: more than %d comparisons of rules that could pre-empt one another", len(all)-j-1, maxCoverChecks)})
			return out
		}
		if first >= 0 {
			why := "applies to every request this one matches"
			if shapes[first].empty {
				why = "has no conditions: it applies to every request"
			}
			out = append(out, Warning{locs[j], "never applies: rule " + strconv.Quote(drafts[first].name) +
				" (" + locs[first].String() + ") comes first and " + why})
		}

		if !l.certain {
			continue // it applies to some requests only: it covers nothing
		}
		switch l.path {
		case noPath, anyPath:
			pathless = append(pathless, j)
		case globPath:
			// The prefix walk finds it for an identical glob too; no other
			// path equals a glob's text.
			byPrefix[l.prefix] = append(byPrefix[l.prefix], j)
		default:
			byPath[l.rule.Match.Path] = append(byPath[l.rule.Match.Path], j)
		}
	}
	return out
}

// ruleShape is what unreachableRules compares of a rule, prepared once.
type ruleShape struct {
	rule    *config.Rule
	empty   bool // no conditions at all
	certain bool // always active, probability 1: it applies whenever it matches
	path    pathKind
	prefix  string   // the literal start of a glob path; the whole literal path
	glob    *pattern // the compiled path pattern, when there is one
}

type pathKind int

const (
	noPath      pathKind = iota
	anyPath              // "/**": every backend path
	globPath             // a glob with special characters
	literalPath          // a glob without any: one path
	otherPath            // a regexp or a negated pattern
)

func newRuleShape(rc *config.Rule, r *ruleDraft) ruleShape {
	s := ruleShape{
		rule:  rc,
		empty: isEmptyMatch(rc.Match),
		certain: rc.Active == nil && (rc.Probability == nil || *rc.Probability >= 1) &&
			rc.Scenario == nil && rc.CRUD == nil, // state.go: a scenario's state, a crud rule's own paths
	}
	if rc.Match == nil || rc.Match.Path == "" {
		return s
	}
	for _, c := range r.conditions {
		if pc, ok := c.(*pathCondition); ok {
			s.glob = &pc.pattern
		}
	}
	p := rc.Match.Path
	switch lit, whole := literalPrefix(p); {
	case p == "/**" || p == "**":
		s.path = anyPath
	case strings.HasPrefix(p, "!") || strings.HasPrefix(p, "~"):
		s.path = otherPath
	case whole:
		s.path, s.prefix = literalPath, lit
	default:
		s.path, s.prefix = globPath, lit
	}
	return s
}

// covers reports whether the earlier rule e surely applies to every request
// the later rule l matches.
func covers(e, l *ruleShape) bool {
	if !e.certain {
		return false
	}
	if e.empty {
		return true
	}
	if l.rule.Match == nil {
		return false
	}
	return matchCovers(e.rule.Match, l.rule.Match, e.glob)
}

func isEmptyMatch(m *config.Match) bool {
	return m == nil || reflect.DeepEqual(*m, config.Match{})
}

// matchCovers reports whether every request that satisfies l satisfies e:
// each condition e sets is implied by a condition of l.
// eGlob is e's path compiled, if at hand.
func matchCovers(e, l *config.Match, eGlob *pattern) bool {
	if e.Path != "" && !pathCovers(e.Path, eGlob, l.Path) {
		return false
	}
	if len(e.Methods) > 0 && !methodsCover(e.Methods, l.Methods) {
		return false
	}
	if !sameConditions(e.Headers, l.Headers, CanonicalHeader) ||
		!sameConditions(e.Query, l.Query, nil) ||
		!sameConditions(e.Cookies, l.Cookies, nil) ||
		!sameConditions(e.Body, l.Body, nil) ||
		!sameConditions(e.Form, l.Form, nil) || !sameConditions(e.XPath, l.XPath, nil) ||
		e.BodyText != "" && e.BodyText != l.BodyText || e.BodyXML != "" && e.BodyXML != l.BodyXML {
		return false
	}
	for name, part := range e.Multipart {
		if l.Multipart[name] != part {
			return false
		}
	}
	if e.Host != "" && e.Host != l.Host {
		return false
	}
	if len(e.RemoteIP) > 0 && !rangesCover(e.RemoteIP, l.RemoteIP) {
		return false
	}
	if e.HasBodyJSON && !(l.HasBodyJSON && reflect.DeepEqual(e.BodyJSON, l.BodyJSON) &&
		(e.IgnoreArrayOrder || !l.IgnoreArrayOrder) && (bodyJSONMode(e)&jsonExact == 0 || bodyJSONMode(l)&jsonExact != 0)) {
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
func someAlternativeCovers(alternatives []config.Match, l *config.Match) bool {
	for i := range alternatives {
		if matchCovers(&alternatives[i], l, nil) {
			return true
		}
	}
	return false
}

// sameConditions reports whether every key -> pattern of e is also in l,
// with the same pattern; canon, if set, normalises keys (header names).
func sameConditions(e, l map[string]string, canon func(string) string) bool {
	for k, v := range e {
		lv, ok := l[k]
		if !ok && canon != nil {
			ck := canon(k)
			for lk, x := range l {
				if canon(lk) == ck {
					lv, ok = x, true
					break
				}
			}
		}
		if !ok || lv != v {
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
// accepted by the pattern e; eGlob is e compiled, or nil.
func pathCovers(e string, eGlob *pattern, l string) bool {
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
		if eGlob == nil {
			p, err := compilePattern(pathGlobs, e)
			if err != nil {
				return false
			}
			eGlob = &p
		}
		return eGlob.match(lit)
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
