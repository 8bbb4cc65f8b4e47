package rules

import (
	"fmt"
	"krakend-rules/config"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnreachableRules: the second rule of each configuration is (or is
// not) reported as never applying because of the first.
func TestUnreachableRules(t *testing.T) {
	const first = `rules[1]: never applies: rule "a" (rules[0]) comes first and `
	covered := first + "applies to every request this one matches"
	matchAll := first + "has no conditions: it applies to every request"
	tests := []struct {
		name, a, b string
		want       string // "" when rule b can apply
	}{
		{"match-all first", `{}`, `{"match": {"path": "/x"}}`, matchAll},
		{"empty match first", `{"match": {}}`, `{}`, matchAll},
		{"identical conditions", `{"match": {"path": "/x/*", "methods": ["GET"], "headers": {"X-A": "1"}}}`,
			`{"match": {"path": "/x/*", "methods": ["get"], "headers": {"x-a": "1"}}}`, covered},
		{"fewer conditions", `{"match": {"methods": ["GET"]}}`, `{"match": {"methods": ["GET"], "query": {"q": "*"}}}`, covered},
		{"wider method set", `{"match": {"methods": ["GET", "POST"]}}`, `{"match": {"methods": ["POST"]}}`, covered},
		{"narrower method set", `{"match": {"methods": ["POST"]}}`, `{"match": {"methods": ["GET", "POST"]}}`, ""},
		{"methods against any method", `{"match": {"methods": ["GET"]}}`, `{}`, ""},
		{"glob over a literal path", `{"match": {"path": "/orders/*"}}`, `{"match": {"path": "/orders/7"}}`, covered},
		{"glob not matching the literal path", `{"match": {"path": "/orders/*"}}`, `{"match": {"path": "/orders/7/items"}}`, ""},
		{"globstar over a glob", `{"match": {"path": "/orders/**"}}`, `{"match": {"path": "/orders/*/items"}}`, covered},
		{"globstar over a regexp", `{"match": {"path": "/orders/**"}}`, `{"match": {"path": "~^/orders/[0-9]+$"}}`, ""},
		{"root globstar over anything", `{"match": {"path": "/**"}}`, `{"match": {"path": "~^/orders/[0-9]+$"}}`, covered},
		{"globstar on another prefix", `{"match": {"path": "/orders/**"}}`, `{"match": {"path": "/ordersx/*"}}`, ""},
		{"narrower glob first", `{"match": {"path": "/orders/1"}}`, `{"match": {"path": "/orders/*"}}`, ""},
		{"negated path", `{"match": {"path": "!/admin/**"}}`, `{"match": {"path": "/users/1"}}`, ""},
		{"same negated path", `{"match": {"path": "!/admin/**"}}`, `{"match": {"path": "!/admin/**", "methods": ["GET"]}}`, covered},
		{"other header value", `{"match": {"headers": {"X-A": "1"}}}`, `{"match": {"headers": {"X-A": "2"}}}`, ""},
		{"query keys are case-sensitive", `{"match": {"query": {"Q": "1"}}}`, `{"match": {"query": {"q": "1"}}}`, ""},
		{"same body condition", `{"match": {"body": {"a.b": "x"}}}`, `{"match": {"body": {"a.b": "x"}, "path": "/p"}}`, covered},
		{"same body_json", `{"match": {"body_json": {"a": [1, 2]}}}`, `{"match": {"body_json": {"a": [1, 2]}}}`, covered},
		{"body_json in any order covers in order", `{"match": {"body_json": {"a": [1, 2]}, "ignore_array_order": true}}`, `{"match": {"body_json": {"a": [1, 2]}}}`, covered},
		{"lenient body_json covers strict", `{"match": {"body_json": {"a": 1}}}`, `{"match": {"body_json": {"a": 1}, "ignore_extra_fields": false}}`, covered},
		{"strict body_json does not cover lenient", `{"match": {"body_json": {"a": 1}, "ignore_extra_fields": false}}`, `{"match": {"body_json": {"a": 1}}}`, ""},
		{"body_json in order does not cover any order", `{"match": {"body_json": {"a": [1, 2]}}}`, `{"match": {"body_json": {"a": [1, 2]}, "ignore_array_order": true}}`, ""},
		{"wider address range", `{"match": {"remote_ip": ["10.0.0.0/8"]}}`, `{"match": {"remote_ip": ["10.1.0.0/16", "10.2.3.4"]}}`, covered},
		{"address range partly outside", `{"match": {"remote_ip": ["10.0.0.0/16"]}}`, `{"match": {"remote_ip": ["10.0.0.0/8"]}}`, ""},
		{"an alternative of any is implied", `{"match": {"any": [{"headers": {"X-B": "1"}}, {"methods": ["GET"]}]}}`, `{"match": {"methods": ["GET"], "path": "/p"}}`, covered},
		{"no alternative of any is implied", `{"match": {"any": [{"headers": {"X-B": "1"}}, {"methods": ["GET"]}]}}`, `{"match": {"methods": ["POST"]}}`, ""},
		{"same not", `{"match": {"not": {"methods": ["GET"]}}}`, `{"match": {"not": {"methods": ["GET"]}, "path": "/p"}}`, covered},
		{"other not", `{"match": {"not": {"methods": ["GET"]}}}`, `{"match": {"not": {"methods": ["POST"]}}}`, ""},
		{"first has a probability", `{"probability": 0.5}`, `{}`, ""},
		{"first is certain", `{"probability": 1}`, `{}`, matchAll},
		{"first has a time window", `{"active": {"days": ["mon"]}}`, `{}`, ""},
		{"second has a time window", `{}`, `{"active": {"days": ["mon"]}}`, matchAll},
		{"host", `{"match": {"host": "*.example.com"}}`, `{"match": {"host": "*.example.com", "path": "/p"}}`, covered},
		{"a delegate rule covers too", `{"match": {"path": "/p"}, "delegate": {}}`, `{"match": {"path": "/p", "methods": ["GET"]}}`, covered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fmt.Sprintf(`{"rules": [%s, %s]}`, withAction(tt.a, "a"), withAction(tt.b, "b"))
			checked, err := Check(decodeJSON(t, cfg))
			if err != nil {
				t.Fatalf("config rejected: %v\n%s", err, cfg)
			}
			var got []string
			for _, w := range checked.Warnings {
				got = append(got, w.String())
			}
			want := []string{}
			if tt.want != "" {
				want = []string{tt.want}
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s\n got: %q\nwant: %q", cfg, got, want)
			}
		})
	}
}

// withAction names a rule and gives it a response unless it has an action.
func withAction(rule, name string) string {
	body := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(rule), "{"), "}")
	if !strings.Contains(body, `"delegate"`) {
		if body != "" {
			body += ", "
		}
		body += `"response": {}`
	}
	return fmt.Sprintf(`{"name": %q, %s}`, name, body)
}

