package config

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestDecodeRulesFile: what a rules_file decodes to, and how each kind of
// bad file is told.
func TestDecodeRulesFile(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		rules         []string // the names of the rules decoded
		errs          []string // each error's text, in order
	}{
		{"rules and a schema", `{"$schema":"s.json","rules":[{"name":"a","response":{}},{"name":"b","delegate":{}}]}`, []string{"a", "b"}, nil},
		{"no rules", `{"rules":[]}`, nil, nil},
		{"not JSON", `{"rules":[}`, nil, []string{"rules_file(f.json): not valid JSON at line 1, column 12: invalid character '}' looking for beginning of value"}},
		{"a list", `[{"name":"a"}]`, nil, []string{`rules_file(f.json): must be an object {"rules": [...]}, got a list`}},
		{"null", ` null `, nil, []string{`rules_file(f.json): must be an object {"rules": [...]}, got null`}},
		{"rules an object", `{"rules":{"name":"a"}}`, nil, []string{"rules_file(f.json).rules: must be a list of rules, got an object"}},
		{"rules a number", `{"rules":3}`, nil, []string{"rules_file(f.json).rules: must be a list of rules, got a number"}},
		{"fields in order", `{"zeta":1,"rules":[],"$schema":3}`, nil, []string{
			"rules_file(f.json).$schema: must be a string (the URL or path of a JSON Schema), got a number",
			`rules_file(f.json).zeta: unknown field (a rules_file holds {"rules": [...]}, and optionally "$schema")`,
		}},
		{"a repeated field: the last counts", `{"rules":[{"name":"a","response":{}}],"rules":[{"name":"b","response":{}}]}`, []string{"b"}, nil},
		{"a number past float64", `{"rules":[{"name":"a","response":{"status":1e400}},{"name":"b","response":{}}]}`, []string{"", "b"}, []string{
			"rules_file(f.json).rules[0]: cannot be decoded: json: cannot unmarshal number 1e400 into Go value of type float64",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rules, err := DecodeRulesFile("f.json", []byte(tc.content))
			var names []string
			for _, r := range rules {
				names = append(names, r.Name)
			}
			if !reflect.DeepEqual(names, tc.rules) {
				t.Errorf("rules %q, want %q", names, tc.rules)
			}
			var got []string
			for _, e := range List(err) {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, tc.errs) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.errs, "\n"))
			}
		})
	}
}

// FuzzDecodeRulesFile: decoding a file one rule at a time gives the rules
// and the errors that decoding it whole gives (decodeRulesFileWhole, the
// way it was decoded before), for any content that decodes whole.
func FuzzDecodeRulesFile(f *testing.F) {
	for _, seed := range []string{
		`{"rules":[{"name":"a","match":{"path":"/a/**"},"response":{"status":201,"body":{"x":[1,"y"]}}}]}`,
		`{"$schema":"s","rules":[{"response":{}},{"delegate":{"to":"http://x"}},3,null]}`,
		`{"rules":[{"name":"a","bogus":1}],"other":[]}`,
		`{"rules":[],"rules":{}}`,
		`{"rules":"x","$schema":{}}`,
		`[]`, `"rules"`, `{"rules":[`, `{} x`, ``, ` {"rules" : [ {"name" : "\u0061"} ] } `,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		var whole any
		if err := json.Unmarshal(content, &whole); err != nil {
			var syntax *json.SyntaxError
			if !errors.As(err, &syntax) {
				t.Skip("valid JSON that does not fit a Go value: decoded whole, it was one error for the file")
			}
		}
		rules, err := DecodeRulesFile("f.json", content)
		wantRules, wantErr := decodeRulesFileWhole("f.json", content)
		if !reflect.DeepEqual(rules, wantRules) {
			t.Errorf("rules:\n%+v\nwant:\n%+v", rules, wantRules)
		}
		if got, want := errorText(err), errorText(wantErr); got != want {
			t.Errorf("errors:\n%s\nwant:\n%s", got, want)
		}
	})
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// decodeRulesFileWhole decodes a rules_file as a whole generic tree, as
// DecodeRulesFile did before it decoded one rule at a time.
func decodeRulesFileWhole(path string, content []byte) ([]Rule, error) {
	var errs Errors
	var raw any
	if err := json.Unmarshal(content, &raw); err != nil {
		addInvalidJSON(&errs, content, err)
		return nil, errs.InFile(path).Err()
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		errs.Add(nil, `must be an object {"rules": [...]}, got %s`, typeName(raw))
		return nil, errs.InFile(path).Err()
	}
	var rules []Rule
	for _, k := range SortedKeys(obj) {
		v := obj[k]
		if k == "$schema" {
			if _, ok := v.(string); !ok {
				errs.Add(At(k), "must be a string (the URL or path of a JSON Schema), got %s", typeName(v))
			}
			continue
		}
		if k != "rules" {
			errs.Add(At(k), `unknown field (a rules_file holds {"rules": [...]}, and optionally "$schema")`)
			continue
		}
		list, ok := v.([]any)
		if !ok {
			errs.Add(At("rules"), "must be a list of rules, got %s", typeName(v))
			continue
		}
		for i, r := range list {
			rules = append(rules, decodeRule(&errs, At("rules").Index(i), r))
		}
	}
	return rules, errs.InFile(path).Err()
}
