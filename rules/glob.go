package rules

import (
	"math/bits"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/gobwas/glob"
	"github.com/gobwas/glob/syntax"
)

// Glob matching in linear time.
//
// gobwas/glob checks the syntax of every glob and, for the shapes its
// matcher walks without backtracking, does the matching too. Those shapes
// are the ones it compiles into a plain call chain (no group of
// alternatives but at the end of the glob, no star but a final one), and
// the globs with no group at all and a single star, which it retries at
// most once per input rune. Every other glob is parsed here into the same
// tree gobwas builds (same normalisation, same globstar rewrite) and
// compiled into a Thompson automaton that reads the input once, one rune
// at a time, carrying the set of the places in the glob it may be at: its
// time is the input's length times the glob's size, whatever the glob.
//
// The automaton keeps gobwas' semantics: literal text is compared byte for
// byte (so a literal U+FFFD does not match an invalid byte), while `?`, `*`
// and the classes decode one rune with utf8.DecodeRuneInString (an invalid
// byte is U+FFFD, one byte wide); `?` and `*` never match a separator,
// classes and `**` do.

// globNode is a node of a parsed glob, the counterpart of gobwas' matcher
// tree before its match-time specialisations.
type globNode struct {
	kind    globKind
	text    string // globText
	limited bool   // globStar: stops at the separators ("*" with separators)
	lo, hi  rune   // globRange
	set     []rune // globSet, sorted
	not     bool   // globRange, globSet: negated
	kids    []*globNode
}

type globKind uint8

const (
	globText globKind = iota
	globSingle
	globStar
	globRange
	globSet
	globAlt
	globSeq
	globVoid
	// The terminal shapes gobwas folds a glob's tail into; they appear
	// only in gobwasLinear's working copy.
	globPrefix
	globSuffix
	globPrefixSuffix
	globContains
)

// parseGlob parses a glob gobwas has compiled with c into the tree gobwas
// matches with: the sequences flattened, literals merged, stars coalesced,
// and, with c.Globstar, a "**" followed by a separator at a segment start
// rewritten into an optional run of whole segments.
func parseGlob(c glob.Compiler, src string) (*globNode, bool) {
	type operator struct {
		terms bool // the group itself, otherwise one of its alternatives
		index int
	}
	limited := len(c.Separators) > 0
	var (
		stack     []*globNode
		operators []operator
	)
	lex := syntax.NewLexer(src)
	for {
		token := lex.Next()
		switch token.Type {
		case syntax.EOF:
			if len(operators) != 0 {
				return nil, false
			}
			root := simplifyGlob(&globNode{kind: globSeq, kids: stack})
			if c.Globstar && limited {
				root, _ = globstarGlob(root, c.Separators, true)
			}
			return root, true
		case syntax.Single:
			stack = append(stack, &globNode{kind: globSingle})
		case syntax.Text:
			stack = append(stack, &globNode{kind: globText, text: token.Data})
		case syntax.RangeOpen:
			n, ok := parseGlobClass(lex)
			if !ok {
				return nil, false
			}
			stack = append(stack, n)
		case syntax.Any:
			stack = append(stack, &globNode{kind: globStar, limited: limited})
		case syntax.Super:
			stack = append(stack, &globNode{kind: globStar})
		case syntax.TermsOpen:
			operators = append(operators, operator{true, len(stack)}, operator{false, len(stack)})
		case syntax.TermSeparator:
			k := len(operators) - 1
			if k < 0 {
				return nil, false
			}
			x := operators[k]
			if !x.terms {
				operators = operators[:k]
			}
			i := x.index
			if i == len(stack) {
				stack = append(stack, &globNode{kind: globVoid})
			} else {
				stack[i] = &globNode{kind: globSeq, kids: slices.Clone(stack[i:])}
				stack = stack[:i+1]
			}
			operators = append(operators, operator{false, len(stack)})
		case syntax.TermsClose:
			for {
				k := len(operators) - 1
				if k < 0 {
					return nil, false
				}
				x := operators[k]
				operators = operators[:k]
				i := x.index
				n := &globNode{kind: globSeq, kids: slices.Clone(stack[i:])}
				if x.terms {
					n.kind = globAlt
				}
				if i == len(stack) {
					stack = append(stack, n)
				} else {
					stack = stack[:i+1]
					stack[i] = n
				}
				if x.terms {
					break
				}
			}
		default:
			return nil, false
		}
	}
}

