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
		// helpers (templatefastcall.go)
		`{{ .Path | upper }}`, `{{ .Params.id }}`, `{{ add 1 2 3 }}`, `{{ mul (index .Segments 1) 3 }}`,
		`{{ sub 10 "4" }}/{{ div 7 2 }}/{{ mod 7 0 }}`, `{{ addf 1.5 2 }}|{{ round 2.345 2 }}|{{ divf 1 3 }}|{{ mulf 1e21 1 }}`,
		`{{ .Query.Get "q" | trim | upper | default "none" }}`, `{{ .Header.Get "X-Tenant" | title }}`,
		`{{ now | date "2006-01-02" }} {{ now | addDate 0 1 0 | unixEpoch }}`, `{{ date "RFC3339" now }}`,
		`{{ now }}`, `{{ toDate "2006-01-02" "2026-02-03" }}`, `{{ toDate "2006-01-02" "bad" }}`,
		`{{ list 1 "a" 2.5 true }}`, `{{ dict "a" 1 "b" (list 2 3) }}`, `{{ keys (dict "b" 1 "a" 2) }}`,
		`{{ first (splitList "/" .Path) }}{{ last (splitList "/" .Path) }}`, `{{ split "," "a,b" }}`,
		`{{ regexFind "[0-9]+" .Path }}|{{ regexReplaceAll "[aeiou]" .Path "<$0>" }}`,
		`{{ b64enc .Path | b64dec }}|{{ sha256sum .Path }}|{{ md5sum "" }}|{{ hex "é" }}`,
		`{{ add "x" 1 }}`, `{{ coalesce "" 0 "c" }}`, `{{ join "," (list 1 2) }}{{ has "b" (list "a" "b") }}`,
		`{{ index .Segments 2 | upper }}`, `{{ trimPrefix (index .Segments 3) .Path }}`, `{{ default "x" (index .Segments 1) }}`,
		`{{ .Params.id | default "none" | lower }}`, `{{ hostname | upper }}{{ port | default "80" }}`, `{{ add (.Path | trimPrefix "/a") 1 }}`,
		`{{ hostname }}:{{ port }}`, `{{ cookie "s" }}`, `{{ queryObject "f" }}`, `{{ bool "yes" }}{{ bool 0 }}`,
		`{{ fakeName }} <{{ fakeEmail }}> {{ fakeInt 1 6 }} {{ uuid }} {{ randInt 0 100 }} {{ oneOf "a" "b" }}`,
		`{{ fakeDate "2020-01-01T00:00:00Z" "2021-01-01T00:00:00Z" | date "DateOnly" }} {{ fakeSentence 3 }}`,
		`{{ substr 1 3 .Path }}{{ trunc -2 .Path }}{{ repeat 3 "ab" }}{{ replace "/" "_" .Path }}`,
	}
	slow := []string{`{{ $x := .Path }}{{ $x }}`, `{{ if .Path }}y{{ end }}`, `{{ index .Segments 1 | printf "%q" }}`, `{{ add $.Path 1 }}`, `{{ body "a" | upper }}`,
		`{{ add nil 1 }}`, `{{ default nil nil }}`, `{{ len (until 3) }}`}
	targets := []string{"/", "/a", "/a/b", "/a/b/", "//x", "/a%2Fb/c?q=1&q=2", "/users/42/orders/7?q=%3C%3E", "/x/7?q=+hi+&f[a]=1&f[b][c]=2&f[l][]=x"}

	var set = newTemplateSet()
	if err := set.setSeed(config.At("seed"), "fixed"); err != nil {
		t.Fatal(err)
	}
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
		req.Header.Set("X-Forwarded-Host", "api.example.com:8443")
		req.Header.Set("Cookie", "a=1; s=sess")
		x := &exchange{}
		x.reset(req.WithContext(context.Background()), e.bodyLimits)
		x.set = e.current.Load()
		x.rule = &x.set.rules[0]
		b := set.bind(x)
		for i := range templates {
			var fast, slow bytes.Buffer
			if err := b.reseed(i); err != nil {
				t.Fatal(err)
			}
			fastErr := set.fast[i].render(&fast, b)
			if err := b.reseed(i); err != nil {
				t.Fatal(err)
			}
			slowErr := b.templates[i].Execute(&slow, x.templateData())
			if (fastErr == nil) != (slowErr == nil) || fast.String() != slow.String() && fastErr == nil {
				t.Errorf("%s on %s: fast %q (%v), text/template %q (%v)", templates[i], target, fast.String(), fastErr, slow.String(), slowErr)
			}
		}
		set.release(b)
	}
}
