package rules

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// String helpers, with sprig's names and argument order (the string last,
// for pipes: {{ .Query.Get "q" | trim | upper }}). Every result is bounded
// by maxHelperString.

func init() {
	addHelpers(map[string]helperSpec{
		"upper":           str1Spec(strings.ToUpper),
		"lower":           str1Spec(strings.ToLower),
		"title":           str1Spec(title),
		"trim":            str1Spec(strings.TrimSpace),
		"trimAll":         str2Spec(func(cut, s string) string { return strings.Trim(s, cut) }),
		"trimPrefix":      str2Spec(func(p, s string) string { return strings.TrimPrefix(s, p) }),
		"trimSuffix":      str2Spec(func(p, s string) string { return strings.TrimSuffix(s, p) }),
		"contains":        {fn: strTest(func(sub, s string) bool { return strings.Contains(s, sub) }), min: 2, max: 2},
		"hasPrefix":       {fn: strTest(func(p, s string) bool { return strings.HasPrefix(s, p) }), min: 2, max: 2},
		"hasSuffix":       {fn: strTest(func(p, s string) bool { return strings.HasSuffix(s, p) }), min: 2, max: 2},
		"toString":        {fn: func(_ *boundTemplates, a []any) (any, error) { return toString(a[0]), nil }, min: 1, max: 1},
		"replace":         {fn: replace, min: 3, max: 3},
		"repeat":          {fn: repeat, min: 2, max: 2},
		"substr":          {fn: substr, min: 3, max: 3},
		"trunc":           {fn: trunc, min: 2, max: 2},
		"split":           {fn: split, min: 2, max: 2},
		"splitList":       {fn: splitList, min: 2, max: 2},
		"join":            {fn: join, min: 2, max: 2},
		"quote":           {fn: func(_ *boundTemplates, a []any) (any, error) { return strconv.Quote(toString(a[0])), nil }, min: 1, max: 1},
		"regexMatch":      {fn: regexMatch, min: 2, max: 2},
		"regexFind":       {fn: regexFind, min: 2, max: 2},
		"regexFindAll":    {fn: regexFindAll, min: 3, max: 3},
		"regexReplaceAll": {fn: regexReplaceAll, min: 3, max: 3},
	})
}

// str1Spec and str2Spec are helpers of one and two strings giving a
// string: the fast path calls f straight on strings, without boxing them.
func str1Spec(f func(string) string) helperSpec {
	return helperSpec{fn: str1(f), min: 1, max: 1, s1: f}
}

func str2Spec(f func(a, b string) string) helperSpec {
	return helperSpec{fn: str2(f), min: 2, max: 2, s2: f}
}

func str1(f func(string) string) helper {
	return func(_ *boundTemplates, a []any) (any, error) { return f(toString(a[0])), nil }
}

func str2(f func(a, b string) string) helper {
	return func(_ *boundTemplates, a []any) (any, error) { return f(toString(a[0]), toString(a[1])), nil }
}

func strTest(f func(a, b string) bool) helper {
	return func(_ *boundTemplates, a []any) (any, error) { return f(toString(a[0]), toString(a[1])), nil }
}

