package rules

import (
	crand "crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"text/template"
	"unicode/utf8"
)

// validUTF8 replaces invalid UTF-8 with U+FFFD, copying only when there is
// some.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// funcs are the template functions. None of them reads files or the
// network; env reads only KRAKEND_RULES_* variables. Names and argument
// order follow the sprig library where it has the function, so that pipes
// read the same: {{ .Query.Get "x" | default "none" }}.
func (b *boundTemplates) funcs() template.FuncMap {
	m := template.FuncMap{
		// body returns the string value at a gjson path of the JSON request
		// body; "" when missing or when the body cannot be evaluated.
		// Invalid UTF-8 in it becomes U+FFFD, so that no answer carries it.
		"body": func(path string) string {
			res, ok := b.x.body.get(path)
			if !ok {
				return ""
			}
			return validUTF8(res.String())
		},
		// bodyRaw returns the raw JSON at a gjson path; null when missing.
		// Invalid UTF-8 becomes U+FFFD, which keeps it JSON.
		"bodyRaw": func(path string) string {
			res, ok := b.x.body.get(path)
			if !ok || !res.Exists() {
				return "null"
			}
			return validUTF8(res.Raw)
		},
		"json": jsonEncode,
		// counter is how many requests this rule has answered, this one
		// included, starting at 1.
		"counter": func() uint64 { return b.x.count },
		// retryAfter is the whole seconds until the rule's active window
		// ends; 0 when it has no end.
		"retryAfter": func() int64 {
			if b.x.rule == nil || b.x.set.extrasOf(b.x.rule).active == nil {
				return 0
			}
			return b.x.set.extrasOf(b.x.rule).active.secondsLeft(b.x.now())
		},
		"env": env,
	}
	addHelperFuncs(m, b)
	b.stateFuncs(m) // statefuncs.go
	return m
}

// defaultValue returns given unless it is empty (nil, "", 0, false, or an
// empty list or map), and def then, as sprig's default does.
func defaultValue(def any, given ...any) any {
	if len(given) == 0 || isEmpty(given[0]) {
		return def
	}
	return given[0]
}

func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return rv.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return rv.IsNil()
	default:
		return rv.IsZero()
	}
}

// EnvPrefix is the prefix of the only environment variables templates may
// read, so that nothing else of the gateway's environment can leak.
const EnvPrefix = "KRAKEND_RULES_"

func env(name string) (string, error) {
	if !strings.HasPrefix(name, EnvPrefix) {
		return "", fmt.Errorf("env %q: only variables whose names start with %s can be read", name, EnvPrefix)
	}
	return os.Getenv(name), nil
}

// jsonEncode returns v as JSON, for splicing typed values into a
// body_template, or a JSON document into a string leaf.
func jsonEncode(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var u [16]byte
	_, _ = crand.Read(u[:]) // crypto/rand.Read never fails on supported platforms
	return formatUUID(u)
}

// formatUUID makes 16 random bytes a version 4 UUID.
func formatUUID(u [16]byte) string {
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0x0f])
	}
	return string(out)
}
