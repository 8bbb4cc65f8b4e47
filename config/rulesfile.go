package config

import (
	"bytes"
	"encoding/json"
	"errors"
)

// RulesFile is a rules_file: {"rules": [...]}, the same rules as inline
// ones. They come after the inline rules, and the file is reloaded when it
// changes.
type RulesFile struct {
	// SchemaURL ("$schema") is the URL or path of this file's JSON Schema,
	// for editors; the plugin ignores it.
	SchemaURL string `json:"$schema"`

	// Rules ("rules") are tried in order, after the inline rules; the first
	// rule that applies answers.
	Rules []Rule `json:"rules"`
}

// DecodeRulesFile decodes {"rules": [...]} strictly, like inline rules; a
// "$schema" string is allowed beside them, for editors.
//
// The rules are decoded one at a time, each from its own bytes, so that
// the generic tree of a large file (about 30 times its size) never exists
// whole: a file at MaxRulesFileBytes would take gigabytes at once.
func DecodeRulesFile(path string, content []byte) ([]Rule, error) {
	var errs Errors
	if !json.Valid(content) {
		// Unmarshal says where, for a line and a column.
		var raw any
		addInvalidJSON(&errs, content, json.Unmarshal(content, &raw))
		return nil, errs.InFile(path).Err()
	}
	dec := json.NewDecoder(bytes.NewReader(content))
	first, _ := dec.Token() // valid JSON: a value's first token
	if first != json.Delim('{') {
		errs.Add(nil, `must be an object {"rules": [...]}, got %s`, tokenTypeName(first))
		return nil, errs.InFile(path).Err()
	}
	var rules []Rule
	found := map[string]Errors{} // each field's problems, reported in field order
	for dec.More() {
		key, _ := dec.Token()
		k := key.(string) // valid JSON: an object's key is a string
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			errs.Add(At(k), "not valid JSON: %v", err) // cannot happen: the whole was valid
			return nil, errs.InFile(path).Err()
		}
		// A repeated field: the last one counts, as when the object is
		// decoded whole.
		var fieldErrs Errors
		switch k {
		case "$schema":
			// Editors find the file's JSON Schema here; the engine has no
			// use for it.
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				fieldErrs.Add(At(k), "cannot be decoded: %v", err)
			} else if _, ok := v.(string); !ok {
				fieldErrs.Add(At(k), "must be a string (the URL or path of a JSON Schema), got %s", typeName(v))
			}
		case "rules":
			rules = decodeRuleList(&fieldErrs, raw)
		default:
			fieldErrs.Add(At(k), `unknown field (a rules_file holds {"rules": [...]}, and optionally "$schema")`)
		}
		found[k] = fieldErrs
	}
	for _, k := range SortedKeys(found) {
		errs = append(errs, found[k]...)
	}
	return rules, errs.InFile(path).Err()
}

// decodeRuleList decodes a rules_file's "rules", valid JSON, one rule at a
// time.
func decodeRuleList(errs *Errors, raw json.RawMessage) []Rule {
	dec := json.NewDecoder(bytes.NewReader(raw))
	first, _ := dec.Token()
	if first != json.Delim('[') {
		errs.Add(At("rules"), "must be a list of rules, got %s", tokenTypeName(first))
		return nil
	}
	var rules []Rule
	for i := 0; dec.More(); i++ {
		var v any
		if err := dec.Decode(&v); err != nil {
			// Valid JSON that does not fit a Go value: a number past
			// float64's range. What was decoded of it is not a rule.
			errs.Add(At("rules").Index(i), "cannot be decoded: %v", err)
			rules = append(rules, Rule{Undecodable: true})
			continue
		}
		rules = append(rules, decodeRule(errs, At("rules").Index(i), v))
	}
	return rules
}

// tokenTypeName is typeName for a value known by its first token.
func tokenTypeName(t json.Token) string {
	switch t {
	case json.Delim('{'):
		return typeName(map[string]any{})
	case json.Delim('['):
		return typeName([]any{})
	}
	return typeName(t)
}

// addInvalidJSON says why content is not valid JSON: where, when err
// (Unmarshal's) says.
func addInvalidJSON(errs *Errors, content []byte, err error) {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		line, col := lineColumn(content, syntax.Offset)
		errs.Add(nil, "not valid JSON at line %d, column %d: %v", line, col, err)
	} else {
		errs.Add(nil, "not valid JSON: %v", err)
	}
}

// lineColumn turns a byte offset into a 1-based line and column.
func lineColumn(content []byte, offset int64) (line, col int) {
	if offset > int64(len(content)) {
		offset = int64(len(content))
	}
	before := content[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}