// title upper-cases the first letter of every word, as sprig's title.
func title(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	prev := ' '
	for _, r := range s {
		if unicode.IsSpace(prev) || unicode.IsPunct(prev) && prev != '\'' {
			b.WriteRune(unicode.ToTitle(r))
		} else {
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

// replace OLD NEW S replaces every OLD in S, bounded.
func replace(_ *boundTemplates, a []any) (any, error) {
	old, repl, s := toString(a[0]), toString(a[1]), toString(a[2])
	if n := strings.Count(s, old); n > 0 && len(s)+n*(len(repl)-len(old)) > maxHelperString {
		return nil, fmt.Errorf("replace: %w", errTooLong)
	}
	return strings.ReplaceAll(s, old, repl), nil
}

// repeat COUNT S, bounded.
func repeat(_ *boundTemplates, a []any) (any, error) {
	n, err := toInt("repeat", a[0], 0, maxHelperString)
	if err != nil {
		return nil, err
	}
	s := toString(a[1])
	if len(s) > 0 && n > maxHelperString/len(s) {
		return nil, fmt.Errorf("repeat: %w", errTooLong)
	}
	return strings.Repeat(s, n), nil
}

// substr START END S counts characters (sprig counts bytes, which can cut
// one in two): a negative START is 0, a negative or too large END is the
// end.
func substr(_ *boundTemplates, a []any) (any, error) {
	start, err := toInt("substr", a[0], -maxHelperString, 1<<40)
	if err != nil {
		return nil, err
	}
	end, err := toInt("substr", a[1], -maxHelperString, 1<<40)
	if err != nil {
		return nil, err
	}
	s := toString(a[2])
	start = max(start, 0)
	from, to, i := len(s), len(s), 0
	for at := range s {
		if i == start {
			from = at
		}
		if end >= 0 && i == end {
			to = at
			break
		}
		i++
	}
	if from > to {
		return "", nil
	}
	return s[from:to], nil
}

// trunc N S keeps the first N characters; a negative N the last -N.
func trunc(_ *boundTemplates, a []any) (any, error) {
	n, err := toInt("trunc", a[0], -1<<40, 1<<40)
	if err != nil {
		return nil, err
	}
	s := toString(a[1])
	count := utf8.RuneCountInString(s)
	if n >= 0 {
		if n >= count {
			return s, nil
		}
		return s[:byteOffset(s, n)], nil
	}
	if -n >= count {
		return s, nil
	}
	return s[byteOffset(s, count+n):], nil
}

// byteOffset is where the n-th character of s starts.
func byteOffset(s string, n int) int {
	i := 0
	for at := range s {
		if i == n {
			return at
		}
		i++
	}
	return len(s)
}

// splitList SEP S returns the parts of S as a list, at most maxListItems.
func splitList(_ *boundTemplates, a []any) (any, error) {
	return splitBounded("splitList", a)
}

// split SEP S returns sprig's map of the parts: _0, _1, …
func split(_ *boundTemplates, a []any) (any, error) {
	parts, err := splitBounded("split", a)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(parts))
	for i, p := range parts {
		m["_"+strconv.Itoa(i)] = p
	}
	return m, nil
}

// splitBounded splits S (a[1]) at SEP (a[0]) into at most maxListItems
// parts: an empty SEP would make one per character of a 1 MiB value.
func splitBounded(name string, a []any) ([]string, error) {
	parts := strings.SplitN(toString(a[1]), toString(a[0]), maxListItems+1)
	if len(parts) > maxListItems {
		return nil, fmt.Errorf("%s: %w", name, errTooManyItems)
	}
	return parts, nil
}

// join SEP LIST joins the elements of a list (or a single value) as text.
func join(_ *boundTemplates, a []any) (any, error) {
	sep := toString(a[0])
	items, err := listOf("join", a[1])
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for i, v := range items {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(toString(v))
		if b.Len() > maxHelperString {
			return nil, fmt.Errorf("join: %w", errTooLong)
		}
	}
	return b.String(), nil
}

// Regular expressions: a pattern written literally in a template is
// compiled (and checked) when the configuration loads, and kept by its
// template set, so it goes with the configuration; others are compiled on
// first use and the first maxCachedPatterns kept for the process.

// maxPattern bounds a pattern compiled at request time: Go's regexps run in
// linear time, and compiling is linear in the pattern too.
const maxPattern = 4 << 10

// maxPatternSize bounds what a pattern compiled at request time expands
// to: x{1000} is compiled as a thousand x's, so that 4 KiB of [a-z]{1000}
// took 165 ms and kept 16 MB, each of the 1 024 patterns kept.
const maxPatternSize = 10000

// patternSize is about how many instructions a parsed pattern compiles
// to, counting a repetition's copies; it stops counting past
// maxPatternSize.
func patternSize(re *syntax.Regexp) int {
	n := 1
	switch re.Op {
	case syntax.OpLiteral:
		n = len(re.Rune)
	case syntax.OpRepeat:
		copies := max(re.Min, re.Max) + 1
		n = min(copies*patternSize(re.Sub[0]), maxPatternSize+1)
	default:
		for _, sub := range re.Sub {
			n = min(n+patternSize(sub), maxPatternSize+1)
		}
	}
	return n
}

// maxCachedPatterns bounds the patterns computed at request time that are
// kept.
const maxCachedPatterns = 1024

var dynamicRegexps struct {
	m     sync.Map // pattern -> *regexp.Regexp
	count atomic.Int64
}

// compileTemplateRegexp compiles a literal pattern of a template at load.
func (s *templateSet) compileTemplateRegexp(pattern string) error {
	if _, ok := s.regexps[pattern]; ok {
		return nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return err
	}
	if s.regexps == nil {
		s.regexps = map[string]*regexp.Regexp{}
	}
	s.regexps[pattern] = re
	return nil
}

func cachedRegexp(b *boundTemplates, name string, v any) (*regexp.Regexp, error) {
	pattern := toString(v)
	if re, ok := b.set.regexps[pattern]; ok {
		return re, nil
	}
	if re, ok := dynamicRegexps.m.Load(pattern); ok {
		return re.(*regexp.Regexp), nil
	}
	if len(pattern) > maxPattern {
		return nil, fmt.Errorf("%s: pattern longer than %d bytes", name, maxPattern)
	}
	if parsed, err := syntax.Parse(pattern, syntax.Perl); err == nil && patternSize(parsed) > maxPatternSize {
		return nil, fmt.Errorf("%s: pattern too large once its repetitions are expanded (more than %d)", name, maxPatternSize)
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if dynamicRegexps.count.Load() < maxCachedPatterns && dynamicRegexps.count.Add(1) <= maxCachedPatterns {
		dynamicRegexps.m.Store(pattern, re)
	}
	return re, nil
}

// regexMatch REGEX S
func regexMatch(b *boundTemplates, a []any) (any, error) {
	re, err := cachedRegexp(b, "regexMatch", a[0])
	if err != nil {
		return nil, err
	}
	return re.MatchString(toString(a[1])), nil
}

// regexFind REGEX S returns the first match, or "".
func regexFind(b *boundTemplates, a []any) (any, error) {
	re, err := cachedRegexp(b, "regexFind", a[0])
	if err != nil {
		return nil, err
	}
	return re.FindString(toString(a[1])), nil
}

// regexFindAll REGEX S N returns at most N matches (all when N < 0).
func regexFindAll(b *boundTemplates, a []any) (any, error) {
	re, err := cachedRegexp(b, "regexFindAll", a[0])
	if err != nil {
		return nil, err
	}
	n, err := toInt("regexFindAll", a[2], -1<<40, 1<<40)
	if err != nil {
		return nil, err
	}
	if n < 0 || n > maxListItems {
		n = maxListItems + 1
	}
	found := re.FindAllString(toString(a[1]), n)
	if len(found) > maxListItems {
		return nil, fmt.Errorf("regexFindAll: %w", errTooManyItems)
	}
	if found == nil {
		found = []string{}
	}
	return found, nil
}

// regexReplaceAll REGEX S REPL replaces every match; REPL may use $1.
func regexReplaceAll(b *boundTemplates, a []any) (any, error) {
	re, err := cachedRegexp(b, "regexReplaceAll", a[0])
	if err != nil {
		return nil, err
	}
	s, repl := toString(a[1]), toString(a[2])
	// Each match becomes repl, whose $ expansions are each at most the
	// match: bound the worst case before building it.
	if n := len(re.FindAllStringIndex(s, -1)); n > 0 {
		refs := strings.Count(repl, "$")
		if int64(len(s))*int64(1+refs)+int64(n)*int64(len(repl)) > maxHelperString {
			return nil, fmt.Errorf("regexReplaceAll: %w", errTooLong)
		}
	}
	return re.ReplaceAllString(s, repl), nil
}
