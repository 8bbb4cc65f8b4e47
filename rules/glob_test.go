package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gobwas/glob"
)

// refMatch is the reference matcher: the set of input positions each node
// of the parsed glob may end at, from the set it may start at. Quadratic,
// fine on short inputs, and obviously what the glob means.
func refMatch(n *globNode, sep []rune, s string) bool {
	starts := make([]bool, len(s)+1)
	starts[0] = true
	return refEnds(n, sep, s, starts)[len(s)]
}

func refEnds(n *globNode, sep []rune, s string, starts []bool) []bool {
	ends := make([]bool, len(s)+1)
	// one adds p+w for every start p whose next rune r, w bytes wide,
	// passes ok.
	one := func(ok func(r rune) bool) {
		for p, in := range starts {
			if in && p < len(s) {
				r, w := utf8.DecodeRuneInString(s[p:])
				if ok(r) {
					ends[p+w] = true
				}
			}
		}
	}
	switch n.kind {
	case globText:
		for p, in := range starts {
			if in && strings.HasPrefix(s[p:], n.text) {
				ends[p+len(n.text)] = true
			}
		}
	case globSingle:
		one(func(r rune) bool { return !slices.Contains(sep, r) })
	case globRange:
		one(func(r rune) bool { return (n.lo <= r && r <= n.hi) != n.not })
	case globSet:
		one(func(r rune) bool { return slices.Contains(n.set, r) != n.not })
	case globStar:
		copy(ends, starts)
		for p := range s {
			if !ends[p] {
				continue
			}
			r, w := utf8.DecodeRuneInString(s[p:])
			if !n.limited || !slices.Contains(sep, r) {
				ends[p+w] = true
			}
		}
	case globSeq:
		ends = starts
		for _, k := range n.kids {
			ends = refEnds(k, sep, s, ends)
		}
	case globAlt:
		for _, k := range n.kids {
			for p, in := range refEnds(k, sep, s, starts) {
				ends[p] = ends[p] || in
			}
		}
	case globVoid:
		copy(ends, starts)
	default:
		panic(fmt.Sprintf("node kind %d", n.kind))
	}
	return ends
}

// The two compilers the rules use, by name.
var globCompilers = []struct {
	name string
	c    glob.Compiler
}{{"path", pathGlobs}, {"value", valueGlobs}}

// FuzzGlob: on every glob gobwas accepts, with the path and the value
// compiler, the reference matcher agrees with gobwas (on inputs short
// enough for gobwas' backtracking), and the automaton in each of its forms
// and the pattern's own matcher agree with the reference.
func FuzzGlob(f *testing.F) {
	seeds := [][2]string{
		{"/orders/**", "/orders/1/items"},
		{"/orders/*", "/orders/1"},
		{"/**/x", "/x"},
		{"/**/x", "/a/b/x"},
		{"**/x", "x"},
		{"/a/**/**/b", "/a/b"},
		{"/a/**/*a*a*b/**", "/a/c/aaab/d"},
		{"**a*b*c**", "xxaxxbxxcxx"},
		{"*a*a*a*a*b", "aaaaaaaaaaab"},
		{"{a,a}{a,a}{a,a}*b", "aaab"},
		{"{a*,b}*{c,}", "a/bc"},
		{"*{*0,}", "x0"},
		{"{**/,}x", "a/x"},
		{"a{/}**{/}b", "a//b"},
		{"[a-z]*[!0-9]?", "ab/c"},
		{"[abc]/[!abc]", "a//"},
		{"[/]", "/"},
		{"\\*\\{\\}\\[\\?\\\\", "*{}[?\\"},
		{"{a,b,}", ""},
		{"{,}", ""},
		{"\uFFFD*", "\xff"},
		{"\uFFFD*", "\uFFFDx"},
		{"[\uFFFD]?", "\xffx"},
		{"?", "\xe2\x82"},
		{"*\u00e9*", "a\u00e9\xc3"},
		{"[^-~]*é", "xé"},
		{"{a{b,c*},d}{,e}**f", "ac/xef"},
		{"acme-*", "acme-1"},
		{"{EUR,USD}", "EUR"},
		{"/svc1/**", "/svc1/a/b"},
		{"/svc1/**", "/svc1"},
		{"**", "\xff/x"},
		{"a!b-**", "a!b-\xff"},
		{"/a/**", "/a/\uFFFD"},
		{"EUR", "EUR"},
		{"/svc1/x", "/svc1/x/"},
		{"acme", "acm"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, src, input string) {
		if len(src) > 48 || len(input) > 256 {
			return
		}
		for _, gc := range globCompilers {
			g, err := gc.c.Compile(src)
			if err != nil {
				continue
			}
			n, ok := parseGlob(gc.c, src)
			if !ok {
				t.Fatalf("%s glob %q: gobwas accepts it, parseGlob does not", gc.name, src)
			}
			a := compileGlobNFA(n, gc.c.Separators)
			// A leading "!" or "~" means something else to compilePattern.
			esc := src
			if strings.HasPrefix(src, "!") || strings.HasPrefix(src, "~") {
				esc = "\\" + src
			}
			p, err := compilePattern(gc.c, esc)
			if err != nil {
				t.Fatalf("%s glob %q: %v", gc.name, src, err)
			}
			// Each input, and its prefixes and suffixes at a few places,
			// which the fuzzer would otherwise rarely line up with the glob.
			inputs := []string{input}
			for _, k := range []int{1, 2, 3, len(input) / 2} {
				if k < len(input) {
					inputs = append(inputs, input[:k], input[k:])
				}
			}
			for _, in := range inputs {
				// gobwas may backtrack exponentially: it is asked about
				// short inputs only, the reference about all.
				want := refMatch(n, gc.c.Separators, in)
				if len(in) <= 24 {
					if got := g.Match(in); got != want {
						t.Fatalf("%s glob %q on %q: gobwas %v, reference %v", gc.name, src, in, got, want)
					}
				}
				if got := a.match(in); got != want {
					t.Fatalf("%s glob %q on %q: reference %v, automaton %v", gc.name, src, in, want, got)
				}
				if a.word {
					if got := a.matchMasks(in); got != want {
						t.Fatalf("%s glob %q on %q: reference %v, uncached automaton %v", gc.name, src, in, want, got)
					}
					if got := a.matchSparse(in); got != want {
						t.Fatalf("%s glob %q on %q: reference %v, sparse automaton %v", gc.name, src, in, want, got)
					}
				}
				if got := p.match(in); got != want {
					t.Fatalf("%s glob %q on %q: reference %v, pattern %v", gc.name, src, in, want, got)
				}
			}
		}
	})
}

