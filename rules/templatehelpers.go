package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// Template helpers: the functions of templatefuncs_*.go share one shape, so
// that text/template and the fast path (templatefastcall.go) call the very
// same code, and a helper that reads the request or draws random values
// gets the request's bound templates.

// helper is a template function: it receives the request's bound templates
// and its arguments as text/template evaluated them.
type helper func(b *boundTemplates, args []any) (any, error)

// helperSpec is a helper with its argument count: max < 0 is unbounded.
type helperSpec struct {
	fn       helper
	min, max int
	// s0, s1 and s2, when set, compute the same result from strings, for
	// the fast path: no argument or result is boxed (templatefastcall.go).
	s0 func(b *boundTemplates) string
	s1 func(string) string
	s2 func(a, b string) string
	// reads records what of the request the helper reads, for TemplateUse:
	// name is its first argument when that is a literal.
	reads func(name string, literal bool, r *RequestReads)
}

// helpers are every helper, by name, gathered from the families' tables.
var helpers = map[string]helperSpec{}

// addHelpers registers a family of helpers; a duplicate name is a bug.
func addHelpers(family map[string]helperSpec) {
	for name, h := range family {
		if _, dup := helpers[name]; dup {
			panic("template helper " + name + " defined twice")
		}
		helpers[name] = h
	}
}

// call runs a helper after checking its argument count.
func (h helperSpec) call(name string, b *boundTemplates, args []any) (any, error) {
	if len(args) < h.min || h.max >= 0 && len(args) > h.max {
		return nil, fmt.Errorf("%s: %s", name, argCount(h.min, h.max, len(args)))
	}
	return h.fn(b, args)
}

func argCount(min, max, got int) string {
	switch {
	case min == max:
		return fmt.Sprintf("takes %d arguments, got %d", min, got)
	case max < 0:
		return fmt.Sprintf("takes at least %d arguments, got %d", min, got)
	}
	return fmt.Sprintf("takes %d to %d arguments, got %d", min, max, got)
}

// addHelperFuncs adds every helper to a FuncMap, bound to b; a name
// defined twice is a bug.
func addHelperFuncs(m template.FuncMap, b *boundTemplates) {
	for name, h := range helpers {
		if _, dup := m[name]; dup {
			panic("template function " + name + " is also a helper")
		}
		m[name] = func(args ...any) (any, error) { return h.call(name, b, args) }
	}
}

// maxHelperString bounds every string a helper builds from its inputs
// (repeat, join, replace, …): 1 MiB, the most a mock answer needs.
const maxHelperString = 1 << 20

var errTooLong = fmt.Errorf("result longer than %d bytes", maxHelperString)

// toString renders a value as text/template would print it.
func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	case []byte:
		return string(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	case fmt.Stringer:
		return v.String()
	case error:
		return v.Error()
	}
	return fmt.Sprint(v)
}

// toInt64 reads a number as sprig does: ints, floats (truncated), and
// numeric strings ("42", "4.2", " 7 "); anything else is an error.
func toInt64(name string, v any) (int64, error) {
	switch n := v.(type) {
	case int:
		return int64(n), nil
	case int64:
		return n, nil
	case int32:
		return int64(n), nil
	case int8:
		return int64(n), nil
	case int16:
		return int64(n), nil
	case uint8:
		return int64(n), nil
	case uint16:
		return int64(n), nil
	case uint32:
		return int64(n), nil
	case uint:
		if uint64(n) <= math.MaxInt64 { // uint64: on a 32-bit platform the constant is no uint
			return int64(n), nil
		}
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n), nil
		}
	case float32, float64:
		f, _ := toFloat64(name, n)
		if f >= -(1<<63) && f < 1<<63 {
			return int64(f), nil
		}
	case bool:
		if n {
			return 1, nil
		}
		return 0, nil
	case string:
		s := strings.TrimSpace(n)
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= -(1<<63) && f < 1<<63 {
			return int64(f), nil
		}
	case time.Duration:
		return int64(n), nil
	}
	return 0, fmt.Errorf("%s: %s is not a number", name, describe(v))
}

// toFloat64 reads a number: ints, floats and numeric strings.
func toFloat64(name string, v any) (float64, error) {
	switch n := v.(type) {
	case float64:
		return n, nil
	case float32:
		return float64(n), nil
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(n), 64); err == nil {
			return f, nil
		}
	default:
		if i, err := toInt64(name, v); err == nil {
			return float64(i), nil
		}
	}
	return 0, fmt.Errorf("%s: %s is not a number", name, describe(v))
}

// toInt reads a number that must fit an int between lo and hi.
func toInt(name string, v any, lo, hi int64) (int, error) {
	i, err := toInt64(name, v)
	if err != nil {
		return 0, err
	}
	if i < lo || i > hi {
		return 0, fmt.Errorf("%s: %d is out of range [%d, %d]", name, i, lo, hi)
	}
	return int(i), nil
}

// describe names a bad argument in an error, briefly.
func describe(v any) string {
	if s, ok := v.(string); ok {
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%T", v)
}
