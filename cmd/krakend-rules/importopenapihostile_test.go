package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"krakend-rules/rules"
)

// hostileImport imports a document (its text as written to a file) and
// holds it to the bounds every document gets: done within 5 s of CPU and
// 1 GiB allocated, and, when it succeeds, a rules file that the engine
// loads and the linter passes.
func hostileImport(t *testing.T, doc string, args ...string) (status int, out []byte, stderr string) {
	t.Helper()
	spec := filepath.Join(t.TempDir(), "spec.json")
	if err := os.WriteFile(spec, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu := cpuTime(t)
	var stdout, errs bytes.Buffer
	status = run(append(append([]string{"import", "openapi"}, args...), spec), &stdout, &errs)
	cpu = cpuTime(t) - cpu
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("import: status %d, %v of CPU, %d MB allocated, %d bytes out", status, cpu, alloc>>20, stdout.Len())
	if cpu > 5*time.Second && !raceEnabled {
		t.Errorf("the import took %v of CPU", cpu)
	}
	if alloc > 1<<30 {
		t.Errorf("the import allocated %d MB", alloc>>20)
	}
	if strings.Contains(errs.String(), "a bug of the importer") {
		t.Errorf("the import panicked: %s", errs.String())
	}
	if status == 0 {
		checkRulesFile(t, stdout.Bytes())
	}
	return status, stdout.Bytes(), errs.String()
}

// oneOperation is a document whose GET /x answers with the schema (a
// JSON text) and has the components' schemas.
func oneOperation(schema, components string) string {
	return `{"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
  "paths": {"/x": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": ` + schema + `}}}}}}},
  "components": {"schemas": {` + components + `}}}`
}

// firstBody is the body of the last rule (the default answer of /x).
func firstBody(t *testing.T, out []byte) any {
	t.Helper()
	var f struct {
		Rules []struct {
			Response struct {
				Body any `json:"body"`
			} `json:"response"`
		} `json:"rules"`
	}
	if err := json.Unmarshal(out, &f); err != nil || len(f.Rules) == 0 {
		t.Fatalf("no rules (%v): %s", err, out)
	}
	return f.Rules[len(f.Rules)-1].Response.Body
}

func TestImportOpenAPIRecursiveSchemas(t *testing.T) {
	tests := []struct {
		name, schema, components, want string
	}{
		{"direct", `{"$ref": "#/components/schemas/Node"}`,
			`"Node": {"type": "object", "properties": {"name": {"type": "string"}, "child": {"$ref": "#/components/schemas/Node"}}}`,
			`{"child":null,"name":"string"}`},
		{"allOf", `{"$ref": "#/components/schemas/A"}`,
			`"A": {"allOf": [{"$ref": "#/components/schemas/A"}, {"type": "object", "properties": {"x": {"type": "integer"}}}]}`,
			`{"x":0}`},
		// oneOf and anyOf take their first alternative that does not
		// recurse.
		{"oneOf", `{"$ref": "#/components/schemas/B"}`,
			`"B": {"oneOf": [{"$ref": "#/components/schemas/B"}, {"type": "string"}]}`,
			`"string"`},
		{"anyOf", `{"$ref": "#/components/schemas/T"}`,
			`"T": {"type": "object", "properties": {"kids": {"type": "array", "items": {"anyOf": [{"$ref": "#/components/schemas/T"}, {"type": "boolean"}]}}}}`,
			`{"kids":[true]}`},
		{"items", `{"$ref": "#/components/schemas/L"}`,
			`"L": {"type": "array", "items": {"$ref": "#/components/schemas/L"}}`,
			`[null]`},
		{"additionalProperties", `{"$ref": "#/components/schemas/M"}`,
			`"M": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/M"}}`,
			`{"additionalProp1":null}`},
		{"mutual", `{"$ref": "#/components/schemas/P"}`,
			`"P": {"type": "object", "properties": {"q": {"$ref": "#/components/schemas/Q"}}},
			 "Q": {"type": "object", "properties": {"p": {"$ref": "#/components/schemas/P"}, "n": {"type": "number"}}}`,
			`{"q":{"n":0,"p":null}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out, errs := hostileImport(t, oneOperation(tt.schema, tt.components))
			if status != 0 {
				t.Fatalf("status %d: %s", status, errs)
			}
			if got, _ := json.Marshal(firstBody(t, out)); string(got) != tt.want {
				t.Errorf("body %s, want %s", got, tt.want)
			}
		})
	}
}

// nested is a schema of depth objects, each the property "a" of the one
// above.
func nested(depth int) string {
	return strings.Repeat(`{"type": "object", "properties": {"a": `, depth) + `{"type": "string"}` + strings.Repeat("}}", depth)
}

func TestImportOpenAPIDeepAndWideSchemas(t *testing.T) {
	// Ten levels of 30 properties, each the next level: 30^9 leaves
	// without a bound on the sample.
	var fan []string
	for l := range 10 {
		var props []string
		for i := range 30 {
			p := `{"type": "string"}`
			if l < 9 {
				p = fmt.Sprintf(`{"$ref": "#/components/schemas/L%d"}`, l+1)
			}
			props = append(props, fmt.Sprintf(`"p%d": %s`, i, p))
		}
		fan = append(fan, fmt.Sprintf(`"L%d": {"type": "object", "properties": {%s}}`, l, strings.Join(props, ", ")))
	}
	// The same through allOf and arrays of three.
	var all []string
	for l := range 12 {
		next := `{"type": "string", "format": "uuid"}`
		if l < 11 {
			next = fmt.Sprintf(`{"$ref": "#/components/schemas/A%d"}`, l+1)
		}
		all = append(all, fmt.Sprintf(`"A%d": {"allOf": [{"type": "array", "minItems": 3, "items": %s}, %s, %s, %s]}`, l, next, next, next, next))
	}
	// A oneOf of 2 000 alternatives, each an object whose properties are
	// oneOfs again.
	var alts []string
	for i := range 2000 {
		alts = append(alts, fmt.Sprintf(`{"type": "object", "properties": {"k%d": {"$ref": "#/components/schemas/O"}}}`, i))
	}
	enum := make([]string, 200000)
	for i := range enum {
		enum[i] = fmt.Sprintf(`"v%d"`, i)
	}
	tests := []struct {
		name, schema, components string
		note                     string // in the messages, "" for none
	}{
		{"fan-out of properties", `{"$ref": "#/components/schemas/L0"}`, strings.Join(fan, ",\n"), "/paths/~1x/get/responses/200/content/application~1json/schema: the sample passes 20000 values"},
		{"fan-out of allOf and arrays", `{"$ref": "#/components/schemas/A0"}`, strings.Join(all, ",\n"), "the sample passes"},
		{"oneOf fan-out", `{"$ref": "#/components/schemas/O"}`, `"O": {"oneOf": [` + strings.Join(alts, ", ") + `]}`, ""},
		{"200 000 enum values", `{"type": "string", "enum": [` + strings.Join(enum, ", ") + `]}`, "", ""},
		{"nesting 200 deep", nested(200), "", ""},
		{"nesting 250 deep", nested(250), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out, errs := hostileImport(t, oneOperation(tt.schema, tt.components))
			if status != 0 {
				t.Fatalf("status %d: %s", status, errs)
			}
			if tt.note == "" && errs != "" || !strings.Contains(errs, tt.note) {
				t.Errorf("messages %q, want %q", errs, tt.note)
			}
			if len(out) > 4*maxAnswerBytes {
				t.Errorf("%d bytes of rules", len(out))
			}
		})
	}
	// Deeper than the YAML and JSON reader goes (10 000 levels): an error
	// that says so, where.
	status, _, errs := hostileImport(t, oneOperation(nested(4000), ""))
	if want := "/paths/~1x/get/responses/200/content/application~1json/schema" + strings.Repeat("/properties/a", 252) + ": nested deeper than 512 levels"; status != 1 || !strings.Contains(errs, want) {
		t.Errorf("status %d, messages %q, want 1 and %q", status, errs, want)
	}
}

func TestImportOpenAPIHugeExamples(t *testing.T) {
	big := strings.Repeat("x", 8<<20)
	// A media type example of 8 MB: replaced by a sample of the schema.
	doc := `{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/x": {"get": {"responses": {"200": {"description": "ok",
	  "content": {"application/json": {"schema": {"type": "object", "properties": {"id": {"type": "integer"}}}, "example": {"blob": "` + big + `"}}}}}}}}}`
	status, out, errs := hostileImport(t, doc)
	if status != 0 {
		t.Fatalf("status %d: %s", status, errs)
	}
	if want := "/paths/~1x/get/responses/200/content/application~1json: the example is over"; !strings.Contains(errs, want) {
		t.Errorf("messages %q, want %q", errs, want)
	}
	if got, _ := json.Marshal(firstBody(t, out)); string(got) != `{"id":0}` {
		t.Errorf("body %s", got)
	}
	// A schema example of 300 KB that 100 properties share: the sample
	// stops past 1 MiB.
	var props []string
	for i := range 100 {
		props = append(props, fmt.Sprintf(`"p%d": {"$ref": "#/components/schemas/Big"}`, i))
	}
	status, out, errs = hostileImport(t, oneOperation(`{"type": "object", "properties": {`+strings.Join(props, ", ")+`}}`,
		`"Big": {"type": "string", "example": "`+big[:300<<10]+`"}`))
	if status != 0 {
		t.Fatalf("status %d: %s", status, errs)
	}
	if !strings.Contains(errs, "the sample passes") || len(out) > 2*maxAnswerBytes {
		t.Errorf("%d bytes of rules; messages %q", len(out), errs)
	}
}

// TestImportOpenAPIOddPaths: each odd template becomes a rule that
// answers the path a client would send for it, and the rules keep an
// order where each one can answer.
func TestImportOpenAPIOddPaths(t *testing.T) {
	paths := []struct{ template, request, name string }{
		{"/files/{id}.json", "/files/7.json", "json"},
		{"/files/{id}", "/files/7", "plain"},
		{"/files/{a}.{b}", "/files/7.txt", "named"}, // sorts before {id}.json by name
		{"/r/{a}-{b}", "/r/x-y", "pair"},
		{"/café/{ü}", "/café/1", "unicode"},
		{"/a b/{p}", "/a b/1", "space"},
		{"/enc%20oded/{p}", "/enc oded/1", "escaped"},
		{"/100%/{p}", "/100%/1", "percent"},
		{"/(a|b)+/[x]*/{p}$", "/(a|b)+/[x]*/1$", "regexp"},
		{"/glob/*?[!]", "/glob/*?[!]", "glob"},
	}
	var items []string
	for _, p := range paths {
		items = append(items, fmt.Sprintf(`%q: {"get": {"operationId": %q, "responses": {"200": {"description": "ok"}}}}`, p.template, p.name))
	}
	doc := `{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {` + strings.Join(items, ",\n") + `}}`
	status, out, errs := hostileImport(t, doc)
	if status != 0 {
		t.Fatalf("status %d: %s", status, errs)
	}
	var f map[string]any
	json.Unmarshal(out, &f)
	e, err := rules.New(t.Context(), f, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		req, _ := http.NewRequest("GET", "http://backend/", nil)
		req.URL.Path = p.request
		if ex := e.Explain(req); ex.Rule != p.name {
			t.Errorf("%s (template %q) is answered by %q, want %q", p.request, p.template, ex.Rule, p.name)
		}
	}
}

func TestImportOpenAPISamePathsAndNames(t *testing.T) {
	doc := `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a/{x}:
    get: {operationId: get, responses: {"200": {description: ok}}}
  /a/{y}:
    get: {operationId: other, responses: {"200": {description: ok}}}
    put: {operationId: get, responses: {"200": {description: ok}}}
`
	status, out, errs := hostileImport(t, doc)
	if status != 0 {
		t.Fatalf("status %d: %s", status, errs)
	}
	for _, want := range []string{
		`/paths/~1a~1{y}/get: GET /a/{y} is the same path as GET /a/{x}`,
		`/paths/~1a~1{y}/put/operationId: "get" is also the operationId of GET /a/{x}: this operation's rules are named "get PUT /a/{y}"`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("messages %q, want %q", errs, want)
		}
	}
	var names []string
	var f rulesFile
	json.Unmarshal(out, &f)
	for _, r := range f.Rules {
		names = append(names, r.Name)
	}
	if got := strings.Join(names, ", "); got != "get, get PUT /a/{y}" {
		t.Errorf("rules %s", got)
	}
}

