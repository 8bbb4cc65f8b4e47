// Package schema holds the JSON Schemas of the plugin's configuration
// (krakend-rules.schema.json) and of a rules_file (rules-file.schema.json),
// for editor completion and validation. This test keeps them true to the
// decoder and compiler in krakend-rules/rules: everything the engine accepts
// validates, every structural mistake it rejects is rejected, and each
// object lists exactly the fields the decoder knows.
package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"krakend-rules/config"
	"krakend-rules/rules"
)

const (
	mainFile      = "krakend-rules.schema.json"
	rulesFileFile = "rules-file.schema.json"
)

// schemaCannotTell lists the invalid configurations of
// ../rules/testdata/invalid that the schema accepts, each with why no JSON
// Schema can reject it. It must stay exact: a case missing here that the
// schema accepts is a structural rule the schema lacks, and a case listed
// here that the schema rejects must leave the list.
var schemaCannotTell = map[string]string{
	// Pattern syntax: gobwas/glob and RE2 syntax errors.
	"bad-body-glob":               "glob syntax",
	"bad-cookie-glob":             "glob syntax",
	"bad-glob-inside-any-and-not": "glob syntax",
	"bad-header-glob":             "glob syntax",
	"bad-host-glob":               "glob syntax",
	"bad-path-glob":               "glob syntax",
	"bad-query-glob":              "glob syntax",
	"bad-negated-header-regexp":   "RE2 syntax (a repeat count {2,1})",
	"bad-path-regexp":             "RE2 syntax",

	// Go text/template: parsing, the functions defined, env's literal names.
	"bad-body-template":                                       "template syntax",
	"bad-header-template":                                     "template syntax",
	"bad-request-header-template":                             "template syntax",
	"delegate-to-bad-template":                                "template syntax (any \"to\" with {{ is a template)",
	"shadow-bad-template":                                     "template syntax in a body string leaf",
	"env-with-a-forbidden-literal":                            "env's argument inside a template",
	"template-calls-an-unknown-function-in-a-delegate-header": "the template function set",
	"template-reading-a-file":                                 "the template function set",
	"unknown-function-in-body":                                "the template function set",

	// Values checked against the world, or against each other.
	"body-file-missing":         "whether a file exists",
	"duplicate-names":           "uniqueness of a field across array items",
	"duplicate-default-names":   "a name against the default names rule[i]",
	"remote-ip-bad-range":       "IP address and CIDR syntax",
	"active-unknown-zone":       "the IANA zone database",
	"active-until-before-from":  "comparing two times",
	"active-empty-between":      "comparing the two ends of between",
	"delay-range-backwards":     "comparing the two ends of a delay range",
	"reload-interval-too-short": "a duration's value (at least 100ms)",
	"delay-too-long":            "a duration's value (at most 1h)",

	// Answers.
	"body-dir-missing":                  "whether a directory exists",
	"body-file-outside-body-dir":        "where a path leads in the file system",
	"body-file-template-ending-in-tmpl": "a template's name against its suffix",
	"header-list-control-byte":          "control bytes in header values",
	"header-null-not-content-type":      "null only for Content-Type, a case-insensitive name",
}

// TestSchemasCompile compiles both schemas, against the draft 2020-12
// meta-schema, without any network.
func TestSchemasCompile(t *testing.T) {
	s := loadSchemas(t)
	for _, doc := range []map[string]any{s.mainDoc, s.rulesFileDoc} {
		if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema is %v, want draft 2020-12", doc["$id"], doc["$schema"])
		}
	}
	// The rules_file schema reuses the rule definition, by reference to the
	// first schema's $id (absolute, or relative to its own $id); it does not
	// copy it.
	items := s.rulesFileDoc["properties"].(map[string]any)["rules"].(map[string]any)["items"].(map[string]any)
	ref, _ := items["$ref"].(string)
	base, err := url.Parse(s.rulesFileDoc["$id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(ref)
	if err != nil {
		t.Fatal(err)
	}
	if want := s.mainID + "#/$defs/rule"; len(items) != 1 || base.ResolveReference(target).String() != want {
		t.Errorf("%s: rules items are %v, want {\"$ref\": %q}", rulesFileFile, items, want)
	}
}

// TestValidConfigurations validates every configuration the engine's own
// tests accept.
func TestValidConfigurations(t *testing.T) {
	s := loadSchemas(t)
	files, err := filepath.Glob("../rules/testdata/valid/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid configurations found (%v)", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			inst, raw := readJSON(t, file)
			if err := engineAccepts(raw); err != nil {
				t.Fatalf("the engine rejects it (the test data is wrong):\n%v", err)
			}
			if err := s.main.Validate(inst); err != nil {
				t.Errorf("the schema rejects a configuration the engine accepts:\n%v", err)
			}
			// Its rules, as a rules_file.
			if rulesList, ok := inst.(map[string]any)["rules"]; ok {
				if err := s.rulesFile.Validate(map[string]any{"rules": rulesList}); err != nil {
					t.Errorf("the rules_file schema rejects its rules:\n%v", err)
				}
			}
		})
	}
}

