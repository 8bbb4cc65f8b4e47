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
func DecodeRulesFile(path string, content []byte) ([]Rule, error) {
	var errs Errors
	var raw any
	if err := json.Unmarshal(content, &raw); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			line, col := lineColumn(content, syntax.Offset)
			errs.Add(nil, "not valid JSON at line %d, column %d: %v", line, col, err)
		} else {
			errs.Add(nil, "not valid JSON: %v", err)
		}
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
			// Editors find the file's JSON Schema here; the engine has no
			// use for it.
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
