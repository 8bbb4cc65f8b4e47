package main

import (
	"sort"

	"github.com/getkin/kin-openapi/openapi3"
)

// maxSampleDepth bounds how deeply a sample nests: recursive schemas (a
// tree whose nodes have children) stop there.
const maxSampleDepth = 8

// maxSampleValues and maxAnswerBytes bound one answer: a schema that
// shares parts (an object of objects of objects...) fans out exponentially
// below the depth bound, and a schema's example can be megabytes that its
// every use would repeat. Past either, the rest of the sample is null.
const (
	maxSampleValues = 20000
	maxAnswerBytes  = 1 << 20
)

// sampler builds one answer's sample within the bounds above.
type sampler struct {
	seen      map[*openapi3.Schema]bool
	values    int // values built so far
	bytes     int // about how many bytes they take as JSON
	truncated bool
}

func newSampler() *sampler { return &sampler{seen: map[*openapi3.Schema]bool{}} }

// spend charges n values and b bytes; false once the budget is gone.
func (sp *sampler) spend(n, b int) bool {
	sp.values += n
	sp.bytes += b
	if sp.values > maxSampleValues || sp.bytes > maxAnswerBytes {
		sp.truncated = true
		return false
	}
	return true
}

// given charges a value taken from the document (an example, a default):
// its size, walked no further than the budget left.
func (sp *sampler) given(v any) any {
	n, b := weigh(v, maxSampleValues-sp.values+1, maxAnswerBytes-sp.bytes+1)
	if !sp.spend(n, b) {
		return nil
	}
	return v
}

// weigh counts the values of v and about how many bytes it encodes to,
// stopping once either passes its limit.
func weigh(v any, maxValues, maxBytes int) (values, bytes int) {
	stack := []any{v}
	for len(stack) > 0 && values <= maxValues && bytes <= maxBytes {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		values++
		switch t := e.(type) {
		case string:
			bytes += len(t) + 2
		case map[string]any:
			bytes += 2
			for k, x := range t {
				bytes += len(k) + 4
				stack = append(stack, x)
			}
		case []any:
			bytes += 2
			stack = append(stack, t...)
		default:
			bytes += 8
		}
	}
	return values, bytes
}

// sample builds a value that fits a schema, for a response that has no
// example: the schema's own example (or, in OpenAPI 3.1, the first of its
// examples), else its default, const or first enum value; else one built
// from its type — objects with a sample of each property, an array of one
// sample item, strings by format. allOf merges its parts, oneOf and anyOf
// take their first. A schema met again below itself gives null, and so
// does everything past the sampler's budget.
func (sp *sampler) sample(ref *openapi3.SchemaRef, depth int) any {
	if ref == nil || ref.Value == nil || depth > maxSampleDepth || sp.truncated {
		return nil
	}
	s := ref.Value
	if sp.seen[s] {
		return nil
	}
	if s.Example != nil {
		return sp.given(s.Example)
	}
	// OpenAPI 3.1 keywords the 3.0 model keeps as unknown members.
	if ex, ok := s.Extensions["examples"].([]any); ok && len(ex) > 0 {
		return sp.given(ex[0])
	}
	if s.Default != nil {
		return sp.given(s.Default)
	}
	if c, ok := s.Extensions["const"]; ok {
		return sp.given(c)
	}
	if len(s.Enum) > 0 {
		return sp.given(s.Enum[0])
	}
	if !sp.spend(1, 8) {
		return nil
	}
	sp.seen[s] = true
	defer delete(sp.seen, s)

	if len(s.AllOf) > 0 {
		merged := map[string]any{}
		var other any
		for _, part := range s.AllOf {
			switch v := sp.sample(part, depth+1).(type) {
			case map[string]any:
				for k, e := range v {
					merged[k] = e
				}
			case nil:
			default:
				other = v
			}
		}
		if len(s.Properties) > 0 {
			for k, e := range sp.objectSample(s, depth) {
				merged[k] = e
			}
		}
		if len(merged) == 0 && other != nil {
			return other
		}
		return merged
	}
	if len(s.OneOf) > 0 {
		return sp.sample(sp.alternative(s.OneOf), depth+1)
	}
	if len(s.AnyOf) > 0 {
		return sp.sample(sp.alternative(s.AnyOf), depth+1)
	}

	switch typeOf(s) {
	case "object":
		return sp.objectSample(s, depth)
	case "array":
		n := max(1, int(s.MinItems))
		n = min(n, 3)
		// One item sample, repeated: the copies cost nothing to build but
		// as much to write.
		item := sp.sample(s.Items, depth+1)
		items := []any{item}
		if n > 1 {
			v, b := weigh(item, maxSampleValues, maxAnswerBytes)
			if sp.spend((n-1)*v, (n-1)*b) {
				for range n - 1 {
					items = append(items, item)
				}
			}
		}
		return items
	case "string":
		return stringSample(s.Format)
	case "integer":
		if s.Min != nil {
			n := int64(*s.Min)
			if s.ExclusiveMin {
				n++
			}
			return n
		}
		return 0
	case "number":
		if s.Min != nil {
			return *s.Min
		}
		return 0.0
	case "boolean":
		return true
	}
	return nil
}

// alternative is the first of oneOf's or anyOf's schemas that is not one
// being sampled (the way out of a recursive one), else the first.
func (sp *sampler) alternative(alts openapi3.SchemaRefs) *openapi3.SchemaRef {
	for _, a := range alts {
		if a != nil && a.Value != nil && !sp.seen[a.Value] {
			return a
		}
	}
	return alts[0]
}

// typeOf is the schema's type, the first that is not "null" of a 3.1 type
// list; without one, what its keywords imply.
func typeOf(s *openapi3.Schema) string {
	if s.Type != nil {
		for _, t := range s.Type.Slice() {
			if t != "null" {
				return t
			}
		}
	}
	switch {
	case len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil:
		return "object"
	case s.Items != nil:
		return "array"
	}
	return ""
}

func (sp *sampler) objectSample(s *openapi3.Schema, depth int) map[string]any {
	obj := map[string]any{}
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := s.Properties[name]
		if p != nil && p.Value != nil && p.Value.WriteOnly {
			continue // never in an answer
		}
		if !sp.spend(1, len(name)+8) { // the member, even a null one
			break
		}
		obj[name] = sp.sample(p, depth+1)
	}
	if len(names) == 0 && s.AdditionalProperties.Schema != nil {
		obj["additionalProp1"] = sp.sample(s.AdditionalProperties.Schema, depth+1)
	}
	return obj
}

// stringSample is a string in the format's shape.
func stringSample(format string) string {
	switch format {
	case "date":
		return "2024-01-01"
	case "date-time":
		return "2024-01-01T00:00:00Z"
	case "time":
		return "00:00:00Z"
	case "email":
		return "user@example.com"
	case "uuid":
		return "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	case "uri", "url":
		return "https://example.com/"
	case "hostname":
		return "example.com"
	case "ipv4":
		return "192.0.2.1"
	case "ipv6":
		return "2001:db8::1"
	case "byte":
		return "c3RyaW5n"
	case "password":
		return "********"
	}
	return "string"
}