// TestExamples validates every "krakend-rules" object of
// examples/krakend.json, where backends configure the plugin.
func TestExamples(t *testing.T) {
	s := loadSchemas(t)
	doc, _ := readJSON(t, "../examples/krakend.json")

	// Count the plugin/http-client objects naming the plugin, wherever they
	// are, so that the walk below cannot miss some and pass.
	naming := 0
	var count func(v any)
	count = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if c, ok := x.(map[string]any); ok && k == "plugin/http-client" && c["name"] == "krakend-rules" {
					naming++
				}
				count(x)
			}
		case []any:
			for _, x := range v {
				count(x)
			}
		}
	}
	count(doc)
	if naming == 0 {
		t.Fatal("no backend of examples/krakend.json names the plugin")
	}

	found := 0
	endpoints, _ := doc.(map[string]any)["endpoints"].([]any)
	for i, ep := range endpoints {
		backends, _ := ep.(map[string]any)["backend"].([]any)
		for j, be := range backends {
			extra, _ := be.(map[string]any)["extra_config"].(map[string]any)
			client, _ := extra["plugin/http-client"].(map[string]any)
			if client == nil {
				continue
			}
			where := fmt.Sprintf("endpoints[%d] (%v).backend[%d]", i, ep.(map[string]any)["endpoint"], j)
			cfg, ok := client["krakend-rules"]
			if !ok {
				if client["name"] == "krakend-rules" {
					t.Errorf("%s names the plugin but has no krakend-rules object", where)
				}
				continue
			}
			found++
			if err := s.main.Validate(cfg); err != nil {
				t.Errorf("%s: the schema rejects its krakend-rules object:\n%v", where, err)
			}
		}
	}
	if found < naming {
		t.Errorf("found %d krakend-rules objects, but %d backends name the plugin", found, naming)
	}
	t.Logf("%d krakend-rules objects of examples/krakend.json validate", found)
}

// TestInvalidConfigurations checks every configuration the engine rejects:
// the schema rejects it too, unless it is listed in schemaCannotTell.
func TestInvalidConfigurations(t *testing.T) {
	s := loadSchemas(t)
	files, err := filepath.Glob("../rules/testdata/invalid/*.json")
	if err != nil || len(files) < 40 {
		t.Fatalf("want at least 40 invalid configurations, found %d (%v)", len(files), err)
	}
	seen := map[string]bool{}
	rejected := 0
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			inst, _ := readJSON(t, file)
			report, _ := os.ReadFile(strings.TrimSuffix(file, ".json") + ".err")
			err := s.main.Validate(inst)
			why, listed := schemaCannotTell[name]
			switch {
			case err == nil && !listed:
				t.Errorf("the schema accepts it, but the engine rejects it with:\n%s"+
					"Make the schema reject it, or, if no schema can, add %q to schemaCannotTell with why.", report, name)
			case err != nil && listed:
				t.Errorf("schemaCannotTell lists it (%s), but the schema rejects it now:\n%v\nRemove it from the list.", why, err)
			case err != nil:
				rejected++
			}
		})
	}
	for name := range schemaCannotTell {
		if !seen[name] {
			t.Errorf("schemaCannotTell lists %q, which is not in ../rules/testdata/invalid", name)
		}
	}
	t.Logf("%d invalid configurations: %d rejected by the schema, %d only the engine can tell", len(files), rejected, len(schemaCannotTell))
}