// parseGlobClass parses a class after its "[", as gobwas does.
func parseGlobClass(lex *syntax.Lexer) (*globNode, bool) {
	var (
		not    bool
		lo, hi rune = -1, -1
		set    []rune
	)
	for {
		token := lex.Next()
		switch token.Type {
		case syntax.Not:
			not = true
		case syntax.RangeLo:
			lo, _ = utf8.DecodeRuneInString(token.Data)
		case syntax.RangeHi:
			hi, _ = utf8.DecodeRuneInString(token.Data)
		case syntax.RangeBetween:
		case syntax.Text:
			set = set[:0]
			for _, r := range token.Data {
				set = append(set, r)
			}
			if set == nil {
				set = []rune{}
			}
		case syntax.RangeClose:
			if lo >= 0 && hi >= 0 && set == nil {
				return &globNode{kind: globRange, lo: lo, hi: hi, not: not}, true
			}
			if set == nil {
				return nil, false
			}
			slices.Sort(set)
			return &globNode{kind: globSet, set: slices.Compact(set), not: not}, true
		default:
			return nil, false
		}
	}
}

// simplifyGlob is gobwas' simplify: bottom up, sequences are flattened,
// voids dropped, adjacent literals merged and adjacent stars coalesced; a
// sequence or group of one is its child, of none a void.
func simplifyGlob(n *globNode) *globNode {
	if n.kind != globSeq && n.kind != globAlt {
		return n
	}
	for i, k := range n.kids {
		n.kids[i] = simplifyGlob(k)
	}
	if n.kind == globSeq {
		var out []*globNode
		var push func(k *globNode)
		push = func(k *globNode) {
			switch k.kind {
			case globSeq:
				for _, c := range k.kids {
					push(c)
				}
				return
			case globVoid:
				return
			case globText:
				if len(out) > 0 && out[len(out)-1].kind == globText {
					out[len(out)-1] = &globNode{kind: globText, text: out[len(out)-1].text + k.text}
					return
				}
			case globStar:
				if len(out) > 0 && out[len(out)-1].kind == globStar {
					if out[len(out)-1].limited && !k.limited {
						out[len(out)-1] = k
					}
					return
				}
			}
			out = append(out, k)
		}
		for _, k := range n.kids {
			push(k)
		}
		n.kids = out
	}
	switch len(n.kids) {
	case 0:
		return &globNode{kind: globVoid}
	case 1:
		return n.kids[0]
	}
	return n
}

// globstarGlob is gobwas' globstar rewrite: a "**" that begins a segment
// and is followed by a separator becomes {**/,}. start tells whether n
// begins at a segment start; the result tells whether n ends at one.
func globstarGlob(n *globNode, sep []rune, start bool) (*globNode, bool) {
	switch n.kind {
	case globAlt:
		end := true
		for i, k := range n.kids {
			var e bool
			n.kids[i], e = globstarGlob(k, sep, start)
			end = end && e
		}
		return n, end
	case globSeq:
		v := n.kids
		out := make([]*globNode, 0, len(v))
		prev := ""
		for i := 0; i < len(v); i++ {
			k := v[i]
			if sepText, rest, ok := splitGlobstarGlob(v, i, sep); start && ok {
				if sepText != prev {
					out = append(out, &globNode{kind: globAlt, kids: []*globNode{
						{kind: globSeq, kids: []*globNode{k, {kind: globText, text: sepText}}},
						{kind: globVoid},
					}})
					prev = sepText
				}
				if rest != "" {
					v[i+1] = &globNode{kind: globText, text: rest}
				} else {
					i++
				}
				continue
			}
			prev = ""
			k, start = globstarGlob(k, sep, start)
			out = append(out, k)
		}
		if len(out) == 1 {
			return out[0], start
		}
		return &globNode{kind: globSeq, kids: out}, start
	case globText:
		r, _ := utf8.DecodeLastRuneInString(n.text)
		return n, slices.Contains(sep, r)
	case globVoid:
		return n, start
	}
	return n, false
}

