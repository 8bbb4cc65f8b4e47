package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"krakend-rules/lint"
	"krakend-rules/rules"
)

var update = flag.Bool("update", false, "rewrite the golden rules files of testdata/openapi/golden")

// goldenImports are the documents of testdata/openapi and the options each
// is imported with; the golden file is testdata/openapi/golden/NAME.json.
var goldenImports = []struct {
	name, spec string
	args       []string
}{
	{"2.0-petstore-expanded", "2.0-petstore-expanded.json", nil},
	{"3.0-api-with-examples", "3.0-api-with-examples.yaml", nil},
	{"3.0-callback-example", "3.0-callback-example.yaml", nil},
	{"3.0-link-example", "3.0-link-example.yaml", nil},
	{"3.0-petstore", "3.0-petstore.yaml", nil},
	{"3.0-petstore-expanded", "3.0-petstore-expanded.yaml", nil},
	{"3.0-petstore-expanded-params", "3.0-petstore-expanded.yaml", []string{"-params", "-base", "/"}},
	{"3.0-swagger-petstore", "3.0-swagger-petstore.yaml", nil},
	{"3.0-twilio_events_v1", "3.0-twilio_events_v1.yaml", nil},
	{"3.0-twilio_sync_v1", "3.0-twilio_sync_v1.yaml", nil},
	{"3.0-uspto", "3.0-uspto.yaml", nil},
	{"3.0-uspto-404", "3.0-uspto.yaml", []string{"-status", "404", "-base", "/api"}},
	{"3.1-non-oauth-scopes", "3.1-non-oauth-scopes.yaml", nil},
	{"3.1-tictactoe", "3.1-tictactoe.yaml", nil},
	{"3.1-webhook-example", "3.1-webhook-example.yaml", nil},
}

// TestImportOpenAPIGolden imports each real document and compares the
// rules file with the committed one (go test -run Golden ./cmd/krakend-rules/ -update rewrites them).
// Each rules file must also load in the engine and pass the linter with no
// error, as "krakend-rules check" would run it.
func TestImportOpenAPIGolden(t *testing.T) {
	for _, g := range goldenImports {
		t.Run(g.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append(append([]string{"import", "openapi"}, g.args...), filepath.Join("testdata", "openapi", g.spec))
			if status := run(args, &stdout, &stderr); status != 0 {
				t.Fatalf("status %d: %s", status, stderr.String())
			}
			golden := filepath.Join("testdata", "openapi", "golden", g.name+".json")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if !bytes.Equal(stdout.Bytes(), want) {
				t.Errorf("the import of %s differs from %s (run with -update after checking the change):\n%s", g.spec, golden, stdout.String())
			}
			checkRulesFile(t, stdout.Bytes())
		})
	}
}

// checkRulesFile loads a rules file as the engine would and lints it in
// a krakend.json that names it: no errors allowed.
func checkRulesFile(t *testing.T, content []byte) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "rules.json")
	if err := os.WriteFile(file, content, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := rules.Check(map[string]any{"rules_file": file}); err != nil {
		t.Fatalf("the engine rejects the rules file: %v", err)
	}
	name, _ := json.Marshal(file)
	folder, _ := json.Marshal(dir)
	os.WriteFile(filepath.Join(dir, "krakend-rules.so"), nil, 0o644)
	krakend := `{"version": 3, "plugin": {"folder": ` + string(folder) + `, "pattern": ".so"}, "endpoints": [{"endpoint": "/{path}", "output_encoding": "no-op", "input_headers": ["Accept", "Prefer"],
	  "backend": [{"url_pattern": "/{path}", "encoding": "no-op", "extra_config": {"plugin/http-client": {"name": "krakend-rules", "krakend-rules": {"rules_file": ` + string(name) + `}}}}]}]}`
	report := lint.Options{WorkDir: dir}.Content("krakend.json", []byte(krakend))
	for _, f := range report.Findings {
		// The one GET endpoint stands for all: methods other than GET are
		// not a mistake of the import, and a document without operations
		// has no rules. Anything else (a rule that never applies…) is.
		expected := strings.HasSuffix(f.Location, ".match.methods") || f.Location == "rules"
		if f.Severity == lint.Error || !expected {
			t.Errorf("check: %s", f)
		}
	}
}