// TestFieldsMatchDecoder compares, for each kind of object, the fields the
// decoder knows (the list its "unknown field" error gives) with the
// properties the schema lists at the same place, reached from the root the
// way a document would reach it, through $refs.
func TestFieldsMatchDecoder(t *testing.T) {
	s := loadSchemas(t)
	places := [][]string{
		{}, // the krakend-rules object
		{"rules", "[]"},
		{"rules", "[]", "match"},
		{"rules", "[]", "match", "any", "[]"},
		{"rules", "[]", "match", "not"},
		{"rules", "[]", "response"},
		{"rules", "[]", "responses", "[]"},
		{"rules", "[]", "delegate"},
		{"rules", "[]", "delegate", "fallback"},
		{"rules", "[]", "delegate", "fallback", "response"},
		{"rules", "[]", "delegate", "fallback", "responses", "[]"},
		{"rules", "[]", "delegate", "shadow"},
		{"rules", "[]", "delegate", "static"},
		{"rules", "[]", "active"},
	}
	for _, place := range places {
		name := "krakend-rules"
		if len(place) > 0 {
			name = strings.Join(place, ".")
		}
		t.Run(name, func(t *testing.T) {
			known := decoderFields(t, place)
			sch := s.resolve(t, s.mainDoc, place)
			if sch["additionalProperties"] != false {
				t.Errorf("the schema object has no \"additionalProperties\": false")
			}
			props, _ := sch["properties"].(map[string]any)
			var listed []string
			for k := range props {
				listed = append(listed, k)
			}
			sort.Strings(listed)
			if !slices.Equal(known, listed) {
				t.Errorf("the decoder knows %v\nthe schema lists  %v", known, listed)
			}
		})
	}

	// A rules_file object knows "rules" and "$schema" only: the engine says
	// so for any other field, and the schema lists exactly those.
	dir := t.TempDir()
	for _, c := range []struct {
		content string
		bad     bool
	}{
		{`{"rules": []}`, false},
		{`{}`, false},
		{`{"rules": [], "zzz": 1}`, true},
		{`{"$schema": "../schema/rules-file.schema.json", "rules": []}`, false},
		{`{"$schema": 1, "rules": []}`, true},
	} {
		file := filepath.Join(dir, "rules.json")
		if err := os.WriteFile(file, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		log := loadRulesFile(t, file)
		if got := strings.Contains(log, "invalid configuration"); got != c.bad {
			t.Errorf("rules_file %s: the engine logged %q", c.content, log)
		}
		var inst any
		if err := json.Unmarshal([]byte(c.content), &inst); err != nil {
			t.Fatal(err)
		}
		if err := s.rulesFile.Validate(inst); (err != nil) != c.bad {
			t.Errorf("rules_file %s: the schema says %v", c.content, err)
		}
	}
	if props := s.rulesFileDoc["properties"].(map[string]any); len(props) != 2 || props["rules"] == nil || props["$schema"] == nil || s.rulesFileDoc["additionalProperties"] != false {
		t.Errorf("%s must list exactly \"$schema\" and \"rules\", with \"additionalProperties\": false", rulesFileFile)
	}
}

// TestRulesFileLoads validates the rules of each valid configuration as a
// rules_file and loads it in the engine, so that the rules_file schema and
// the engine agree on the file form too.
func TestRulesFileLoads(t *testing.T) {
	s := loadSchemas(t)
	files, _ := filepath.Glob("../rules/testdata/valid/*.json")
	dir := t.TempDir()
	for _, file := range files {
		inst, _ := readJSON(t, file)
		content, err := json.Marshal(map[string]any{"rules": inst.(map[string]any)["rules"]})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, filepath.Base(file))
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		beside := map[string]any{}
		if hosts, ok := inst.(map[string]any)["callback_hosts"]; ok {
			beside["callback_hosts"] = hosts
		}
		if log := loadRulesFile(t, path, beside); log != "" {
			t.Errorf("%s as a rules_file: the engine logged %s", file, log)
		}
		var fileInst any
		if err := json.Unmarshal(content, &fileInst); err != nil {
			t.Fatal(err)
		}
		if err := s.rulesFile.Validate(fileInst); err != nil {
			t.Errorf("%s as a rules_file: the schema rejects it:\n%v", file, err)
		}
	}
}

