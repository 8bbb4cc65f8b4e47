package rules

import (
	"bytes"
	"context"
	"krakend-rules/config"
	"net/http/httptest"
	"strconv"
	"testing"
)

// TestFastTemplatesAgreeWithTextTemplate renders every template both ways,
// over requests with odd paths, and compares outputs and errors.
func TestFastTemplatesAgreeWithTextTemplate(t *testing.T) {
	templates := []string{
		`{{ .Path }}`, `{{.Method}}`, `{{ .Host }}`, `{{ .Rule }}`,
		`id={{ index .Segments 0 }}/{{ index .Segments 1 }}!`, `{{ index .Segments 3 }}`,
		`{{ .Header.Get "x-tenant" }}|{{ .Header.Get "X-Missing" }}`, `{{ .Query.Get "q" }}{{ .Query.Get "none" }}`,
		`plain {{ .Path }} and {{ .Method }} text`,
	}
	slow := []string{`{{ .Path | upper }}`, `{{ $x := .Path }}{{ $x }}`, `{{ if .Path }}y{{ end }}`, `{{ index .Segments 1 | printf "%q" }}`, `{{ .Params.id }}`}
	targets := []string{"/", "/a", "/a/b", "/a/b/", "//x", "/a%2Fb/c?q=1&q=2", "/users/42/orders/7?q=%3C%3E"}

	var set = newTemplateSet()
	for i, text := range append(templates, slow...) {
		if _, err := set.add(config.At("t"+strconv.Itoa(i)), text); err != nil {
			t.Fatal(err)
		}
	}
	for i := range templates {
		if set.fast[i] == nil {
			t.Errorf("%s should take the fast path", templates[i])
		}
	}
	for i := range slow {
		if set.fast[len(templates)+i] != nil {
			t.Errorf("%s must not take the fast path", slow[i])
		}
	}
	e := newEngine(t, `{"rules":[{"name":"r","response":{}}]}`, nil)
	for _, target := range targets {
		req := httptest.NewRequest("PATCH", "http://backend.invalid:81"+target, nil)
		req.Header.Set("X-Tenant", "acme")
		x := &exchange{}
		x.reset(req.WithContext(context.Background()), e.bodyLimits)
		x.rule = e.current.Load().rules[0]
		b := set.bind(x)
		for i := range templates {
			var fast, slow bytes.Buffer
			fastErr := set.fast[i].render(&fast, x)
			slowErr := b.templates[i].Execute(&slow, x.templateData())
			if (fastErr == nil) != (slowErr == nil) || fast.String() != slow.String() && fastErr == nil {
				t.Errorf("%s on %s: fast %q (%v), text/template %q (%v)", templates[i], target, fast.String(), fastErr, slow.String(), slowErr)
			}
		}
		set.release(b)
	}
}
