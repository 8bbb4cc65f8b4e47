package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"krakend-rules/rules"
)

// FuzzImportOpenAPI: whatever the document, the import ends with rules or
// an error, never a panic (the loader's included), and the rules load in
// the engine. Documents that would reach outside (remote or file
// references) are left out.
func FuzzImportOpenAPI(f *testing.F) {
	for _, name := range []string{"3.0-petstore.yaml", "3.1-tictactoe.yaml", "2.0-petstore-expanded.json", "3.1-webhook-example.yaml"} {
		if data, err := os.ReadFile(filepath.Join("testdata", "openapi", name)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(oneOperation(`{"$ref": "#/components/schemas/A"}`, `"A": {"allOf": [{"$ref": "#/components/schemas/A"}], "oneOf": [{"$ref": "#/components/schemas/A"}, {"type": "array", "items": {"$ref": "#/components/schemas/A"}}]}`)))
	f.Add([]byte(`{"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {"/{a}-{b}.json": {"parameters": [{"name": "b", "in": "body", "schema": {"type": "object"}}], "put": {"responses": {"200": {"description": "ok", "schema": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 3}}}}}}}}`))
	f.Add([]byte("openapi: 3.1.0\ninfo: {title: t, version: '1'}\nservers: [{url: 'https://{h}/v%20{x}/'}]\npaths:\n  /a/{x}:\n    get: {responses: {'200': {description: ok, content: {text/plain: {example: '{{ x }}'}}}}}\n  /a/{y}:\n    get: {operationId: x, responses: {default: {description: ok}}}\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		if len(doc) > 1<<14 || bytes.Contains(doc, []byte("$ref")) && hasOutsideRef(doc) {
			return
		}
		spec := filepath.Join(t.TempDir(), "spec.yaml")
		os.WriteFile(spec, doc, 0o644)
		file, _, err := loadAndImport(spec, nil, importOptions{status: "2xx", base: "auto", params: true})
		if err != nil {
			if strings.Contains(err.Error(), "a bug of the importer") && !strings.Contains(err.Error(), "kin-openapi") {
				t.Fatal(err)
			}
			return
		}
		text, err := encodeRulesFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var cfg map[string]any
		if err := json.Unmarshal(text, &cfg); err != nil {
			t.Fatal(err)
		}
		if len(file.Rules) == 0 {
			return
		}
		if _, err := rules.New(t.Context(), cfg, rules.Options{}); err != nil {
			t.Fatalf("the import does not load: %v\n%s", err, text)
		}
	})
}

// hasOutsideRef: a $ref to anything but the document itself.
func hasOutsideRef(doc []byte) bool {
	for _, part := range bytes.Split(doc, []byte("$ref"))[1:] {
		rest := strings.TrimLeft(string(part), "\"': \t")
		if !strings.HasPrefix(rest, "#") {
			return true
		}
	}
	return false
}