func TestImportOpenAPIPathPatterns(t *testing.T) {
	intParam := openapi3.Parameters{{Value: &openapi3.Parameter{In: "path", Name: "id", Schema: openapi3.NewIntegerSchema().NewRef()}}}
	tests := []struct {
		base, template string
		params         openapi3.Parameters
		want, shape    string
	}{
		{"", "/users", nil, "/users", "0"},
		{"/v1", "/users/me", nil, "/v1/users/me", "000"},
		{"", "/users/{id}", nil, "~^/users/(?P<id>[^/]+)$", "02"},
		{"", "/users/{id}", intParam, "~^/users/(?P<id>-?[0-9]+)$", "02"},
		{"", "/files/{file-name}.{ext}", nil, `~^/files/(?P<file_name>[^/]+)\.(?P<ext>[^/]+)$`, "01"},
		{"", "/a*b/[c]", nil, `/a\*b/\[c\]`, "00"},
		// Odd templates: regexp metacharacters, unicode, spaces, %XX
		// escapes (decoded: the engine matches the decoded path), a "%"
		// that escapes nothing (kept), a parameter name that is no group
		// name, two that make the same one.
		{"", "/{id}.json", nil, `~^/(?P<id>[^/]+)\.json$`, "1"},
		{"", "/r/{a}-{b}", nil, `~^/r/(?P<a>[^/]+)-(?P<b>[^/]+)$`, "01"},
		{"", "/(a|b)+/{x}$^", nil, `~^/\(a\|b\)\+/(?P<x>[^/]+)\$\^$`, "01"},
		{"", "/café/{ü}", nil, `~^/café/(?P<_>[^/]+)$`, "02"},
		{"", "/a b/a%20b/{p}", nil, `~^/a b/a b/(?P<p>[^/]+)$`, "002"},
		{"", "/100%/x%2", nil, `/100%/x%2`, "00"},
		{"", "/{a-b}/{a_b}/{9}", nil, `~^/(?P<a_b>[^/]+)/(?P<a_b_>[^/]+)/(?P<p9>[^/]+)$`, "222"},
	}
	for _, tt := range tests {
		got, _, shape := pathPattern(tt.base, tt.template, tt.params)
		if got != tt.want || shape != tt.shape {
			t.Errorf("pathPattern(%q, %q) = %q %q, want %q %q", tt.base, tt.template, got, shape, tt.want, tt.shape)
		}
	}
}

func TestImportOpenAPIOrdersLiteralPathsFirst(t *testing.T) {
	doc := loadString(t, `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /users/{id}:
    get: {operationId: byId, responses: {"200": {description: ok}}}
  /users/me:
    get: {operationId: me, responses: {"200": {description: ok}}}
  /users/{id}/orders/{n}:
    get: {operationId: order, responses: {"200": {description: ok}}}
  /users/{id}/orders/latest:
    get: {operationId: latest, responses: {"200": {description: ok}}}
`)
	f, _ := importOpenAPI(doc, importOptions{status: "2xx", base: "auto"})
	var names []string
	for _, r := range f.Rules {
		names = append(names, r.Name)
	}
	if want := []string{"me", "byId", "latest", "order"}; !reflect.DeepEqual(names, want) {
		t.Errorf("order %q, want %q", names, want)
	}
}

