package rules

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
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
func TestIndexKeepsFirstMatchOrder(t *testing.T) {
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
			for _, r := range e.current.Load().rules {
				if x.applies(r) {
					want = r
					break
				}
			}
			if got != want {
				t.Fatalf("round %d: %s %s: index chose %v, in-order evaluation %v\n%s", round, method, path, name(got), name(want), b.String())
			}
		}
	}
}

func name(r *rule) string {
	if r == nil {
		return "<none>"
	}
	return r.name
}