// TestStructureAgrees builds every combination of the fields whose presence
// the engine constrains (the actions of a rule and of a fallback, mode,
// bodies and bodiless statuses, ignore_array_order, reload_interval, the
// parts of a time window) and checks that the schema and the engine agree
// on each, both ways.
func TestStructureAgrees(t *testing.T) {
	s := loadSchemas(t)
	bodyFile, err := filepath.Abs("../examples/mocks/order.json.tmpl") // a file that exists
	if err != nil {
		t.Fatal(err)
	}
	var configs []map[string]any
	modes := []any{nil, "random", "", "sequence"}

	// A rule's actions and mode.
	for mask := 0; mask < 8; mask++ {
		for _, mode := range modes {
			r := map[string]any{}
			if mask&1 != 0 {
				r["response"] = map[string]any{}
			}
			if mask&2 != 0 {
				r["responses"] = []any{map[string]any{}}
			}
			if mask&4 != 0 {
				r["delegate"] = map[string]any{}
			}
			if mode != nil {
				r["mode"] = mode
			}
			configs = append(configs, oneRule(r))
		}
	}
	// A fallback's answers and mode.
	for mask := 0; mask < 4; mask++ {
		for _, mode := range modes {
			f := map[string]any{}
			if mask&1 != 0 {
				f["response"] = map[string]any{}
			}
			if mask&2 != 0 {
				f["responses"] = []any{map[string]any{}}
			}
			if mode != nil {
				f["mode"] = mode
			}
			configs = append(configs, oneRule(map[string]any{"delegate": map[string]any{"fallback": f}}))
		}
	}
	// A response's bodies and status, in each place a response goes.
	for mask := 0; mask < 8; mask++ {
		for _, status := range []any{nil, 100.0, 199.0, 200.0, 204.0, 304.0, 404.0} {
			resp := map[string]any{}
			if mask&1 != 0 {
				resp["body"] = nil // null is a body too
			}
			if mask&2 != 0 {
				resp["body_template"] = ""
			}
			if mask&4 != 0 {
				resp["body_file"] = bodyFile
			}
			if status != nil {
				resp["status"] = status
			}
			configs = append(configs,
				oneRule(map[string]any{"response": resp}),
				oneRule(map[string]any{"responses": []any{map[string]any{}, resp}}),
				oneRule(map[string]any{"delegate": map[string]any{"shadow": resp}}),
				oneRule(map[string]any{"delegate": map[string]any{"fallback": map[string]any{"response": resp}}}),
			)
		}
	}
	// body_json and ignore_array_order, at the top of a match and nested.
	for _, bodyJSON := range []any{"absent", nil, map[string]any{"a": 1.0}} {
		for _, ignore := range []any{nil, true, false} {
			m := map[string]any{}
			if bodyJSON != "absent" {
				m["body_json"] = bodyJSON
			}
			if ignore != nil {
				m["ignore_array_order"] = ignore
			}
			configs = append(configs,
				oneRule(map[string]any{"match": m, "delegate": map[string]any{}}),
				oneRule(map[string]any{"match": map[string]any{"any": []any{m}}, "delegate": map[string]any{}}),
				oneRule(map[string]any{"match": map[string]any{"not": m}, "delegate": map[string]any{}}),
			)
		}
	}
	// rules_file and reload_interval.
	for _, file := range []any{nil, "no-such-rules.json", ""} {
		for _, interval := range []any{nil, "5s", ""} {
			c := map[string]any{}
			if file != nil {
				c["rules_file"] = file
			}
			if interval != nil {
				c["reload_interval"] = interval
			}
			configs = append(configs, c)
		}
	}
	// The parts of a time window, set or empty.
	parts := []struct{ name, value string }{
		{"from", "2026-01-01T00:00:00Z"}, {"until", "2027-01-01T00:00:00Z"},
		{"days", "sat"}, {"between", "02:00-04:00"}, {"tz", "Europe/Madrid"},
	}
	for mask := 0; mask < 1<<len(parts); mask++ {
		for _, empty := range []bool{false, true} {
			a := map[string]any{}
			for i, p := range parts {
				if mask&(1<<i) == 0 {
					continue
				}
				v := p.value
				if empty {
					v = ""
				}
				if p.name == "days" {
					if empty {
						a["days"] = []any{}
					} else {
						a["days"] = []any{v}
					}
				} else {
					a[p.name] = v
				}
			}
			configs = append(configs, oneRule(map[string]any{"active": a, "response": map[string]any{}}))
		}
	}

	for _, c := range configs {
		engineErr := engineAccepts(c)
		schemaErr := s.main.Validate(c)
		if (engineErr == nil) != (schemaErr == nil) {
			b, _ := json.Marshal(c)
			t.Errorf("they disagree on %s\nengine: %v\nschema: %v", b, engineErr, schemaErr)
		}
	}
	t.Logf("%d configurations: the schema and the engine agree on each", len(configs))
}