func splitGlobstarGlob(v []*globNode, i int, sep []rune) (sepText, rest string, ok bool) {
	if i+1 >= len(v) || v[i].kind != globStar || v[i].limited || v[i+1].kind != globText {
		return "", "", false
	}
	text := v[i+1].text
	r, w := utf8.DecodeRuneInString(text)
	if !slices.Contains(sep, r) {
		return "", "", false
	}
	return text[:w], text[w:], true
}

// gobwasLinear reports whether gobwas matches the glob n in linear time:
// when it compiles it into a plain call chain (no checkpoint saved: every
// group is at the end of the glob with such branches, every star is last or
// folded into a terminal shape). A single star elsewhere is not enough:
// each of its retries rescans the rest of the segment for a separator, so
// "/x*a?" against a long run of "a" takes time quadratic in the segment.
// It errs on the safe side: a glob it rejects is merely matched by the
// automaton.
func gobwasLinear(n *globNode) bool {
	return gobwasStateless(n, true)
}

// gobwasStateless mirrors gobwas' specialize, annotateStars, foldTailAlts
// and needsState: whether matching n saves no checkpoint; tail tells
// whether nothing follows n.
func gobwasStateless(n *globNode, tail bool) bool {
	switch n.kind {
	case globStar:
		return tail
	case globAlt:
		if !tail {
			return false
		}
		for _, k := range n.kids {
			if !gobwasStateless(k, true) {
				return false
			}
		}
		return true
	case globSeq:
		items := n.kids
		if tail {
			items = foldGlobTail(slices.Clone(items))
		}
		for i, k := range items {
			if !gobwasStateless(k, tail && i == len(items)-1) {
				return false
			}
		}
	}
	return true
}

// foldGlobTail is gobwas' foldTail on the node kinds: it folds the trailing
// star-and-literal pairs of a glob's last sequence into terminal shapes.
func foldGlobTail(ms []*globNode) []*globNode {
	for len(ms) >= 2 {
		prev, last := ms[len(ms)-2], ms[len(ms)-1]
		var folded *globNode
		switch last.kind {
		case globStar:
			if prev.kind == globText {
				folded = &globNode{kind: globPrefix, limited: last.limited}
			}
		case globText:
			if prev.kind == globStar {
				folded = &globNode{kind: globSuffix, limited: prev.limited}
			}
		case globPrefix:
			switch prev.kind {
			case globText:
				folded = &globNode{kind: globPrefix, limited: last.limited}
			case globStar:
				if !prev.limited && !last.limited {
					folded = &globNode{kind: globContains}
				}
			}
		case globSuffix:
			if prev.kind == globText {
				folded = &globNode{kind: globPrefixSuffix, limited: last.limited}
			}
		case globContains:
			if prev.kind == globStar && !prev.limited {
				folded = last
			}
		}
		if folded == nil {
			break
		}
		ms = ms[:len(ms)-1]
		ms[len(ms)-1] = folded
	}
	return ms
}

// The automaton's instructions.
const (
	opRune    uint8 = iota // one literal rune, compared byte for byte
	opAnyRune              // "?" and "*" steps: any rune but a separator
	opAnyByte              // "**" steps: any rune at all
	opRange                // [lo-hi], [!lo-hi]
	opSet                  // [abc], [!abc]
	opSplit                // go on at out and at alt, reading nothing
	opMatch                // the whole glob has matched
)

type globInst struct {
	op       uint8
	not      bool
	lo, hi   rune
	set      []rune
	out, alt int32
}

// globNFA is a glob compiled into a Thompson automaton. Globs with at most
// 63 reading instructions (nearly all) run on one 64-bit word of states;
// longer ones on sparse sets of instruction indices.
type globNFA struct {
	prog  []globInst
	start int32
	sep   []rune

	// The one-word form: bit i is reading instruction reads[i], bit 63 the
	// match; follow[i] is the states after reads[i] has read a rune.
	word   bool
	reads  []int32
	first  uint64
	follow []uint64
	dfa    *globDFA
}

const globFinal = 1 << 63

