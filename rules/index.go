package rules

import (
	"hash/maphash"
	"math/bits"
	"regexp"
	"strings"
)

// pathIndex narrows the rules a request has to try to those whose path can
// possibly match it, keeping first-match order exactly.
//
// Each rule is filed in a trie of path segments under the literal segments
// its path pattern starts with: "/svc7/orders/*" under svc7 → orders, and a
// rule with no path, a negated path or no literal start at the root. A
// request walks the trie along its own segments; only the rules filed on
// that walk can match, and they are tried in their configured order by
// merging the (sorted) lists met on the way. So 10 000 rules on distinct
// prefixes cost about what a handful do.
//
// The index lives as long as its rule set, so the garbage collector marks
// it at every cycle, and on a gateway given one core each mark phase is
// time requests wait. A trie of node objects, each with its own map and
// rule list, is several objects and pointers per rule to trace. So the
// trie is kept in pointer-free tables instead: nodes in one slice, the
// rules of every node as ranges of one list of rule positions, the
// segments in one string, and the child links in one open-addressing
// table keyed by (parent, hash of the segment). Each is a single object
// the collector does not scan; only rules points into the rule set.
type pathIndex struct {
	rules     []rule      // the rule set's rules: positions index it
	nodes     []indexNode // nodes[0] is the root
	positions []int32     // every node's rules, each node's in configured order
	segments  string      // every node's segment, one after the other
	children  []childSlot // a power of two in size, at most half full; nil without children
	shift     uint8       // 64 - log2(len(children)): a slot from a hash's top bits
	seed      maphash.Seed
	hashMask  uint64 // segmentHashMask when the index was built
}

// indexNode is one trie node, pointer-free: its rules are
// positions[rulesFrom:rulesTo] and its segment (the one leading to it from
// its parent) is segments[segFrom:segFrom+segLen].
type indexNode struct {
	rulesFrom, rulesTo int32
	segFrom, segLen    int32
	hasChildren        bool
}

// childSlot links a parent node to the child under one segment. The hash
// only shortens the search: a match is confirmed against the segment's
// text, and slots whose hashes collide (the same hash, another text) sit
// one after another along the probe sequence, so a collision costs a
// comparison, never a wrong child.
type childSlot struct {
	hash   uint64
	parent int32
	child  int32 // 0: an empty slot (the root is nobody's child)
}

// segmentHashMask is and-ed to every segment hash; tests set it to 0 (or
// few bits) before building an index to make sibling segments collide.
// An index keeps the mask it was built with.
var segmentHashMask = ^uint64(0)

// maxIndexDepth bounds the lists one lookup merges; deeper walks fall back
// to trying every rule, which is always correct.
const maxIndexDepth = 8

// minIndexedRules is the rule count from which the index pays for its
// walk; below it the engine tries rules one by one.
const minIndexedRules = 4

func newPathIndex(rules []rule, drafts []ruleDraft) *pathIndex {
	idx := &pathIndex{rules: rules, seed: maphash.MakeSeed(), hashMask: segmentHashMask}
	// Build the trie with maps that are dropped once the tables are filled.
	type edge struct {
		parent int32
		seg    string
	}
	childOf := map[edge]int32{}
	segAt := map[string]int32{} // a segment text's offset in segments, shared
	var segments strings.Builder
	idx.nodes = []indexNode{{}}
	ruleNode := make([]int32, len(rules))
	for i := range drafts {
		node := int32(0)
		for d, seg := range drafts[i].literalSegments() {
			if d == maxIndexDepth-1 {
				break // keep every walk within the merge's bound
			}
			child, ok := childOf[edge{node, seg}]
			if !ok {
				at, ok := segAt[seg]
				if !ok {
					at = int32(segments.Len())
					segAt[seg] = at
					segments.WriteString(seg)
				}
				child = int32(len(idx.nodes))
				idx.nodes = append(idx.nodes, indexNode{segFrom: at, segLen: int32(len(seg))})
				idx.nodes[node].hasChildren = true
				childOf[edge{node, seg}] = child
			}
			node = child
		}
		ruleNode[i] = node
	}
	idx.segments = segments.String()
	idx.nodes = append([]indexNode(nil), idx.nodes...) // no growth slack kept for the set's life

	// Each node's rules, in configured order, as a range of positions:
	// count them, place the ranges, then fill them in rule order.
	for _, node := range ruleNode {
		idx.nodes[node].rulesTo++
	}
	next := int32(0)
	for i := range idx.nodes {
		n := &idx.nodes[i]
		n.rulesFrom, n.rulesTo = next, next+n.rulesTo
		next = n.rulesTo
	}
	idx.positions = make([]int32, len(rules))
	fill := make([]int32, len(idx.nodes))
	for i, node := range ruleNode {
		idx.positions[idx.nodes[node].rulesFrom+fill[node]] = int32(rules[i].position)
		fill[node]++
	}

	if links := len(idx.nodes) - 1; links > 0 {
		size := 1 << bits.Len(uint(2*links-1)) // at least twice the links
		idx.children = make([]childSlot, size)
		idx.shift = uint8(64 - bits.TrailingZeros(uint(size)))
		for e, child := range childOf {
			h := idx.hash(e.seg)
			i := idx.slot(e.parent, h)
			for idx.children[i].child != 0 {
				i = (i + 1) & uint64(size-1)
			}
			idx.children[i] = childSlot{hash: h, parent: e.parent, child: child}
		}
	}
	return idx
}