func loadString(t *testing.T, text string) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestImportOpenAPISamplesSchemas(t *testing.T) {
	doc := loadString(t, `openapi: 3.1.0
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Base: {type: object, properties: {id: {type: integer, minimum: 1}, kind: {type: string, enum: [cat, dog]}}}
    Pet:
      allOf:
        - $ref: '#/components/schemas/Base'
        - type: object
          properties:
            name: {type: string, example: Rex}
            born: {type: string, format: date}
            tags: {type: array, items: {type: string, default: none}}
            secret: {type: string, writeOnly: true}
    Either: {oneOf: [{type: string, format: email}, {type: integer}]}
    Nullable: {type: [string, "null"], format: uuid}
    Examples31: {type: string, examples: [first, second]}
    Tree: {type: object, properties: {children: {type: array, items: {$ref: '#/components/schemas/Tree'}}}}
    Map: {type: object, additionalProperties: {type: number}}
    Flag: {type: boolean}
`)
	tests := []struct {
		schema string
		want   any
	}{
		{"Pet", map[string]any{"id": int64(1), "kind": "cat", "name": "Rex", "born": "2024-01-01", "tags": []any{"none"}}},
		{"Either", "user@example.com"},
		{"Nullable", "3fa85f64-5717-4562-b3fc-2c963f66afa6"},
		{"Examples31", "first"},
		{"Tree", map[string]any{"children": []any{nil}}},
		{"Map", map[string]any{"additionalProp1": 0.0}},
		{"Flag", true},
	}
	for _, tt := range tests {
		got := newSampler().sample(doc.Components.Schemas[tt.schema], 0)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("sample of %s = %#v, want %#v", tt.schema, got, tt.want)
		}
	}
}