// adversarialGlobs are globs gobwas backtracks on super-linearly, with
// inputs of a given size they do not match, or do only at the very end.
var adversarialGlobs = []struct {
	name  string
	c     glob.Compiler
	glob  string
	input func(n int) string
	want  bool
}{
	{"stars", pathGlobs, "**a*b*c**", func(n int) string { return strings.Repeat("a", n) }, false},
	{"globstar-stars", pathGlobs, "/**/*a*a*a*b/**", func(n int) string { return "/" + strings.Repeat("a", n-1) }, false},
	{"globstar-stars-match", pathGlobs, "/**/*a*a*a*b/**", func(n int) string { return "/x/" + strings.Repeat("a", n-6) + "b/y" }, true},
	{"globstars", pathGlobs, "/**/a/**/a/**/x", func(n int) string { return strings.Repeat("/a", n/2-1) + "/bx" }, false},
	{"globstars-match", pathGlobs, "/**/a/**/a/**/x", func(n int) string { return strings.Repeat("/a", n/2-1) + "/x" }, true},
	{"segment-stars", pathGlobs, "/*/*a*a*a*[b]a", func(n int) string { return "/x/" + strings.Repeat("a", n-3) }, false},
	{"value-stars", valueGlobs, "*a*a*a*a*b", func(n int) string { return strings.Repeat("a", n) }, false},
	{"value-stars-match", valueGlobs, "*a*a*a*a*b", func(n int) string { return strings.Repeat("a", n-1) + "b" }, true},
	{"alternations", valueGlobs, strings.Repeat("{a,a}", 12) + "*[b]a", func(n int) string { return strings.Repeat("a", n) }, false},
	{"starred-alternations", valueGlobs, "{*[b],*[c]}{*[b],*[c]}{*[b],*[c]}*a", func(n int) string { return strings.Repeat("a", n) }, false},
	{"prefix-alternations", valueGlobs, "{a*,b*}{a*,b*}{a*,b*}[c]a", func(n int) string { return strings.Repeat("a", n) }, false},
	{"classes", valueGlobs, "*[a-c]*[!a]*?*a", func(n int) string { return strings.Repeat("a", n) }, false},
	{"invalid-utf8", valueGlobs, "*\uFFFD*\uFFFD*\uFFFD*?", func(n int) string { return strings.Repeat("\xff", n) }, false},
}