// TestNumbersAgree checks integers written with a fraction or an exponent,
// which the engine (reading float64s) takes as integers, and the ranges'
// edges.
func TestNumbersAgree(t *testing.T) {
	s := loadSchemas(t)
	for _, text := range []string{
		`{"max_body_bytes": 1e6}`,
		`{"max_body_bytes": 1.0, "max_response_bytes": 2.5e1}`,
		`{"max_body_bytes": 1.5}`,
		`{"max_response_bytes": 0.0}`,
		`{"max_response_bytes": 9007199254740992}`,
		`{"rules": [{"response": {"status": 200.0}}]}`,
		`{"rules": [{"response": {"status": 2.04e2}}]}`,
		`{"rules": [{"response": {"status": 2.04e2, "body": 1}}]}`,
		`{"rules": [{"response": {"status": 100}}]}`,
		`{"rules": [{"response": {"status": 599}}]}`,
		`{"rules": [{"response": {"status": 599.5}}]}`,
		`{"rules": [{"delegate": {"status": {"501": 404.0, "0200": 2e2}}}]}`,
		`{"rules": [{"delegate": {"fallback": {"on_status": [], "response": {}}}}]}`,
		`{"rules": [{"delegate": {"fallback": {"on_status": [5.03e2], "response": {}}}}]}`,
		`{"rules": [{"probability": 0, "response": {}}]}`,
		`{"rules": [{"probability": 1e0, "response": {}}]}`,
		`{"rules": [{"probability": -0.0, "response": {}}]}`,
		`{"rules": [{"probability": 1.0000001, "response": {}}]}`,
	} {
		var forEngine any
		if err := json.Unmarshal([]byte(text), &forEngine); err != nil {
			t.Fatal(err)
		}
		forSchema, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		engineErr, schemaErr := engineAccepts(forEngine), s.main.Validate(forSchema)
		if (engineErr == nil) != (schemaErr == nil) {
			t.Errorf("they disagree on %s\nengine: %v\nschema: %v", text, engineErr, schemaErr)
		}
	}
}