func TestImportOpenAPITemplatesParametersAndEscapesTemplates(t *testing.T) {
	doc := loadString(t, `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /shops/{shop}/items/{itemId}:
    get:
      operationId: item
      parameters:
        - {in: path, name: shop, required: true, schema: {type: string}}
        - {in: path, name: itemId, required: true, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              example: {id: 5, shop: x, note: "{{ not a template }}"}
`)
	f, _ := importOpenAPI(doc, importOptions{status: "2xx", base: "auto", params: true})
	got := f.Rules[0].Response.BodyTemplate
	want := `{"id":{{ .Params.itemId }},"note":"{{"{{"}} not a template }}","shop":{{ json .Params.shop }}}`
	if got != want {
		t.Fatalf("body_template\n got %s\nwant %s", got, want)
	}
	text, _ := encodeRulesFile(f)
	e, err := rules.New(t.Context(), map[string]any{"rules": decode(t, text)["rules"]}, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://b/shops/a%22b/items/42", nil)
	ex := e.Explain(req)
	if ex.Answer == nil || ex.Answer.Body != `{"id":42,"note":"{{ not a template }}","shop":"a\"b"}` {
		t.Fatalf("answer %+v", ex.Answer)
	}
}

func decode(t *testing.T, text []byte) map[string]any {
	var v map[string]any
	if err := json.Unmarshal(text, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// synthetic is a document with n operations: petstore-expanded's four,
// repeated under /svc0, /svc1…
func synthetic(n int) string {
	var b strings.Builder
	b.WriteString("openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n")
	for i := 0; i < n; i += 2 {
		fmt.Fprintf(&b, `  /svc%d/pets:
    get:
      responses: {"200": {description: ok, content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}}}}, default: {description: err}}
    post:
      responses: {"201": {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}, "400": {description: bad}}
`, i)
	}
	b.WriteString(`components:
  schemas:
    Pet: {type: object, required: [id, name], properties: {id: {type: integer, format: int64}, name: {type: string, example: Rex}, tag: {type: string}, born: {type: string, format: date-time}}}
`)
	return b.String()
}

// TestImportOf20OperationsIsFast: the bar is under a second for a
// document of 20 operations (reading, loading, building and writing): a
// synthetic one, and Twilio's Events API (22 operations, 100 KB).
func TestImportOf20OperationsIsFast(t *testing.T) {
	dir := t.TempDir()
	synth := filepath.Join(dir, "spec.yaml")
	os.WriteFile(synth, []byte(synthetic(20)), 0o644)
	for _, spec := range []string{synth, filepath.Join("testdata", "openapi", "3.0-twilio_events_v1.yaml")} {
		start, cpuStart := time.Now(), cpuTime(t)
		var out, errs bytes.Buffer
		if status := run([]string{"import", "openapi", spec, "-o", filepath.Join(dir, "rules.json")}, &out, &errs); status != 0 {
			t.Fatal(errs.String())
		}
		// CPU time, which a machine busy with other work does not inflate.
		cpu, wall := cpuTime(t)-cpuStart, time.Since(start)
		t.Logf("importing %s: %v of CPU, %v of wall time", filepath.Base(spec), cpu, wall)
		if cpu > time.Second && !raceEnabled {
			t.Errorf("importing %s took %v of CPU", spec, cpu)
		}
		content, err := os.ReadFile(filepath.Join(dir, "rules.json")) // -o after the document
		if err != nil {
			t.Fatal(err)
		}
		checkRulesFile(t, content)
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkImportOpenAPI(b *testing.B) {
	dir := b.TempDir()
	specs := map[string]string{
		"swagger-petstore(19 ops)": filepath.Join("testdata", "openapi", "3.0-swagger-petstore.yaml"),
		"twilio-events(22 ops)":    filepath.Join("testdata", "openapi", "3.0-twilio_events_v1.yaml"),
		"twilio-sync(48 ops)":      filepath.Join("testdata", "openapi", "3.0-twilio_sync_v1.yaml"),
	}
	for _, n := range []int{20, 200} {
		p := filepath.Join(dir, fmt.Sprintf("ops%d.yaml", n))
		os.WriteFile(p, []byte(synthetic(n)), 0o644)
		specs[fmt.Sprintf("synthetic(%d ops)", n)] = p
	}
	for _, name := range sortedKeys(specs) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				var out, errs bytes.Buffer
				if status := run([]string{"import", "openapi", specs[name]}, &out, &errs); status != 0 {
					b.Fatal(errs.String())
				}
			}
		})
	}
}

// TestImportOpenAPI31Keywords: what kin-openapi v0.133.0's 3.0 model does
// not read of OpenAPI 3.1 — numeric exclusiveMinimum (rewritten before
// loading), const and examples (kept as unknown members), type lists
// and "null" — still gives samples.
func TestImportOpenAPI31Keywords(t *testing.T) {
	spec := filepath.Join(t.TempDir(), "spec.yaml")
	os.WriteFile(spec, []byte(`openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /n:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  n: {type: integer, exclusiveMinimum: 5}
                  c: {const: fixed}
                  e: {type: [string, "null"], examples: [first]}
                  nul: {type: "null"}
`), 0o644)
	var out, errs bytes.Buffer
	if status := run([]string{"import", "openapi", spec}, &out, &errs); status != 0 {
		t.Fatal(errs.String())
	}
	var f struct {
		Rules []struct{ Response struct{ Body any } }
	}
	json.Unmarshal(out.Bytes(), &f)
	want := map[string]any{"n": 6.0, "c": "fixed", "e": "first", "nul": nil}
	if len(f.Rules) != 1 || !reflect.DeepEqual(f.Rules[0].Response.Body, want) {
		t.Errorf("got %s", out.String())
	}
}

// FuzzPathPattern: whatever a document's path template, its pattern
// compiles in the engine, and the template with each parameter filled in
// is answered by the rule.
func FuzzPathPattern(f *testing.F) {
	for _, s := range []string{"/users/{id}", "/a*b/[c]/{x}.{y}", "/{}/{{a}}", `/\!{p}~`, "/files/{file-name}", "/a%20b/{x}%41", "/100%/{x}%zz", "/café/{ü}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, template string) {
		if !strings.HasPrefix(template, "/") || strings.ContainsAny(template, "?#\x00") || !utf8.ValidString(template) {
			return
		}
		pattern, _, _ := pathPattern("", template, nil)
		e, err := rules.New(t.Context(), map[string]any{"rules": []any{
			map[string]any{"name": "r", "match": map[string]any{"path": pattern}, "response": map[string]any{"status": 299.0}},
		}}, rules.Options{})
		if err != nil {
			t.Fatalf("the pattern %q of %q does not compile: %v", pattern, template, err)
		}
		var literals []string // the template's text between parameters, %XX decoded
		for _, l := range templateParam.Split(template, -1) {
			literals = append(literals, unescapePath(l))
		}
		path := strings.Join(literals, "1")
		u := &url.URL{Path: path}
		req, err := http.NewRequest("GET", "http://b"+u.EscapedPath(), nil)
		if err != nil || req.URL.Path != path {
			return // not a path a request can have
		}
		if ex := e.Explain(req); ex.Rule != "r" {
			t.Fatalf("%q (pattern %q) does not answer %q: %+v", template, pattern, path, ex.Tried)
		}
	})
}
