package rules

import (
	"context"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestGlobSegments(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{"/svc7/orders/*", `["svc7" "orders"]`},
		{"/orders/**", `["orders"]`},
		{"/a/b", `["a" "b"]`},
		{"/", `[""]`},
		{"/a/", `["a" ""]`},
		{"/a*/b", `[]`},
		{"/{a,b}/c", `[]`},
		{`/a\*b/c`, `[]`},
		{"**/x", `[]`},
		{"*", `[]`},
	}
	for _, tt := range tests {
		if got := fmt.Sprintf("%q", globSegments(tt.pattern)); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.pattern, got, tt.want)
		}
	}
}

// TestIndexKeepsFirstMatchOrder compares the indexed decision with trying
// every rule in order, over random rule sets and paths.
// It runs with the index's full hashes, and again with hashes cut to one
// bit and to none, where sibling segments collide.
func TestIndexKeepsFirstMatchOrder(t *testing.T) {
	for _, mask := range []uint64{^uint64(0), 1, 0} {
		t.Run(fmt.Sprintf("hash mask %#x", mask), func(t *testing.T) {
			defer func(kept uint64) { segmentHashMask = kept }(segmentHashMask)
			segmentHashMask = mask
			testIndexKeepsFirstMatchOrder(t)
		})
	}
}

func testIndexKeepsFirstMatchOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	segs := []string{"a", "b", "orders", "users", "1", "x"}
	pick := func() string { return segs[rng.IntN(len(segs))] }
	randomPattern := func() string {
		var parts []string
		for range 1 + rng.IntN(4) {
			switch rng.IntN(8) {
			case 0:
				parts = append(parts, "*")
			case 1:
				parts = append(parts, "**")
			case 2:
				parts = append(parts, "{"+pick()+","+pick()+"}")
			case 3:
				parts = append(parts, pick()+"*")
			default:
				parts = append(parts, pick())
			}
		}
		p := "/" + strings.Join(parts, "/")
		switch rng.IntN(10) {
		case 0:
			return "!" + p
		case 1:
			return "~^/" + pick() + "/(?P<id>[0-9a-z]+)"
		case 2:
			return "~" + pick()
		}
		return p
	}
	for round := range 30 {
		var b strings.Builder
		b.WriteString(`{"rules":[`)
		n := 20 + rng.IntN(60)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			match := ""
			if rng.IntN(8) > 0 {
				match = fmt.Sprintf(`"path":%q`, randomPattern())
			}
			if rng.IntN(4) == 0 {
				if match != "" {
					match += ","
				}
				match += `"methods":["POST"]`
			}
			fmt.Fprintf(&b, `{"name":"r%d","match":{%s},"response":{}}`, i, match)
		}
		b.WriteString(`]}`)
		e, err := New(context.Background(), decodeJSON(t, b.String()), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if e.current.Load().index == nil {
			t.Fatal("no index for a long rule list")
		}
		for range 200 {
			var parts []string
			for range rng.IntN(5) {
				parts = append(parts, pick())
			}
			path := "/" + strings.Join(parts, "/")
			if rng.IntN(5) == 0 {
				path += "/"
			}
			method := []string{"GET", "POST"}[rng.IntN(2)]
			req := httptest.NewRequest(method, "http://backend.invalid"+path, nil)
			x := &exchange{}
			x.reset(req, e.bodyLimits)
			got := e.current.Load().find(x)
			var want *rule
			for _, r := range e.current.Load().all() {
				if x.applies(r) {
					want = r
					break
				}
			}
			if got != want {
				t.Fatalf("round %d: %s %s: index chose %v, in-order evaluation %v\n%s", round, method, path, name(e.current.Load(), got), name(e.current.Load(), want), b.String())
			}
		}
	}
}

func name(set *ruleSet, r *rule) string {
	if r == nil {
		return "<none>"
	}
	return set.name(r)
}

