package rules

import (
	"context"
	"testing"
)

// TestPackLayout: after packing, each rule's name, literal conditions and
// static answer are read back from the set's tables as configured; a rule
// without extras has extras 0 (noExtras, never written) and one with any
// has its own; literal conditions and static answers are in their
// pointer-free tables and the rest in the general ones; identical
// conditions and header lists are kept once.
func TestPackLayout(t *testing.T) {
	e, err := New(context.Background(), decodeJSON(t, `{"rules":[
		{"name":"plain","match":{"path":"/a/**","methods":["GET"]},"response":{"body":{"a":1}}},
		{"name":"drawn","match":{"path":"/b/{id}"},"probability":0.5,"response":{"body":{"b":2}}},
		{"name":"slow","match":{"path":"/c"},"delay":"1ms","response":{"body":"c"}},
		{"name":"params","match":{"path":"~^/d/(?P<id>[0-9]+)$"},"response":{"body":{"d":4}}},
		{"name":"plain2","match":{"path":"/e/**","methods":["GET"],"headers":{"X-T":"x"}},"response":{"status":204}},
		{"name":"templated","match":{"path":"!/f","headers":{"X-T":"x"}},"response":{"body":{"p":"{{ .Path }}"}}}]}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	set := e.current.Load()
	for _, tc := range []struct {
		name, literal, body string
		extras, static      bool
		probability         float64
	}{
		{name: "plain", literal: "/a/**", body: `{"a":1}`, static: true, probability: 1},
		{name: "drawn", body: `{"b":2}`, extras: true, static: true, probability: 0.5},
		{name: "slow", literal: "/c", body: `"c"`, extras: true, static: true, probability: 1},
		{name: "params", body: `{"d":4}`, extras: true, static: true, probability: 1},
		{name: "plain2", literal: "/e/**", static: true, probability: 1},
		{name: "templated", literal: "!/f", probability: 1},
	} {
		r := ruleNamed(t, set, tc.name)
		if got := r.extras != 0; got != tc.extras {
			t.Errorf("%s: own extras %v, want %v", tc.name, got, tc.extras)
		}
		if got := set.extrasOf(r).probability; got != tc.probability {
			t.Errorf("%s: probability %v, want %v", tc.name, got, tc.probability)
		}
		var literal string
		for _, ref := range set.refs[r.conds.at : r.conds.at+r.conds.n] {
			if l := &set.literals[ref.at]; ref.literal && l.on == onPath {
				literal = set.literalPattern(l).src
			}
		}
		if literal != tc.literal {
			t.Errorf("%s: literal path %q, want %q", tc.name, literal, tc.literal)
		}
		if r.static != tc.static {
			t.Fatalf("%s: static %v, want %v", tc.name, r.static, tc.static)
		}
		if a, ok := set.actionOf(r).(*response); !ok || tc.static && string(a.body) != tc.body {
			t.Errorf("%s: answer %+v, want a response with body %q", tc.name, a, tc.body)
		}
	}
	if !noExtras.none() || noExtras.probability != 1 || !set.extras[0].none() {
		t.Errorf("noExtras was written: %+v, %+v", noExtras, set.extras[0])
	}
	if set.extrasOf(ruleNamed(t, set, "params")).pathParams == nil {
		t.Error("params: no path parameters after packing")
	}
	// Both GET conditions are one; "/b/{id}" and the regexp need an
	// automaton, so they are general conditions. The X-T conditions are
	// literal, each rule's its own.
	if len(set.conds) != 3 {
		t.Errorf("%d general conditions, want 3 (GET, /b/{id}, the regexp): %v", len(set.conds), set.conds)
	}
	headers := 0
	for _, l := range set.literals {
		if l.on == onHeader {
			headers++
			if p := set.literalPattern(&l); set.text[l.name.at:l.name.at+l.name.n] != "X-T" || p.src != "x" || !p.litExact {
				t.Errorf("header condition %q %+v, want X-T, exact x", set.text[l.name.at:l.name.at+l.name.n], p)
			}
		}
	}
	if headers != 2 {
		t.Errorf("%d literal header conditions, want 2", headers)
	}
	if len(set.actions) != 1 || len(set.answers) != 5 {
		t.Errorf("%d general actions and %d static answers, want 1 and 5", len(set.actions), len(set.answers))
	}
	// The lists: none ([0]), Content-Type with Content-Length 7 (plain,
	// drawn and params share it), with 3 (slow), and alone (the 204).
	if len(set.headers) != 4 {
		t.Errorf("%d header lists, want 4: %v", len(set.headers), set.headers)
	}
}

func ruleNamed(t *testing.T, set *ruleSet, name string) *rule {
	t.Helper()
	for _, r := range set.all() {
		if set.name(r) == name {
			return r
		}
	}
	t.Fatalf("no rule %q", name)
	return nil
}