// TestPatternsAcceptWhatTheEngineAccepts tries, for each value the schema
// checks with a pattern (or propertyNames, or an enum), strings built from
// its grammar with plausible mistakes, and random joins of their pieces:
// whatever the engine accepts, the schema must accept, so that an editor
// never marks a working configuration as wrong. Patterns may accept more
// than the engine does.
func TestPatternsAcceptWhatTheEngineAccepts(t *testing.T) {
	s := loadSchemas(t)
	ws := []string{" ", "\t", "\v", "\u00a0", "\u0085", "\u2003", "\u3000"}
	maybeWS := append([]string{"", "", "", "", "", "", ""}, ws...)
	signs := []string{"", "", "", "+", "-"}
	numbers := []string{"0", "1", "10", "250", "1.5", ".5", "1.", ".", "", "00", "0.0"}
	units := []string{"ms", "s", "m", "h", "us", "\u00b5s", "\u03bcs", "ns", "", "x", "d", "S", " s"}
	duration := func(r *rand.Rand) string {
		if r.IntN(8) == 0 {
			return pick(r, signs) + "0"
		}
		d := pick(r, signs)
		for range 1 + r.IntN(3) {
			d += pick(r, numbers, units)
		}
		return d
	}
	hours := []string{"00", "02", "09", "12", "19", "20", "23", "24", "25", "0", "2", "+1", "+9", "-0", "-1", "+0", "am", ""}
	minutes := []string{"00", "30", "59", "60", "0", "5", "+5", "+0", "-0", "-5", ""}
	clock := func(r *rand.Rand) string {
		return pick(r, maybeWS, hours, []string{":", ":", ":", ":", ".", ""}, minutes, maybeWS)
	}
	day := func(r *rand.Rand) string {
		names := []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "caturday", "mo", ""}
		name := []rune(pick(r, names))
		for i, c := range name { // any case, and the two runes that lower to ASCII
			switch r.IntN(6) {
			case 0:
				name[i] = []rune(strings.ToUpper(string(c)))[0]
			case 1:
				if c == 'i' {
					name[i] = '\u0130'
				}
			case 2:
				if c == 'k' || c == 'a' {
					name[i] = '\u212a'
				}
			}
		}
		return pick(r, maybeWS) + string(name) + pick(r, maybeWS)
	}
	toURL := func(r *rand.Rand) string {
		return pick(r,
			[]string{"http", "https", "HTTP", "Https", "ftp", "", "{{ .Scheme }}"},
			[]string{"://", "://", "://", ":", ":///", "//", ""},
			[]string{"", "user@", "@", "u:p@"},
			[]string{"canary", "canary:8080", "[::1]:80", "", "{{ .Host }}", "a b", "%41"},
			[]string{"", "", "/", "/v2", "/v2/", "/{{ .Rule }}", "/a%20b"},
			[]string{"", "", "", "?", "?x=1", "#", "#frag", "#?", "{{"},
		)
	}
	rfc3339 := func(r *rand.Rand) string { // mostly right, a part or two wrong
		two := []string{"60", "1", "9", "001", "", "24", "00"}
		return mostly(r, "2026", "1999", "026", "20260", "+026", "") + mostly(r, "-", "/", "") +
			mostly(r, "12", two...) + mostly(r, "-", "") + mostly(r, "24", two...) +
			mostly(r, "T", "t", " ", "") + mostly(r, "18", two...) + mostly(r, ":", ".") +
			mostly(r, "30", two...) + mostly(r, ":", "") + mostly(r, "05", two...) +
			mostly(r, "", ".5", ",123", ".", ".000000001", ".0000000001", "x") +
			mostly(r, "Z", "z", "+01:00", "-05:30", "+0100", "+1:00", "+24:00", "", " Z", "+01:60")
	}
	method := func(r *rand.Rand) string {
		return pick(r, maybeWS, []string{"GET", "get", "POST", "x", "", "", "-"}, maybeWS)
	}
	statusKey := func(r *rand.Rand) string {
		return pick(r, []string{"", "", "+", "-", " ", "0", "00"}, []string{"1", "2", "4", "5", "6", "9", "0", ""}, []string{"0", "9", "x", ""}, []string{"0", "4", "9", "e", ""}, []string{"", "", "0", " ", "_"})
	}

	cases := []struct {
		name   string
		gen    func(*rand.Rand) string
		config func(string) map[string]any
	}{
		{"delay", func(r *rand.Rand) string {
			v := pick(r, maybeWS) + duration(r) + pick(r, maybeWS)
			if r.IntN(2) == 0 {
				v += "-" + pick(r, maybeWS) + duration(r) + pick(r, maybeWS)
			}
			return v
		}, func(v string) map[string]any {
			return oneRule(map[string]any{"delay": v, "response": map[string]any{}})
		}},
		{"timeout", duration, func(v string) map[string]any {
			return oneRule(map[string]any{"delegate": map[string]any{"timeout": v}})
		}},
		{"reload_interval", duration, func(v string) map[string]any {
			return map[string]any{"rules_file": "no-such-rules.json", "reload_interval": v}
		}},
		{"between", func(r *rand.Rand) string {
			return clock(r) + pick(r, []string{"-", "-", "-", "--", "\u2013", ""}) + clock(r)
		}, func(v string) map[string]any {
			return oneRule(map[string]any{"active": map[string]any{"between": v}, "response": map[string]any{}})
		}},
		{"from", rfc3339, func(v string) map[string]any {
			return oneRule(map[string]any{"active": map[string]any{"from": v}, "response": map[string]any{}})
		}},
		{"until", rfc3339, func(v string) map[string]any {
			return oneRule(map[string]any{"active": map[string]any{"until": v}, "response": map[string]any{}})
		}},
		{"days", day, func(v string) map[string]any {
			return oneRule(map[string]any{"active": map[string]any{"days": []any{v}}, "response": map[string]any{}})
		}},
		{"to", toURL, func(v string) map[string]any {
			return oneRule(map[string]any{"delegate": map[string]any{"to": v}})
		}},
		{"methods", method, func(v string) map[string]any {
			return oneRule(map[string]any{"match": map[string]any{"methods": []any{v}}, "delegate": map[string]any{}})
		}},
		{"delegate.status keys", statusKey, func(v string) map[string]any {
			return oneRule(map[string]any{"delegate": map[string]any{"status": map[string]any{v: 404.0}}})
		}},
		{"mode", func(r *rand.Rand) string {
			return pick(r, []string{"sequence", "random", "stick", "Sequence", "", " ", "round-robin"})
		}, func(v string) map[string]any {
			return oneRule(map[string]any{"mode": v, "responses": []any{map[string]any{}}})
		}},
	}
	rng := rand.New(rand.NewPCG(1, 2)) // the same strings on every run
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tried := map[string]bool{}
			var values []string
			for range 3000 {
				values = append(values, c.gen(rng))
			}
			for range 1000 { // and joins of what the grammar makes, cut anywhere
				a, b := []rune(values[rng.IntN(len(values))]), []rune(values[rng.IntN(len(values))])
				values = append(values, string(a[:rng.IntN(len(a)+1)])+string(b[rng.IntN(len(b)+1):]))
			}
			accepted := 0
			for _, v := range values {
				if tried[v] {
					continue
				}
				tried[v] = true
				cfg := c.config(v)
				if engineAccepts(cfg) != nil {
					continue
				}
				accepted++
				if err := s.main.Validate(cfg); err != nil {
					t.Errorf("the engine accepts %s %q, the schema does not:\n%v", c.name, v, err)
				}
			}
			if accepted < 4 || accepted == len(tried) {
				t.Errorf("the engine accepts %d of %d strings: the grammar does not test the pattern", accepted, len(tried))
			}
			t.Logf("%d distinct strings, %d accepted by the engine", len(tried), accepted)
		})
	}
}