func TestImportOpenAPIServerVariables(t *testing.T) {
	tests := []struct{ servers, base, note string }{
		{`[{"url": "https://{region}.example.com/{version}/api", "variables": {"region": {"default": "eu"}, "version": {"default": "v2", "enum": ["v1", "v2"]}}}]`, "/v2/api", ""},
		{`[{"url": "{scheme}://example.com:{port}/base", "variables": {"scheme": {"default": "https"}, "port": {"default": "8443"}}}]`, "/base", ""},
		{`[{"url": "//example.com/rel"}]`, "/rel", ""},
		{`[{"url": "v1"}]`, "/v1", ""},
		{`[{"url": "api.example.com/v3"}]`, "/v3", ""},
		{`[{"url": "https://example.com/{tenant}/api"}]`, "", `/servers/0/url: "https://example.com/{tenant}/api" has a variable with no default`},
	}
	for _, tt := range tests {
		doc := `{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "servers": ` + tt.servers + `, "paths": {"/pets": {"get": {"responses": {"200": {"description": "ok"}}}}}}`
		status, out, errs := hostileImport(t, doc)
		if status != 0 {
			t.Fatalf("%s: status %d: %s", tt.servers, status, errs)
		}
		var f rulesFile
		json.Unmarshal(out, &f)
		if want := tt.base + "/pets"; len(f.Rules) != 1 || f.Rules[0].Match.Path != want {
			t.Errorf("%s: rules %+v, want the path %s", tt.servers, f.Rules, want)
		}
		if tt.note == "" && errs != "" || !strings.Contains(errs, tt.note) {
			t.Errorf("%s: messages %q, want %q", tt.servers, errs, tt.note)
		}
	}
}

