package lint

import (
	"bytes"
	"os"
	"testing"
)

// FuzzContent: any text as a krakend.json gives findings, never a panic,
// and every finding located in the krakend.json points inside it.
func FuzzContent(f *testing.F) {
	for _, name := range []string{"../examples/krakend.json", "../examples/lint/krakend.json"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(gatewayConfig(noOp, noOpBackend, `{"rules": [{"match": {"headers": {"X-A": "1"}, "any": [{"not": {"body": {"a": "1"}}}]}, "delegate": {"timeout": "3s", "status": {"404": 503}}}]}`)))
	f.Add([]byte(`{"endpoints": [{"backend": [{"extra_config": {"plugin/http-client": {"name": "krakend-rules", "krakend-rules": null}}}]}]}`))
	f.Add([]byte(`{"endpoints": [{"backend": [{"extra_config": {"plugin/http-client": {"name": "krakend-rules", "krakend-rules": {"rules_file": "/nonexistent/x.json"}}}}]}]}`))
	f.Add([]byte(`{"plugin": {"folder": "./build/"}, "endpoints": [{"extra_config": {"krakend_rules": {}, "plugin/http-client": {"name": "krakend-rules"}}, "backend": [{"extra_config": {"plugin/http-client": {"name": "Krakend-Rule", "krakend-rules": {"rules": [{"delay": "1s-3s", "response": {}}]}}, "krakend-rules": {}}}]}]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, content []byte) {
		report := Content("krakend.json", content)
		lines := bytes.Count(content, []byte("\n")) + 1
		for _, finding := range report.Findings {
			if finding.File == "krakend.json" && (finding.Line < 1 || finding.Line > lines || finding.Column < 1) {
				t.Errorf("finding outside the file (%d lines): %s", lines, finding)
			}
			if finding.Message == "" {
				t.Errorf("finding without a message: %#v", finding)
			}
		}
	})
}
