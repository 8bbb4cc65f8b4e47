package e2e

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestImportedOpenAPIServesThroughTheGateway builds the command, imports
// real OpenAPI documents (3.0 with examples, 3.0 with schemas only and
// -params, 3.1) into rules files, and serves them through the gateway: each
// operation answers the status, content type and example (or sample) of
// its document.
func TestImportedOpenAPIServesThroughTheGateway(t *testing.T) {
	dir := t.TempDir()
	command := filepath.Join(dir, "krakend-rules")
	build := exec.Command("go", "build", "-o", command, "./cmd/krakend-rules")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the command: %v\n%s", err, out)
	}
	specs := filepath.Join(repoRoot, "cmd", "krakend-rules", "testdata", "openapi")
	imported := func(name string, args ...string) string {
		t.Helper()
		out := filepath.Join(dir, name+".rules.json")
		args = append(append([]string{"import", "openapi", "-o", out}, args...), filepath.Join(specs, name))
		if msg, err := exec.Command(command, args...).CombinedOutput(); err != nil {
			t.Fatalf("import %s: %v\n%s", name, err, msg)
		}
		return out
	}
	uspto := imported("3.0-uspto.yaml")
	petstore := imported("3.0-petstore-expanded.yaml", "-params", "-base", "/")
	tictactoe := imported("3.1-tictactoe.yaml")

	backend := newBackend(t, nil)
	file := func(name string) string {
		b, _ := json.Marshal(map[string]any{"debug_header": true, "rules_file": name})
		return string(b)
	}
	prefer := []string{"Prefer", "Accept"}
	g := startGateway(t, config(
		endpoint("GET", "/uspto", backend.url, "/ds-api/", prefer, nil, file(uspto)),
		endpoint("GET", "/uspto/{dataset}/{version}/fields", backend.url, "/ds-api/{dataset}/{version}/fields", prefer, nil, file(uspto)),
		endpoint("GET", "/pets/{id}", backend.url, "/pets/{id}", prefer, nil, file(petstore)),
		endpoint("DELETE", "/pets/{id}", backend.url, "/pets/{id}", prefer, nil, file(petstore)),
		endpoint("GET", "/board", backend.url, "/board", prefer, nil, file(tictactoe)),
		endpoint("GET", "/board/{row}/{column}", backend.url, "/board/{row}/{column}", prefer, nil, file(tictactoe)),
	))

	loader := openapi3.NewLoader()
	usptoDoc, err := loader.LoadFromFile(filepath.Join(specs, "3.0-uspto.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	example := usptoDoc.Paths.Value("/").Get.Responses.Value("200").Value.Content["application/json"].Example

	a := g.get("/uspto")
	expect(t, "an operation's example", a, 200, "*", "Content-Type", "application/json", "X-Krakend-Rule", "list-data-sets")
	var got any
	if err := json.Unmarshal([]byte(a.body), &got); err != nil || !reflect.DeepEqual(got, example) {
		t.Errorf("the answer is not the document's example: %v\n%s", err, a.body)
	}
	expect(t, "the default response", g.get("/uspto/oa_citations/v1/fields"), 200, `"string"`, "X-Krakend-Rule", "list-searchable-fields")
	expect(t, "another response, by Prefer", g.get("/uspto/oa_citations/v1/fields", "Prefer", "code=404"), 404, `"string"`, "X-Krakend-Rule", "list-searchable-fields 404")

	expect(t, "a path parameter in a schema sample", g.get("/pets/42"), 200, `{"id":42,"name":"string","tag":"string"}`, "X-Krakend-Rule", "find pet by id")
	expect(t, "204", g.do("DELETE", "/pets/42", nil, nil), 204, "", "X-Krakend-Rule", "deletePet")
	expect(t, "a parameter that is not an integer", g.get("/pets/rex"), 200, `{"backend":true}`, "X-Krakend-Rule", "delegated")

	expect(t, "a 3.1 schema sample", g.get("/board"), 200, `{"board":[[".",".","."],[".",".","."],[".",".","."]],"winner":"."}`, "X-Krakend-Rule", "get-board")
	expect(t, "a 3.1 text example", g.get("/board/1/1", "Prefer", "code=400"), 400, "Illegal coordinates", "Content-Type", "text/html", "X-Krakend-Rule", "get-square 400")
	expect(t, "a 3.1 enum", g.do("GET", "/board/1/2", http.Header{}, nil), 200, `"."`, "X-Krakend-Rule", "get-square")
}
