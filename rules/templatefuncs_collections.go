package rules

import (
	"fmt"
	"reflect"
	"slices"
)

// Lists and maps, with sprig's names. keys is sorted: a map's order would
// make answers differ from one request to the next.

// maxListItems bounds the lists a helper builds.
const maxListItems = 100000

var errTooManyItems = fmt.Errorf("more than %d items", maxListItems)

func init() {
	addHelpers(map[string]helperSpec{
		"list":  {fn: func(_ *boundTemplates, a []any) (any, error) { return slices.Clone(a), nil }, min: 0, max: -1},
		"dict":  {fn: dict, min: 0, max: -1},
		"keys":  {fn: keys, min: 1, max: -1},
		"first": {fn: firstLast("first", true), min: 1, max: 1},
		"last":  {fn: firstLast("last", false), min: 1, max: 1},
		"has":   {fn: has, min: 2, max: 2},
		"until": {fn: until, min: 1, max: 1},
		"default": {fn: func(_ *boundTemplates, a []any) (any, error) {
			return defaultValue(a[0], a[1:]...), nil
		}, min: 1, max: -1, s2: func(def, given string) string {
			if given == "" {
				return def
			}
			return given
		}},
		"empty":    {fn: func(_ *boundTemplates, a []any) (any, error) { return isEmpty(a[0]), nil }, min: 1, max: 1},
		"coalesce": {fn: coalesce, min: 0, max: -1},
	})
}

// dict KEY VALUE … builds a map; keys are printed as text.
func dict(_ *boundTemplates, a []any) (any, error) {
	if len(a)%2 != 0 {
		return nil, fmt.Errorf("dict: takes key and value pairs, got %d arguments", len(a))
	}
	m := make(map[string]any, len(a)/2)
	for i := 0; i < len(a); i += 2 {
		m[toString(a[i])] = a[i+1]
	}
	return m, nil
}

// keys MAP … returns the sorted keys of the maps.
func keys(_ *boundTemplates, a []any) (any, error) {
	var out []string
	for _, m := range a {
		v := reflect.ValueOf(m)
		if v.Kind() != reflect.Map || v.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("keys: %s is not a map with text keys", describe(m))
		}
		for _, k := range v.MapKeys() {
			out = append(out, k.String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// listOf reads a list (or an array) as values; a string or another single
// value is a list of one.
func listOf(name string, v any) ([]any, error) {
	switch l := v.(type) {
	case []any:
		return l, nil
	case []string:
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out, nil
	case nil:
		return nil, nil
	case string:
		return []any{l}, nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return []any{v}, nil
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, nil
}

// firstLast returns the first or last element of a list, or of a string's
// characters; nil for an empty one, as sprig.
func firstLast(name string, first bool) helper {
	return func(_ *boundTemplates, a []any) (any, error) {
		if s, ok := a[0].(string); ok {
			if s == "" {
				return "", nil
			}
			if first {
				for _, r := range s {
					return string(r), nil
				}
			}
			r := []rune(s)
			return string(r[len(r)-1]), nil
		}
		rv := reflect.ValueOf(a[0])
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			return nil, fmt.Errorf("%s: %s is not a list", name, describe(a[0]))
		}
		if rv.Len() == 0 {
			return "", nil
		}
		if first {
			return rv.Index(0).Interface(), nil
		}
		return rv.Index(rv.Len() - 1).Interface(), nil
	}
}

// has VALUE LIST tells whether the list holds the value (compared as text).
func has(_ *boundTemplates, a []any) (any, error) {
	items, err := listOf("has", a[1])
	if err != nil {
		return nil, err
	}
	want := toString(a[0])
	for _, v := range items {
		if toString(v) == want {
			return true, nil
		}
	}
	return false, nil
}

// until N is 0 … N-1, for range; N is bounded.
func until(_ *boundTemplates, a []any) (any, error) {
	n, err := toInt("until", a[0], 0, maxListItems)
	if err != nil {
		return nil, err
	}
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out, nil
}

// coalesce returns the first argument that is not empty, or "".
func coalesce(_ *boundTemplates, a []any) (any, error) {
	for _, v := range a {
		if !isEmpty(v) {
			return v, nil
		}
	}
	return "", nil
}