// mostly returns good, or, one time in six, one of the others.
func mostly(r *rand.Rand, good string, others ...string) string {
	if r.IntN(6) > 0 {
		return good
	}
	return others[r.IntN(len(others))]
}

// pick joins one string taken at random from each list.
func pick(r *rand.Rand, lists ...[]string) string {
	var b strings.Builder
	for _, l := range lists {
		b.WriteString(l[r.IntN(len(l))])
	}
	return b.String()
}

// schemas are both schemas, compiled, and their documents.
type schemas struct {
	main, rulesFile       *jsonschema.Schema
	mainDoc, rulesFileDoc map[string]any
	mainID                string
}

var (
	loaded     *schemas
	loadErr    error
	loadedOnce sync.Once
)

// noNetwork refuses every URL the compiler did not get as a resource.
type noNetwork struct{}

func (noNetwork) Load(url string) (any, error) {
	return nil, fmt.Errorf("%s is not one of the schema files (no network here)", url)
}

func loadSchemas(t *testing.T) *schemas {
	t.Helper()
	loadedOnce.Do(func() { loaded, loadErr = compileSchemas() })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded
}

func compileSchemas() (*schemas, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noNetwork{})
	s := &schemas{}
	var ids [2]string
	for i, file := range []string{mainFile, rulesFileFile} {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", file, err)
		}
		obj, _ := doc.(map[string]any)
		id, _ := obj["$id"].(string)
		if id == "" {
			return nil, fmt.Errorf("%s has no $id", file)
		}
		if !strings.HasSuffix(id, "/"+file) {
			return nil, fmt.Errorf("%s: its $id %q does not end in its file name", file, id)
		}
		// The rules_file schema finds the rule definition here, by $id.
		if err := c.AddResource(id, doc); err != nil {
			return nil, fmt.Errorf("%s: %v", file, err)
		}
		ids[i] = id
		if i == 0 {
			s.mainDoc = obj
		} else {
			s.rulesFileDoc = obj
		}
	}
	var err error
	if s.main, err = c.Compile(ids[0]); err != nil {
		return nil, fmt.Errorf("%s: %v", mainFile, err)
	}
	if s.rulesFile, err = c.Compile(ids[1]); err != nil {
		return nil, fmt.Errorf("%s: %v", rulesFileFile, err)
	}
	s.mainID = ids[0]
	return s, nil
}