// TestPathIndexCandidates lists, for each request path, the rules the
// index offers, in order. It runs with full hashes and with hashes that
// make siblings collide (one bit, none): a segment whose hash equals a
// child's but whose text differs ("y" against "x", "ax" against "a") must
// not lead to that child.
func TestPathIndexCandidates(t *testing.T) {
	rulesJSON := `{"rules":[
		{"name":"a/x","match":{"path":"/a/x"},"response":{}},
		{"name":"b/x","match":{"path":"/b/x"},"response":{}},
		{"name":"a/*","match":{"path":"/a/*"},"response":{}},
		{"name":"any","match":{"methods":["GET"]},"response":{}},
		{"name":"a/x/**","match":{"path":"/a/x/**"},"response":{}},
		{"name":"a/","match":{"path":"/a/"},"response":{}},
		{"name":"~b","match":{"path":"~^/b/(x|y)"},"response":{}},
		{"name":"c","match":{"path":"/c"},"response":{}},
		{"name":"deep","match":{"path":"/1/2/3/4/5/6/7/8/9/10"},"response":{}},
		{"name":"a/x again","match":{"path":"/a/x"},"response":{}}
	]}`
	tests := []struct{ path, want string }{
		{"/a/x", "a/x, a/*, any, a/x/**, a/x again"},
		{"/a/x/", "a/x, a/*, any, a/x/**, a/x again"},
		{"/a/x/y/z", "a/x, a/*, any, a/x/**, a/x again"},
		{"/a/y", "a/*, any"},
		{"/a/", "a/*, any, a/"},
		{"/a", "a/*, any"}, // a candidate, not a match: the walk is by segment
		{"/ax", "any"},
		{"/b/x", "b/x, any, ~b"},
		{"/b/y", "any, ~b"},
		{"/c", "any, c"},
		{"/c/", "any, c"},
		{"/d", "any"},
		{"/", "any"},
		{"", "any"},
		{"a/x", "any"},
		{"/1/2/3/4/5/6/7/8/9/10", "any, deep"},
		{"/1/2/3/4/5/6/7", "any, deep"},
		{"/1/2/3/4/5/6", "any"},
	}
	for _, mask := range []uint64{^uint64(0), 1, 0} {
		t.Run(fmt.Sprintf("hash mask %#x", mask), func(t *testing.T) {
			set := setWithMask(t, rulesJSON, mask)
			idx := set.index
			if mask == 0 && !hasCollidingSiblings(idx) {
				t.Fatal("no two sibling segments share a hash: the collision path is not tested")
			}
			for _, tt := range tests {
				var got []string
				r, ok := idx.candidates(tt.path, func(r *rule) bool {
					got = append(got, set.name(r))
					return false
				})
				if r != nil || !ok {
					t.Fatalf("%q: candidates returned %v, %v after every try failed", tt.path, name(set, r), ok)
				}
				if s := strings.Join(got, ", "); s != tt.want {
					t.Errorf("%q: got %s, want %s", tt.path, s, tt.want)
				}
			}
			// The first rule try accepts is returned.
			r, ok := idx.candidates("/a/x", func(r *rule) bool { return set.name(r) == "any" })
			if !ok || name(set, r) != "any" {
				t.Errorf("/a/x accepting any: got %s, %v", name(set, r), ok)
			}
		})
	}
}

// setWithMask compiles a configuration into a rule set whose path index
// has segment hashes cut by mask.
func setWithMask(t *testing.T, rulesJSON string, mask uint64) *ruleSet {
	t.Helper()
	defer func(kept uint64) { segmentHashMask = kept }(segmentHashMask)
	segmentHashMask = mask
	e, err := New(context.Background(), decodeJSON(t, rulesJSON), Options{})
	if err != nil {
		t.Fatal(err)
	}
	set := e.current.Load()
	if set.index == nil {
		t.Fatal("no index")
	}
	return set
}

func hasCollidingSiblings(idx *pathIndex) bool {
	type key struct {
		parent int32
		hash   uint64
	}
	seen := map[key]bool{}
	for _, s := range idx.children {
		if s.child == 0 {
			continue
		}
		if seen[key{s.parent, s.hash}] {
			return true
		}
		seen[key{s.parent, s.hash}] = true
	}
	return false
}

// TestPathIndexTablesHoldNoPointers: the index's tables are what the
// collector would otherwise trace at every cycle; a pointer added to their
// element types would make it scan them again.
func TestPathIndexTablesHoldNoPointers(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[indexNode](), reflect.TypeFor[childSlot](), reflect.TypeFor[maphash.Seed]()} {
		if p := pointerIn(typ); p != "" {
			t.Errorf("%v holds a pointer: %s", typ, p)
		}
	}
}

// pointerIn names a field of typ that holds a pointer, or returns "".
func pointerIn(typ reflect.Type) string {
	switch typ.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return ""
	case reflect.Array:
		return pointerIn(typ.Elem())
	case reflect.Struct:
		for i := range typ.NumField() {
			if p := pointerIn(typ.Field(i).Type); p != "" {
				return typ.Field(i).Name + "." + p
			}
		}
		return ""
	}
	return typ.Kind().String()
}

// TestPathIndexLookupDoesNotAllocate, with full hashes and with colliding
// ones.
func TestPathIndexLookupDoesNotAllocate(t *testing.T) {
	for _, mask := range []uint64{^uint64(0), 0} {
		idx := setWithMask(t, rulesConfig(100, "path"), mask).index
		no := func(*rule) bool { return false }
		for _, path := range []string{"/svc42/orders/1", "/svc99", "/elsewhere/orders/1"} {
			if n := testing.AllocsPerRun(100, func() { idx.candidates(path, no) }); n != 0 {
				t.Errorf("mask %#x, %s: %v allocations per lookup", mask, path, n)
			}
		}
	}
}