func TestProbabilityZeroNeverApplies(t *testing.T) {
	checked, err := Check(decodeJSON(t, `{"rules": [{"probability": 0, "response": {}}, {"response": {}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if w := checked.Warnings; len(w) != 1 || w[0].String() != "rules[0]: never applies: its probability is 0" {
		t.Errorf("got %v", w)
	}
}

// TestPathCoversIsSound: whenever pathCovers says e covers l, every sample
// path that l's pattern accepts is accepted by e's too; and it says so for
// the pairs where that is plain.
func TestPathCoversIsSound(t *testing.T) {
	patterns := []string{
		"/**", "**", "/orders/**", "/orders/*", "/orders/*/items", "/orders/1", "/orders{,/**}",
		"/orders**", "/orders/{1,2}", "/orders/[0-9]", "/a/**/z", "/a/z", "/a/b/c/z", "/*", "/",
		"~^/orders/[0-9]+$", "!/admin/**", "/admin/x", "/orders/", "/order?/1",
	}
	paths := []string{
		"/", "/orders", "/orders/", "/orders/1", "/orders/2", "/orders/12", "/orders/1/items",
		"/orders/x/items", "/ordersx", "/ordersx/1", "/a/z", "/a/b/c/z", "/a/b", "/admin/x",
		"/admin", "/users/1", "/order1/1",
	}
	compiled := map[string]pattern{}
	for _, src := range patterns {
		p, err := compilePattern(pathGlobs, src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		compiled[src] = p
	}
	for _, e := range patterns {
		for _, l := range patterns {
			if !pathCovers(e, nil, l) {
				continue
			}
			for _, path := range paths {
				if compiled[l].matchOne(path) && !compiled[e].matchOne(path) {
					t.Errorf("pathCovers(%q, %q), but %q matches only the second", e, l, path)
				}
			}
		}
	}
	for _, pair := range [][2]string{
		{"/**", "~^/orders/[0-9]+$"}, {"/orders/**", "/orders/*/items"}, {"/orders/*", "/orders/1"},
		{"/orders{,/**}", "/orders"}, {"/orders**", "/ordersx/*"}, {"/a/**/z", "/a/b/c/z"},
	} {
		if !pathCovers(pair[0], nil, pair[1]) {
			t.Errorf("pathCovers(%q, %q) = false", pair[0], pair[1])
		}
	}
}

// TestUnreachableRulesAreLogged: the engine logs the warning when it loads
// the rules, and again for a rules_file that brings one.
func TestUnreachableRulesAreLogged(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rules.json")
	if err := os.WriteFile(file, []byte(`{"rules": [{"name": "late", "match": {"path": "/a/1"}, "response": {}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	log := &testLogger{}
	config := fmt.Sprintf(`{"rules_file": %q, "rules": [{"name": "all-a", "match": {"path": "/a/*"}, "response": {}}]}`, file)
	newEngine(t, config, log)
	log.contains(t, "WARNING", fmt.Sprintf(`rules_file(%s).rules[0]: never applies: rule "all-a" (rules[0]) comes first and applies to every request this one matches`, file))
}

// TestCheck: Check reports what New would, rules_file included, without
// watching anything.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	withSchema := filepath.Join(dir, "with-schema.json")
	badSchema := filepath.Join(dir, "bad-schema.json")
	os.WriteFile(withSchema, []byte(`{"$schema": "../schema/rules-file.schema.json", "rules": []}`), 0o644)
	os.WriteFile(badSchema, []byte(`{"$schema": true, "rules": []}`), 0o644)
	os.WriteFile(good, []byte(`{"rules": [{"name": "f", "response": {}}]}`), 0o644)
	os.WriteFile(bad, []byte(`{"rules": [{"name": "f", "match": {"path": "[a-"}, "response": {}}]}`), 0o644)
	tests := []struct {
		name, config, want string
	}{
		{"valid", `{"rules": [{"response": {}}]}`, ""},
		{"invalid inline rule", `{"rules": [{"response": {"status": 99}}]}`, "rules[0].response.status: must be an HTTP status from 100 to 599, got 99"},
		{"missing rules_file", fmt.Sprintf(`{"rules_file": %q}`, filepath.Join(dir, "none.json")),
			"rules_file: cannot be read: " + filepath.Join(dir, "none.json") + ": no such file or directory"},
		{"invalid rules_file", fmt.Sprintf(`{"rules_file": %q}`, bad),
			fmt.Sprintf(`rules_file(%s).rules[0].match.path: bad glob "[a-": syntax error at 3: unexpected end of input`, bad)},
		{"duplicate name across inline and file", fmt.Sprintf(`{"rules_file": %q, "rules": [{"name": "f", "match": {"path": "/x"}, "response": {}}]}`, good),
			fmt.Sprintf(`rules_file(%s).rules[0].name: duplicate rule name "f" (also rules[0])`, good)},
		{"valid rules_file", fmt.Sprintf(`{"rules_file": %q}`, good), ""},
		{"a rules_file naming its JSON Schema", fmt.Sprintf(`{"rules_file": %q}`, withSchema), ""},
		{"a rules_file with a $schema that is not a string", fmt.Sprintf(`{"rules_file": %q}`, badSchema),
			fmt.Sprintf(`rules_file(%s).$schema: must be a string (the URL or path of a JSON Schema), got a boolean`, badSchema)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Check(decodeJSON(t, tt.config))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}

	checked, err := Check(decodeJSON(t, fmt.Sprintf(`{"rules_file": %q, "rules": [{"name": "g", "response": {}}]}`, good)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range checked.Rules {
		names = append(names, r.Name)
	}
	want := "rules[0] rules_file(" + good + ").rules[0]"
	var locs []string
	for _, l := range checked.Locations {
		locs = append(locs, l.String())
	}
	if got := strings.Join(locs, " "); got != want || strings.Join(names, " ") != "g f" {
		t.Errorf("rules %q at %q, want g f at %q", names, got, want)
	}
	if len(checked.Warnings) != 1 || !strings.Contains(checked.Warnings[0].String(), `rule "g" (rules[0]) comes first`) {
		t.Errorf("warnings: %v", checked.Warnings)
	}
}

// TestUnreachableRulesFindWhatComparingEveryPairFinds: the candidates the
// path maps pick lose nothing. Random rule lists built from a few paths,
// methods, headers, probabilities and windows get the same warnings as a
// reference that compares every pair.
func TestUnreachableRulesFindWhatComparingEveryPairFinds(t *testing.T) {
	paths := []string{"", "/**", "/orders/**", "/orders/*", "/orders/1", "/orders/1/items", "/orders{,/**}",
		"/users/*", "/users/1", "~^/orders/[0-9]+$", "!/admin/**", "/o*", "/orders/*/items"}
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		var rules []string
		for i := range 2 + r.IntN(12) {
			var conds []string
			if p := paths[r.IntN(len(paths))]; p != "" {
				conds = append(conds, fmt.Sprintf(`"path": %q`, p))
			}
			if r.IntN(3) == 0 {
				conds = append(conds, []string{`"methods": ["GET"]`, `"methods": ["GET", "POST"]`}[r.IntN(2)])
			}
			if r.IntN(3) == 0 {
				conds = append(conds, fmt.Sprintf(`"headers": {"X-A": "%d"}`, r.IntN(2)))
			}
			extra := ""
			switch r.IntN(8) {
			case 0:
				extra = `"probability": 0.5, `
			case 1:
				extra = `"active": {"days": ["mon"]}, `
			}
			rules = append(rules, fmt.Sprintf(`{"name": "r%d", %s"match": {%s}, "response": {}}`, i, extra, strings.Join(conds, ", ")))
		}
		cfg := `{"rules": [` + strings.Join(rules, ",") + `]}`
		checked, err := Check(decodeJSON(t, cfg))
		if err != nil {
			t.Fatalf("%v\n%s", err, cfg)
		}
		var got []string
		for _, w := range checked.Warnings {
			got = append(got, w.String())
		}

		// The reference: every earlier rule against every later one.
		e, err := Compile(&config.Config{Rules: checked.Rules}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		set := e.current.Load()
		drafts := make([]ruleDraft, len(checked.Rules)) // as compileRules makes them, shapes need their path conditions
		for i := range drafts {
			var errs config.Errors
			drafts[i].ruleExtras = &ruleExtras{probability: 1}
			compileRule(&errs, config.At("rules").Index(i), &drafts[i], &checked.Rules[i], e.backend, new([]ConditionRead), conditionCache{})
		}
		var want []string
		for j := range checked.Rules {
			lj := newRuleShape(&checked.Rules[j], &drafts[j])
			for i := range j {
				li := newRuleShape(&checked.Rules[i], &drafts[i])
				if covers(&li, &lj) {
					want = append(want, fmt.Sprintf("%s: never applies: rule %q (%s) comes first", checked.Locations[j], set.name(&set.rules[i]), checked.Locations[i]))
					break
				}
			}
		}
		ok := len(got) == len(want)
		for k := 0; ok && k < len(got); k++ {
			ok = strings.HasPrefix(got[k], want[k])
		}
		if !ok {
			t.Fatalf("round %d:\n%s\n got: %q\nwant: %q", round, cfg, got, want)
		}
	}
}

// TestUnreachableRulesStopAtTheirBound: a list whose rules all share a path
// is compared pair by pair until the bound, and the rest is said to be
// unchecked rather than silently passed over.
func TestUnreachableRulesStopAtTheirBound(t *testing.T) {
	var rules []string
	for i := range 1500 {
		rules = append(rules, fmt.Sprintf(`{"name": "r%d", "match": {"path": "/orders/*", "headers": {"X-Tenant": "t%d"}}, "response": {}}`, i, i))
	}
	checked, err := Check(decodeJSON(t, `{"rules": [`+strings.Join(rules, ",")+`]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := "rules[1414]: this rule and the 85 after it were not checked for rules that never apply: more than 1000000 comparisons of rules that could pre-empt one another"
	if len(checked.Warnings) != 1 || checked.Warnings[0].String() != want {
		t.Errorf("got %v\nwant %s", checked.Warnings, want)
	}
}