func (idx *pathIndex) hash(seg string) uint64 {
	return maphash.String(idx.seed, seg) & idx.hashMask
}

// slot is where the search for a parent's child with this hash starts:
// the parent is mixed in, so that one segment under many parents ("orders"
// under each service) spreads over the table.
func (idx *pathIndex) slot(parent int32, h uint64) uint64 {
	return ((h ^ uint64(parent)) * 0x9e3779b97f4a7c15) >> idx.shift
}

// child returns parent's child under seg, or 0.
func (idx *pathIndex) child(parent int32, seg string) int32 {
	h := idx.hash(seg)
	mask := uint64(len(idx.children) - 1)
	for i := idx.slot(parent, h); ; i = (i + 1) & mask {
		s := &idx.children[i]
		if s.child == 0 {
			return 0 // the table is at most half full: a search always ends here
		}
		if s.hash == h && s.parent == parent {
			n := &idx.nodes[s.child]
			if int(n.segLen) == len(seg) && idx.segments[n.segFrom:n.segFrom+n.segLen] == seg {
				return s.child
			}
		}
	}
}

// literalSegments returns the whole path segments every path this rule can
// match starts with.
func (r *ruleDraft) literalSegments() []string {
	for _, c := range r.conditions {
		pc, ok := c.(*pathCondition)
		if !ok || pc.negate {
			continue
		}
		if pc.re != nil {
			return regexpSegments(pc.re)
		}
		return globSegments(pc.src)
	}
	return nil
}

// globSegments: "/a/b/c*" gives a, b — the segments before the first one
// with a glob meta character (or an escape, to stay on the safe side).
func globSegments(pattern string) []string {
	if !strings.HasPrefix(pattern, "/") {
		return nil
	}
	var segs []string
	rest := pattern[1:]
	for {
		seg, after, more := strings.Cut(rest, "/")
		if strings.ContainsAny(seg, `*?[]{}\!~`) {
			return segs
		}
		if !more {
			// The pattern's last segment is literal: the path ends with it.
			return append(segs, seg)
		}
		segs = append(segs, seg)
		rest = after
	}
}

// regexpSegments uses the literal prefix of an anchored regexp: whole
// segments only, since the last partial one may go on ("^/users" also
// matches "/usersx").
func regexpSegments(re *regexp.Regexp) []string {
	expr := re.String()
	if !strings.HasPrefix(expr, "^") {
		return nil
	}
	prefix, complete := re.LiteralPrefix()
	if !strings.HasPrefix(prefix, "/") {
		return nil
	}
	parts := strings.Split(prefix[1:], "/")
	if !complete {
		parts = parts[:len(parts)-1] // the last part may continue
	}
	return parts
}

// candidates calls try with the rules that can match path, in configured
// order, until try returns true. ok is false when the walk was too deep to
// merge: the caller must then try every rule.
func (idx *pathIndex) candidates(path string, try func(*rule) bool) (found *rule, ok bool) {
	var lists [maxIndexDepth]struct{ from, to int32 } // ranges of positions
	n := 0
	node := &idx.nodes[0]
	if node.rulesFrom < node.rulesTo {
		lists[n].from, lists[n].to = node.rulesFrom, node.rulesTo
		n++
	}
	if strings.HasPrefix(path, "/") {
		rest := path[1:]
		parent := int32(0)
		for node.hasChildren { // hashing only where there is a child to find
			seg, after, more := strings.Cut(rest, "/")
			child := idx.child(parent, seg)
			if child == 0 {
				break
			}
			parent, node = child, &idx.nodes[child]
			if node.rulesFrom < node.rulesTo {
				if n == maxIndexDepth {
					return nil, false
				}
				lists[n].from, lists[n].to = node.rulesFrom, node.rulesTo
				n++
			}
			if !more {
				break
			}
			rest = after
		}
	}
	// Merge the sorted lists by rule position.
	for {
		best, at := -1, int32(0)
		for i := range n {
			if l := lists[i]; l.from < l.to && (best < 0 || idx.positions[l.from] < at) {
				best, at = i, idx.positions[l.from]
			}
		}
		if best < 0 {
			return nil, true
		}
		lists[best].from++
		if r := &idx.rules[at]; try(r) {
			return r, true
		}
	}
}