// TestImportOpenAPISwaggerPathBody: a Swagger 2.0 body parameter declared
// on the path item (as Netlify's API does) applies to its operations; a
// document the converter still refuses is answered with where.
func TestImportOpenAPISwaggerPathBody(t *testing.T) {
	doc := `{"swagger": "2.0", "info": {"title": "t", "version": "1"}, "parameters": {"site": {"name": "site", "in": "body", "schema": {"type": "object"}}},
	  "paths": {"/sites/{id}": {"parameters": [{"name": "id", "in": "path", "required": true, "type": "string"}, {"$ref": "#/parameters/site"}],
	    "put": {"operationId": "updateSite", "responses": {"200": {"description": "ok", "schema": {"type": "object", "properties": {"id": {"type": "string"}}}}}},
	    "patch": {"operationId": "patchSite", "parameters": [{"name": "b", "in": "body", "schema": {"type": "string"}}], "responses": {"204": {"description": "done"}}}}}}`
	status, out, errs := hostileImport(t, doc)
	if status != 0 {
		t.Fatalf("status %d: %s", status, errs)
	}
	if !bytes.Contains(out, []byte(`"updateSite"`)) || !bytes.Contains(out, []byte(`"patchSite"`)) {
		t.Errorf("rules %s", out)
	}
	status, _, errs = hostileImport(t, `{"swagger": "2.0", "info": {"title": "t", "version": "1"},
	  "paths": {"/ok": {"get": {"responses": {"200": {"description": "ok"}}}}, "/bad": {"parameters": [{"name": "s", "in": "formData", "type": "file"}, {"name": "b", "in": "body", "schema": {"type": "object"}}], "get": {"responses": {"200": {"description": "ok"}}}}}}`)
	t.Logf("status %d: %s", status, errs)
}