// TestGlobAdversarial: the globs gobwas backtracks on are matched by the
// automaton, correctly, on 64 KiB inputs and a 1 MiB value.
func TestGlobAdversarial(t *testing.T) {
	for _, tc := range adversarialGlobs {
		t.Run(tc.name, func(t *testing.T) {
			p, err := compilePattern(tc.c, tc.glob)
			if err != nil {
				t.Fatal(err)
			}
			if p.nfa == nil {
				t.Fatalf("%q is left to gobwas", tc.glob)
			}
			sizes := []int{64 << 10}
			if len(tc.c.Separators) == 0 {
				sizes = append(sizes, 1<<20)
			}
			for _, n := range sizes {
				if got := p.matchOne(tc.input(n)); got != tc.want {
					t.Errorf("%q on %d bytes: %v, want %v", tc.glob, n, got, tc.want)
				}
			}
			// gobwas agrees on a short input.
			g, err := tc.c.Compile(tc.glob)
			if err != nil {
				t.Fatal(err)
			}
			if short := tc.input(16); g.Match(short) != tc.want || p.matchOne(short) != tc.want {
				t.Errorf("%q on %q: gobwas %v, pattern %v, want %v", tc.glob, short, g.Match(short), p.matchOne(short), tc.want)
			}
		})
	}
}

// TestGlobRouting: the common globs stay with gobwas' direct matchers;
// the ones it would backtrack on go to the automaton.
func TestGlobRouting(t *testing.T) {
	for _, tc := range []struct {
		c    glob.Compiler
		glob string
		nfa  bool
	}{
		{pathGlobs, "/orders/**", false},
		{pathGlobs, "/orders/*", false},
		{pathGlobs, "/orders/*/items", false},
		{pathGlobs, "/orders/{a,b}/*", true},
		{pathGlobs, "/api/v?/[a-z]*", false},
		{valueGlobs, "acme-*", false},
		{valueGlobs, "*mobile*", false},
		{valueGlobs, "{EUR,USD}", false},
		{valueGlobs, "literal", false},
		{pathGlobs, "/**/x", true},
		{pathGlobs, "/a/*/b/*", true},
		{valueGlobs, "*a*b", true},
		{valueGlobs, "{a,b}*", true},
		{pathGlobs, "/x*a?", true}, // one star, but gobwas rescans the segment at each retry
		{valueGlobs, "x*a?", true},
	} {
		p, err := compilePattern(tc.c, tc.glob)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.nfa != nil; got != tc.nfa {
			t.Errorf("%q: automaton %v, want %v", tc.glob, got, tc.nfa)
		}
	}
}

// BenchmarkGlobAdversarial matches the adversarial globs against 8 KiB and
// 64 KiB inputs, beside a literal glob as long as the input and compared
// in full, the cheapest match there is.
func BenchmarkGlobAdversarial(b *testing.B) {
	for _, n := range []int{8 << 10, 64 << 10} {
		in := strings.Repeat("a", n)
		lit, err := compilePattern(valueGlobs, in)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("literal/%dKiB", n>>10), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				lit.match(in)
			}
		})
		for _, tc := range adversarialGlobs {
			p, err := compilePattern(tc.c, tc.glob)
			if err != nil {
				b.Fatal(err)
			}
			in := tc.input(n)
			b.Run(fmt.Sprintf("%s/%dKiB", tc.name, n>>10), func(b *testing.B) {
				b.SetBytes(int64(len(in)))
				for b.Loop() {
					p.match(in)
				}
			})
		}
	}
}

// TestLiteralPrefixGlob: a literal, or a literal and "**", compiles to the literal form,
// with neither gobwas nor an automaton, and matches what gobwas matches;
// any other glob keeps gobwas. FuzzGlob compares the forms on any input.
func TestLiteralPrefixGlob(t *testing.T) {
	for _, tc := range []struct {
		src    string
		prefix bool
	}{
		{"/svc1/**", true}, {"**", true}, {"!/svc1/**", true}, {"acme-**", true},
		{"/svc1", true}, {"acme", true}, {"", true}, {"!acme", true}, {"/svc1/x", true},
		{"/svc1/*", false}, {"/svc1/**/x", false}, {"/a*/**", false}, {"\\!x**", false}, {"\\!x", false}, {"é", false},
		{"/é/**", false}, {"/{a,b}/**", false}, {"/svc1/***", false},
	} {
		for _, gc := range globCompilers {
			p, err := compilePattern(gc.c, tc.src)
			if err != nil {
				t.Fatalf("%s %q: %v", gc.name, tc.src, err)
			}
			if got := p.glob == nil && p.nfa == nil; got != tc.prefix {
				t.Errorf("%s %q: prefix form %v, want %v", gc.name, tc.src, got, tc.prefix)
			}
			text := strings.TrimPrefix(tc.src, "!")
			g, err := gc.c.Compile(text)
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range []string{"", "/svc1", "/svc1/", "/svc1/a/b", "/svc10/", "acme-", "acme-x/y", "/é/x", "\xff", "!x", "acme", "acm", "acmee", "/svc1/x", "é"} {
				if got, want := p.matchOne(in), g.Match(in) != p.negate; got != want {
					t.Errorf("%s %q on %q: %v, gobwas %v", gc.name, tc.src, in, got, want)
				}
			}
		}
	}
}