// compileGlobNFA compiles the parsed glob n; sep are the separators "?" and
// "*" stop at.
func compileGlobNFA(n *globNode, sep []rune) *globNFA {
	a := &globNFA{sep: sep}
	a.prog = append(a.prog, globInst{op: opMatch})
	a.start = a.emit(n, 0)
	for pc, in := range a.prog {
		if in.op < opSplit {
			a.reads = append(a.reads, int32(pc))
		}
	}
	if len(a.reads) < 64 {
		a.word = true
		bit := make(map[int32]int, len(a.reads))
		for i, pc := range a.reads {
			bit[pc] = i
		}
		memo := make(map[int32]uint64)
		var closure func(pc int32) uint64
		closure = func(pc int32) uint64 {
			if m, ok := memo[pc]; ok {
				return m
			}
			var m uint64
			switch in := a.prog[pc]; in.op {
			case opMatch:
				m = globFinal
			case opSplit:
				m = closure(in.out) | closure(in.alt)
			default:
				m = 1 << bit[pc]
			}
			memo[pc] = m
			return m
		}
		a.first = closure(a.start)
		a.follow = make([]uint64, len(a.reads))
		for i, pc := range a.reads {
			a.follow[i] = closure(a.prog[pc].out)
		}
		a.buildDFA()
	}
	return a
}

// emit appends the instructions of n, which continue at next, and returns
// where n begins.
func (a *globNFA) emit(n *globNode, next int32) int32 {
	add := func(in globInst) int32 {
		a.prog = append(a.prog, in)
		return int32(len(a.prog) - 1)
	}
	switch n.kind {
	case globText:
		for i := len(n.text); i > 0; {
			r, w := utf8.DecodeLastRuneInString(n.text[:i])
			i -= w
			next = add(globInst{op: opRune, lo: r, out: next})
		}
		return next
	case globSingle:
		return add(globInst{op: opAnyRune, out: next})
	case globStar:
		loop := add(globInst{op: opSplit, alt: next})
		op := opAnyByte
		if n.limited {
			op = opAnyRune
		}
		a.prog[loop].out = add(globInst{op: op, out: loop})
		return loop
	case globRange:
		return add(globInst{op: opRange, lo: n.lo, hi: n.hi, not: n.not, out: next})
	case globSet:
		return add(globInst{op: opSet, set: n.set, not: n.not, out: next})
	case globSeq:
		for i := len(n.kids) - 1; i >= 0; i-- {
			next = a.emit(n.kids[i], next)
		}
		return next
	case globAlt:
		pc := a.emit(n.kids[len(n.kids)-1], next)
		for i := len(n.kids) - 2; i >= 0; i-- {
			pc = add(globInst{op: opSplit, out: a.emit(n.kids[i], next), alt: pc})
		}
		return pc
	}
	return next // a void
}

// reads reports whether the reading instruction in takes the rune r, w
// bytes wide in the input.
func (a *globNFA) takes(in *globInst, r rune, w int) bool {
	switch in.op {
	case opRune:
		// Byte for byte: an invalid byte decodes as U+FFFD one byte wide,
		// the encoded U+FFFD is three.
		return r == in.lo && (r != utf8.RuneError || w != 1)
	case opAnyRune:
		return !slices.Contains(a.sep, r)
	case opAnyByte:
		return true
	case opRange:
		return (in.lo <= r && r <= in.hi) != in.not
	case opSet:
		_, found := slices.BinarySearch(in.set, r)
		return found != in.not
	}
	return false
}

func (a *globNFA) match(s string) bool {
	if a.word {
		return a.matchWord(s)
	}
	return a.matchSparse(s)
}

// step returns the states after the states cur have read the rune r, w
// bytes wide.
func (a *globNFA) step(cur uint64, r rune, w int) uint64 {
	var next uint64
	for m := cur &^ globFinal; m != 0; m &= m - 1 {
		b := bits.TrailingZeros64(m)
		if a.takes(&a.prog[a.reads[b]], r, w) {
			next |= a.follow[b]
		}
	}
	return next
}

// matchMasks runs the one-word form rune by rune.
func (a *globNFA) matchMasks(s string) bool {
	cur := a.first
	for i := 0; i < len(s); {
		if cur&^globFinal == 0 {
			return false
		}
		r, w := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, w = utf8.DecodeRuneInString(s[i:])
		}
		cur = a.step(cur, r, w)
		i += w
	}
	return cur&globFinal != 0
}

