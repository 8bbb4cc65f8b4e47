package rules

import (
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
type pathIndex struct {
	root *indexNode
}

type indexNode struct {
	rules    []*rule // in configured order
	children map[string]*indexNode
}

// maxIndexDepth bounds the lists one lookup merges; deeper walks fall back
// to trying every rule, which is always correct.
const maxIndexDepth = 8

// minIndexedRules is the rule count from which the index pays for its
// walk; below it the engine tries rules one by one.
const minIndexedRules = 4

func newPathIndex(rules []*rule) *pathIndex {
	idx := &pathIndex{root: &indexNode{}}
	for _, r := range rules {
		node := idx.root
		for i, seg := range r.literalSegments() {
			if i == maxIndexDepth-1 {
				break // keep every walk within the merge's bound
			}
			child := node.children[seg]
			if child == nil {
				if node.children == nil {
					node.children = map[string]*indexNode{}
				}
				child = &indexNode{}
				node.children[seg] = child
			}
			node = child
		}
		node.rules = append(node.rules, r)
	}
	return idx
}

// literalSegments returns the whole path segments every path this rule can
// match starts with.
func (r *rule) literalSegments() []string {
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
	var lists [maxIndexDepth][]*rule
	n := 0
	node := idx.root
	if len(node.rules) > 0 {
		lists[n] = node.rules
		n++
	}
	if strings.HasPrefix(path, "/") {
		rest := path[1:]
		for node.children != nil {
			seg, after, more := strings.Cut(rest, "/")
			child := node.children[seg]
			if child == nil {
				break
			}
			node = child
			if len(node.rules) > 0 {
				if n == maxIndexDepth {
					return nil, false
				}
				lists[n] = node.rules
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
		best := -1
		for i := range n {
			if len(lists[i]) > 0 && (best < 0 || lists[i][0].position < lists[best][0].position) {
				best = i
			}
		}
		if best < 0 {
			return nil, true
		}
		r := lists[best][0]
		lists[best] = lists[best][1:]
		if try(r) {
			return r, true
		}
	}
}
