package rules

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestRandomStringHelpers(t *testing.T) {
	tests := []struct {
		name, template string
		want           *regexp.Regexp
	}{
		{"letters and digits", `{{ randAlphaNum 16 }}`, regexp.MustCompile(`^[A-Za-z0-9]{16}$`)},
		{"letters", `{{ randAlpha 8 }}`, regexp.MustCompile(`^[A-Za-z]{8}$`)},
		{"digits", `{{ randNumeric 5 }}`, regexp.MustCompile(`^[0-9]{5}$`)},
		{"printable ASCII", `{{ randAscii 40 }}`, regexp.MustCompile(`^[!-~]{40}$`)},
		{"a length from the request", `{{ randNumeric (.Query.Get "n") }}`, regexp.MustCompile(`^[0-9]{3}$`)},
		{"zero characters", `{{ randAlpha 0 }}`, regexp.MustCompile(`^$`)},
		{"a negative length fails", `{{ randAlpha -1 }}`, regexp.MustCompile(`response template failed`)},
		{"a length past 1 MiB fails", `{{ randAlpha 1048577 }}`, regexp.MustCompile(`response template failed`)},
		{"a length that is not a number fails", `{{ randAlpha "x" }}`, regexp.MustCompile(`response template failed`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, `{"rules":[{"name":"r","response":{"headers":{"Content-Type":"text/plain"},"body":`+jsonString(tt.template)+`}}]}`, nil)
			_, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/x?n=3", "", nil))
			if !tt.want.MatchString(body) {
				t.Errorf("%s gave %q, want %s", tt.template, body, tt.want)
			}
		})
	}
}

func TestRandomStringHelpersFollowTheSeed(t *testing.T) {
	cfg := `{"rules":[{"name":"r","response":{"seed":"{{ .Query.Get \"s\" }}","body":{"id":"ch_{{ randAlphaNum 16 }}"}}}]}`
	e := newEngine(t, cfg, nil)
	get := func(seed string) string {
		_, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/x?s="+seed, "", http.Header{}))
		return body
	}
	a, b, c := get("1"), get("1"), get("2")
	if a != b || a == c || !strings.HasPrefix(a, `{"id":"ch_`) {
		t.Errorf("seed 1 gave %s then %s, seed 2 %s: want the same for the same seed, another for another", a, b, c)
	}
}