// resolve follows a place (property names, "[]" for an array's items) from
// a schema document's root, through local $refs, to the object schema there.
func (s *schemas) resolve(t *testing.T, root map[string]any, place []string) map[string]any {
	t.Helper()
	deref := func(sch map[string]any) map[string]any {
		for range 10 {
			ref, ok := sch["$ref"].(string)
			if !ok {
				return sch
			}
			ptr, ok := strings.CutPrefix(ref, "#/$defs/")
			if !ok {
				t.Fatalf("$ref %q is not a local definition", ref)
			}
			def, ok := root["$defs"].(map[string]any)[ptr].(map[string]any)
			if !ok {
				t.Fatalf("$ref %q: no such definition", ref)
			}
			sch = def
		}
		t.Fatal("$refs go round in circles")
		return nil
	}
	sch := deref(root)
	for _, step := range place {
		var next any
		if step == "[]" {
			next = sch["items"]
		} else {
			props, _ := sch["properties"].(map[string]any)
			next = props[step]
		}
		obj, ok := next.(map[string]any)
		if !ok {
			t.Fatalf("the schema has nothing at %q of %v", step, place)
		}
		sch = deref(obj)
	}
	return sch
}

var knownFields = regexp.MustCompile(`^(.*)zzz: unknown field.* \(known fields: ([a-z0-9_, ]+)\)$`)

// decoderFields asks the decoder which fields it knows at a place, from the
// error it gives for an unknown field "zzz" there.
func decoderFields(t *testing.T, place []string) []string {
	t.Helper()
	var raw any = map[string]any{"zzz": 1.0}
	for i := len(place) - 1; i >= 0; i-- {
		if place[i] == "[]" {
			raw = []any{raw}
		} else {
			raw = map[string]any{place[i]: raw}
		}
	}
	_, err := config.Decode(raw)
	wantLoc := strings.ReplaceAll(strings.Join(place, "."), ".[]", "[0]")
	if wantLoc != "" {
		wantLoc += "."
	}
	if err == nil {
		t.Fatalf("the decoder accepts an unknown field at %q", wantLoc)
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if m := knownFields.FindStringSubmatch(line); m != nil && m[1] == wantLoc {
			known := strings.Split(m[2], ", ")
			sort.Strings(known)
			return known
		}
	}
	t.Fatalf("no \"unknown field\" error at %q with the known fields, in:\n%v", wantLoc+"zzz", err)
	return nil
}

// engineAccepts decodes and compiles a configuration as the plugin does,
// without a transport or a rules_file watcher.
func engineAccepts(raw any) error {
	cfg, err := config.Decode(raw)
	if err != nil {
		return err
	}
	_, err = rules.Compile(cfg, rules.Options{Transport: refuseTransport{}})
	return err
}

// loadRulesFile loads a rules_file in an engine and returns what it logged
// at ERROR, "" when the file was valid.
// beside are fields of the krakend-rules object the rules depend on
// (callback_hosts).
func loadRulesFile(t *testing.T, path string, beside ...map[string]any) string {
	t.Helper()
	log := &errorLog{}
	obj := map[string]any{"rules_file": path}
	for _, b := range beside {
		for k, v := range b {
			obj[k] = v
		}
	}
	cfg, err := config.Decode(obj)
	if err == nil {
		_, err = rules.Compile(cfg, rules.Options{Transport: refuseTransport{}, Logger: log})
	}
	if err != nil {
		t.Fatalf("a configuration with only rules_file %s: %v", path, err)
	}
	return log.String()
}

type errorLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (*errorLog) Debug(...any)   {}
func (*errorLog) Info(...any)    {}
func (*errorLog) Warning(...any) {}
func (l *errorLog) Error(v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintln(&l.buf, v...)
}
func (l *errorLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// refuseTransport fails every delegation: nothing here sends a request.
type refuseTransport struct{}

func (refuseTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return nil, errors.New("no network in these tests")
}

func oneRule(r map[string]any) map[string]any {
	return map[string]any{"rules": []any{r}}
}

// readJSON reads a JSON file twice over: with exact numbers for the schema,
// and with float64 numbers, as the gateway hands it to the plugin, for the
// engine.
func readJSON(t *testing.T, file string) (forSchema, forEngine any) {
	t.Helper()
	content, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if forSchema, err = jsonschema.UnmarshalJSON(bytes.NewReader(content)); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if err := json.Unmarshal(content, &forEngine); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return forSchema, forEngine
}
