package rules

import (
	"bytes"
	"context"
	"krakend-rules/config"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMETemplateFunctions renders every example of the README's
// "Template functions" table whose result is written as code, and compares.
func TestREADMETemplateFunctions(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(readme, []byte("| function | arguments | example | result |"))
	if start < 0 {
		t.Fatal("the README has no template function table")
	}
	table := readme[start:]
	table = table[:bytes.Index(table, []byte("\n\n"))]
	code := regexp.MustCompile("`([^`]*)`")
	cell := regexp.MustCompile(`(?:\\\||[^|])+`)
	e := newEngine(t, `{"rules":[{"name":"r","response":{}}]}`, nil)
	checked := 0
	for _, row := range strings.Split(string(table), "\n")[2:] {
		cells := cell.FindAllString(row, -1)
		if len(cells) != 4 {
			t.Fatalf("a row without 4 cells: %s", row)
		}
		// The results written as code at the start of the cell, before
		// any words.
		lead := strings.TrimSpace(cells[3])
		if end := regexp.MustCompile("^(`[^`]*`[, ]*)+").FindStringIndex(lead); end != nil {
			lead = lead[:end[1]]
		} else {
			lead = ""
		}
		examples, results := code.FindAllStringSubmatch(cells[2], -1), code.FindAllStringSubmatch(lead, -1)
		if len(examples) == 0 || len(examples) != len(results) || strings.Contains(cells[0], "fake") {
			continue // a result in words, or random
		}
		for i, ex := range examples {
			text := strings.ReplaceAll(ex[1], `\|`, "|")
			want := strings.ReplaceAll(results[i][1], `\|`, "|")
			if strings.Contains(text, " on ") {
				continue
			}
			set := newTemplateSet()
			n, err := set.add(config.At("readme"), text)
			if err != nil {
				t.Errorf("%s: %v", text, err)
				continue
			}
			req := httptest.NewRequest("GET", "http://backend.invalid/users/42?q=+ada+lovelace+&f[a]=1&f[b][c]=2&f[l][]=x", strings.NewReader(`{"user":{"name":"Ada"}}`))
			req.Header.Set("X-Forwarded-Host", "api.example.com:8443")
			x := &exchange{}
			x.reset(req.WithContext(context.Background()), e.bodyLimits)
			x.clock = testClock
			b := set.bind(x)
			var out bytes.Buffer
			if err := b.execute(&out, n); err != nil {
				t.Errorf("%s: %v", text, err)
			} else if got := out.String(); got != want && !strings.HasSuffix(want, "…") {
				t.Errorf("%s: got %q, the README says %q", text, got, want)
			}
			set.release(b)
			checked++
		}
	}
	if checked < 30 {
		t.Errorf("only %d examples checked", checked)
	}
}
