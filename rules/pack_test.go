package rules

import (
	"context"
	"testing"
)

// TestPackSharesOnlyEmptyExtras: after packing, a rule without extras
// points at the shared noExtras, a rule with any has its own, and the
// shared value is never written; each rule's conditions, name, path
// pattern and static body are its own, capped so that an append cannot
// reach a neighbour's.
func TestPackSharesOnlyEmptyExtras(t *testing.T) {
	e, err := New(context.Background(), decodeJSON(t, `{"rules":[
		{"name":"plain","match":{"path":"/a/**","methods":["GET"]},"response":{"body":{"a":1}}},
		{"name":"drawn","match":{"path":"/b/{id}"},"probability":0.5,"response":{"body":{"b":2}}},
		{"name":"slow","match":{"path":"/c"},"delay":"1ms","response":{"body":"c"}},
		{"name":"params","match":{"path":"~^/d/(?P<id>[0-9]+)$"},"response":{"body":{"d":4}}},
		{"name":"plain2","match":{"path":"/e/**","headers":{"X-T":"x"}},"response":{"status":204}}]}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"plain": true, "drawn": false, "slow": false, "params": false, "plain2": true}
	set := e.current.Load()
	for _, r := range set.all() {
		if shared := r.ruleExtras == &noExtras; shared != want[r.name] {
			t.Errorf("%s: shares noExtras %v, want %v", r.name, shared, want[r.name])
		}
		if cap(r.conditions) != len(r.conditions) {
			t.Errorf("%s: conditions cap %d > len %d", r.name, cap(r.conditions), len(r.conditions))
		}
		if a, ok := r.action.(*response); ok && cap(a.body) != len(a.body) {
			t.Errorf("%s: body cap %d > len %d", r.name, cap(a.body), len(a.body))
		}
	}
	if !noExtras.none() || noExtras.probability != 1 {
		t.Errorf("noExtras was written: %+v", noExtras)
	}
	if got := set.rules[1].probability; got != 0.5 {
		t.Errorf("drawn: probability %v", got)
	}
	if set.rules[3].pathParams == nil {
		t.Error("params: no path parameters after packing")
	}
	for _, tc := range []struct{ name, path, body string }{
		{"plain", "/a/**", `{"a":1}`}, {"drawn", "/b/{id}", `{"b":2}`}, {"slow", "/c", `"c"`}, {"plain2", "/e/**", ""},
	} {
		r := ruleNamed(t, set, tc.name)
		var src string
		for _, c := range r.conditions {
			if pc, ok := c.(*pathCondition); ok {
				src = pc.src
			}
		}
		if src != tc.path {
			t.Errorf("%s: path %q, want %q", tc.name, src, tc.path)
		}
		if a := r.action.(*response); string(a.body) != tc.body {
			t.Errorf("%s: body %q, want %q", tc.name, a.body, tc.body)
		}
	}
}

func ruleNamed(t *testing.T, set *ruleSet, name string) *rule {
	t.Helper()
	for _, r := range set.all() {
		if r.name == name {
			return r
		}
	}
	t.Fatalf("no rule %q", name)
	return nil
}
