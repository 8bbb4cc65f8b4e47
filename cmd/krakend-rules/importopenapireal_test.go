package main

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"krakend-rules/rules"
)

// TestImportOpenAPIRealDocuments imports the documents named in
// $OPENAPI_DOCS (large public ones, not committed: see the README's
// "Mocks from OpenAPI"): the rules load in the engine and pass the linter,
// and the request made of each operation's path template, its parameters
// set to 1, is answered by a rule of that operation (none shadows another).
func TestImportOpenAPIRealDocuments(t *testing.T) {
	docs := strings.Fields(os.Getenv("OPENAPI_DOCS"))
	if len(docs) == 0 {
		t.Skip("OPENAPI_DOCS names no documents")
	}
	for _, spec := range docs {
		t.Run(spec, func(t *testing.T) {
			doc, err := loadOpenAPI(spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			file, notes := importOpenAPI(doc, importOptions{status: "2xx", base: "auto"})
			text, _ := encodeRulesFile(file)
			start := time.Now()
			checkRulesFile(t, text)
			t.Logf("%d rules, %d bytes, %d notes, check %v", len(file.Rules), len(text), len(notes), time.Since(start))
			var cfg map[string]any
			json.Unmarshal(text, &cfg)
			e, err := rules.New(t.Context(), cfg, rules.Options{})
			if err != nil {
				t.Fatal(err)
			}
			base, _ := basePath(doc, "auto")
			ops, wrong := 0, 0
			for p, item := range doc.Paths.Map() {
				for m, op := range item.Operations() {
					ops++
					path := unescapePath(base + templateParam.ReplaceAllString(p, "1"))
					req, _ := http.NewRequest(m, "http://b/", nil)
					req.URL.Path = path
					ex := e.Explain(req)
					want := op.OperationID
					if want == "" {
						want = m + " " + p
					}
					if ex.Rule != want && !strings.HasPrefix(ex.Rule, want+" ") {
						wrong++
						if wrong < 6 {
							t.Logf("%s %s (%s) answered by %q, want %q", m, p, path, ex.Rule, want)
						}
					}
				}
			}
			t.Logf("%d operations, %d answered by another operation's rule", ops, wrong)
			if wrong > 0 {
				t.Errorf("%d of %d operations are answered by another's rule", wrong, ops)
			}
		})
	}
}
