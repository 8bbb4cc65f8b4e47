package schemagen

import (
	"strings"
	"testing"

	"krakend-rules/config"
)

// TestUnknownKeywordKey checks that a SchemaKeywords entry for a field that
// does not exist stops the generator, rather than vanishing.
func TestUnknownKeywordKey(t *testing.T) {
	config.SchemaKeywords["Rule.nmae"] = config.Keywords{"minLength": 1}
	defer delete(config.SchemaKeywords, "Rule.nmae")
	if _, _, err := Generate("../../config"); err == nil || !strings.Contains(err.Error(), "Rule.nmae") {
		t.Errorf("the generator accepts a keyword for Rule.nmae: %v", err)
	}
}

// TestDescriptions checks how comments become descriptions: the field's
// names cut off, Go field names written as JSON names, hyphenated header
// names left alone.
func TestDescriptions(t *testing.T) {
	mainSchema, _, err := Generate("../../config")
	if err != nil {
		t.Fatal(err)
	}
	s := string(mainSchema)
	for _, want := range []string{
		`"description": "How often rules_file is polled`,
		`like one longer than max_body_bytes`,
		`answers one of on_status.`,
		`the first X-Forwarded-Host without its port`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the schema has no %q", want)
		}
	}
	for _, unwanted := range []string{`("`, "MaxBodyBytes", "IgnoreArrayOrder", "Fallback.OnStatus"} {
		if strings.Contains(s, unwanted) {
			t.Errorf("the schema has %q", unwanted)
		}
	}
}