// globDFA caches the one-word form's steps on ASCII bytes: the state sets
// reachable from the start on ASCII input, built at compile time, up to
// globDFAStates of them. Read-only once built.
type globDFA struct {
	masks []uint64         // state index -> state set
	next  []int32          // index*128 + byte -> index
	index map[uint64]int32 // state set -> index
}

const globDFAStates = 256

// buildDFA builds the ASCII cache, or leaves it nil when there would be
// more than globDFAStates states.
func (a *globNFA) buildDFA() {
	d := &globDFA{index: map[uint64]int32{}}
	add := func(m uint64) int32 {
		if i, ok := d.index[m]; ok {
			return i
		}
		i := int32(len(d.masks))
		d.index[m] = i
		d.masks = append(d.masks, m)
		return i
	}
	add(a.first)
	for i := 0; i < len(d.masks); i++ {
		if len(d.masks) > globDFAStates {
			return
		}
		for c := range utf8.RuneSelf {
			d.next = append(d.next, add(a.step(d.masks[i], rune(c), 1)))
		}
	}
	a.dfa = d
}

func (a *globNFA) matchWord(s string) bool {
	d := a.dfa
	if d == nil {
		return a.matchMasks(s)
	}
	cur, at := a.first, int32(0) // at < 0: cur is not in the cache
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf && at >= 0 {
			at = d.next[int(at)<<7|int(c)]
			i++
			continue
		}
		if at >= 0 {
			cur = d.masks[at]
		}
		if cur&^globFinal == 0 {
			return false
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		cur = a.step(cur, r, w)
		i += w
		var ok bool
		if at, ok = d.index[cur]; !ok {
			at = -1
		}
	}
	if at >= 0 {
		cur = d.masks[at]
	}
	return cur&globFinal != 0
}

// sparseSet is a set of instruction indices with O(1) insert, test and
// clear (Briggs and Torczon).
type sparseSet struct {
	dense, sparse []int32
}

func (s *sparseSet) has(i int32) bool {
	j := s.sparse[i]
	return int(j) < len(s.dense) && s.dense[j] == i
}

func (s *sparseSet) add(i int32) {
	s.sparse[i] = int32(len(s.dense))
	s.dense = append(s.dense, i)
}

type globThreads struct {
	cur, next sparseSet
	stack     []int32
}

var globThreadPool sync.Pool // *globThreads

func (a *globNFA) matchSparse(s string) bool {
	t, _ := globThreadPool.Get().(*globThreads)
	if t == nil {
		t = new(globThreads)
	}
	defer globThreadPool.Put(t)
	n := len(a.prog)
	for _, set := range []*sparseSet{&t.cur, &t.next} {
		if len(set.sparse) < n {
			set.sparse = make([]int32, n)
			set.dense = make([]int32, 0, n)
		}
		set.dense = set.dense[:0]
	}
	a.addClosure(t, &t.cur, a.start)
	for i := 0; i < len(s); {
		if len(t.cur.dense) == 0 {
			return false
		}
		r, w := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, w = utf8.DecodeRuneInString(s[i:])
		}
		t.next.dense = t.next.dense[:0]
		for _, pc := range t.cur.dense {
			if in := &a.prog[pc]; in.op < opSplit && a.takes(in, r, w) {
				a.addClosure(t, &t.next, in.out)
			}
		}
		t.cur, t.next = t.next, t.cur
		i += w
	}
	return t.cur.has(0) // instruction 0 is the match
}

// addClosure adds pc and every instruction reachable from it without
// reading to set.
func (a *globNFA) addClosure(t *globThreads, set *sparseSet, pc int32) {
	t.stack = append(t.stack[:0], pc)
	for len(t.stack) > 0 {
		pc := t.stack[len(t.stack)-1]
		t.stack = t.stack[:len(t.stack)-1]
		if set.has(pc) {
			continue
		}
		set.add(pc)
		if in := &a.prog[pc]; in.op == opSplit {
			t.stack = append(t.stack, in.alt, in.out)
		}
	}
}
