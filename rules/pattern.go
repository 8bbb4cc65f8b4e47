package rules

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/gobwas/glob"
)

// Globs are compiled once, at load. Paths use "/" as the separator with
// shell-like globstar, so "*" stays inside a segment and "**/" spans zero or
// more segments; header, query and body values have no separator, so a glob
// covers the whole value.
var (
	pathGlobs  = glob.Compiler{Separators: []rune{'/'}, Globstar: true}
	valueGlobs = glob.Compiler{}
)

// pattern is a compiled glob or regular expression, possibly negated.
type pattern struct {
	glob   *glob.Pattern
	nfa    *globNFA       // matches instead of glob when gobwas would backtrack
	re     *regexp.Regexp // set instead of glob for "~" patterns
	cmp    *comparison    // set instead of glob for comparisons ("num:>=10")
	src    string         // what the configuration says; after the pointers, which the garbage collector scans
	negate bool
	// litStart:litEnd is, in src, the literal of a glob that is a literal
	// ("acme", litExact) or a literal prefix and "**" ("/svc1/**"), which
	// then matches with no automaton: glob, nfa, re and cmp are all nil.
	litStart uint8
	litExact bool
	litEnd   int32
}

// compilePattern compiles "glob", "!glob", "~regexp" or "!~regexp", or a
// comparison such as "num:>=10" (see comparison.go). The escapes "\!",
// "\~" and those of a glob that starts like a comparison ("\i:x") are
// glob escapes, so they need no special case.
func compilePattern(c glob.Compiler, src string) (pattern, error) {
	p := pattern{src: src}
	text := src
	if strings.HasPrefix(text, "!") {
		p.negate, text = true, text[1:]
	}
	if kind, operand, ok := isComparison(text); ok {
		if c.Separators != nil {
			return p, fmt.Errorf("bad pattern %q: a comparison does not apply to a path (escape the first character for a glob: \\%s)", src, text)
		}
		cmp, err := compileComparison(kind, operand)
		if err != nil {
			return p, fmt.Errorf("bad comparison %q: %v", src, err)
		}
		p.cmp = cmp
		return p, nil
	}
	if strings.HasPrefix(text, "~") {
		re, err := regexp.Compile(text[1:])
		if err != nil {
			return p, fmt.Errorf("bad regexp %q: %s", src, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		p.re = re
		return p, nil
	}
	if n, exact, ok := literalForm(text); ok {
		p.litStart = uint8(len(src) - len(text))
		p.litEnd = int32(int(p.litStart) + n)
		p.litExact = exact
		return p, nil
	}
	g, err := c.Compile(text)
	if err != nil {
		var syntax *glob.SyntaxError
		if errors.As(err, &syntax) {
			offset := syntax.Offset + len(src) - len(text) // counted in what the user wrote
			return p, fmt.Errorf("bad glob %q: syntax error at %d: %s", src, offset, syntax.Reason)
		}
		return p, fmt.Errorf("bad glob %q: %v", src, err)
	}
	p.glob = g
	p.nfa = linearGlob(c, text)
	return p, nil
}

// linearGlob returns the automaton for a glob gobwas has compiled with c,
// or nil when gobwas matches it in linear time itself; see glob.go.
func linearGlob(c glob.Compiler, text string) *globNFA {
	n, ok := parseGlob(c, text)
	if !ok || gobwasLinear(n) {
		return nil
	}
	return compileGlobNFA(n, c.Separators)
}

func (p pattern) match(v string) bool {
	if p.re != nil {
		return p.re.MatchString(v)
	}
	if p.nfa != nil {
		return p.nfa.match(v)
	}
	if p.cmp != nil {
		return p.cmp.holds(v)
	}
	if p.glob == nil {
		return literalMatch(v, p.src[p.litStart:p.litEnd], p.litExact)
	}
	return p.glob.Match(v)
}

// literalMatch is how a literal glob matches: the literal itself when
// exact, else any value it starts ("/svc1/**").
func literalMatch(v, lit string, exact bool) bool {
	if exact {
		return v == lit
	}
	return strings.HasPrefix(v, lit)
}

// literal reports whether the pattern matches by comparing text: a
// literal or a literal prefix, with no automaton.
func (p *pattern) literal() bool {
	return p.glob == nil && p.nfa == nil && p.re == nil && p.cmp == nil
}

// literalForm reports whether a glob is a literal ("acme", exact) or a
// literal followed by "**" ("/svc1/**", a prefix), and the literal's
// length. The literal is ASCII with none of the glob's special characters,
// so it matches byte for byte what gobwas matches rune by rune, and "**"
// matches any rest, separators included, with either compiler: FuzzGlob
// compares the forms.
func literalForm(text string) (n int, exact, ok bool) {
	lit, prefix := strings.CutSuffix(text, "**")
	for i := 0; i < len(lit); i++ {
		if b := lit[i]; b >= 0x80 || strings.IndexByte(`*?[]{}\`, b) >= 0 {
			return 0, false, false
		}
	}
	return len(lit), !prefix, true
}

// matchOne reports whether the single value v satisfies the pattern.
func (p pattern) matchOne(v string) bool {
	return p.match(v) != p.negate
}

// matchAny reports whether the pattern holds for a key with these values:
// some value matches, or, negated, none does (an absent key has no values).
func (p pattern) matchAny(values []string) bool {
	for _, v := range values {
		if p.match(v) {
			return !p.negate
		}
	}
	return p.negate
}
