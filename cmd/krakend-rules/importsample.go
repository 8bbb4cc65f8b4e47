package main

import (
	"sort"

	"github.com/getkin/kin-openapi/openapi3"
)

// maxSampleDepth bounds how deeply a sample nests: recursive schemas (a
// tree whose nodes have children) stop there.
const maxSampleDepth = 8

// sample builds a value that fits a schema, for a response that has no
// example: the schema's own example (or, in OpenAPI 3.1, the first of its
// examples), else its default, const or first enum value; else one built
// from its type — objects with a sample of each property, an array of one
// sample item, strings by format. allOf merges its parts, oneOf and anyOf
// take their first. A schema met again below itself gives null.
func sample(ref *openapi3.SchemaRef, depth int, seen map[*openapi3.Schema]bool) any {
	if ref == nil || ref.Value == nil || depth > maxSampleDepth {
		return nil
	}
	s := ref.Value
	if seen[s] {
		return nil
	}
	if s.Example != nil {
		return s.Example
	}
	// OpenAPI 3.1 keywords the 3.0 model keeps as unknown members.
	if ex, ok := s.Extensions["examples"].([]any); ok && len(ex) > 0 {
		return ex[0]
	}
	if s.Default != nil {
		return s.Default
	}
	if c, ok := s.Extensions["const"]; ok {
		return c
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	seen[s] = true
	defer delete(seen, s)

	if len(s.AllOf) > 0 {
		merged := map[string]any{}
		var other any
		for _, part := range s.AllOf {
			switch v := sample(part, depth+1, seen).(type) {
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
			for k, e := range objectSample(s, depth, seen) {
				merged[k] = e
			}
		}
		if len(merged) == 0 && other != nil {
			return other
		}
		return merged
	}
	if len(s.OneOf) > 0 {
		return sample(s.OneOf[0], depth+1, seen)
	}
	if len(s.AnyOf) > 0 {
		return sample(s.AnyOf[0], depth+1, seen)
	}

	switch typeOf(s) {
	case "object":
		return objectSample(s, depth, seen)
	case "array":
		n := max(1, int(s.MinItems))
		n = min(n, 3)
		items := make([]any, 0, n)
		for range n {
			items = append(items, sample(s.Items, depth+1, seen))
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

func objectSample(s *openapi3.Schema, depth int, seen map[*openapi3.Schema]bool) map[string]any {
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
		obj[name] = sample(p, depth+1, seen)
	}
	if len(names) == 0 && s.AdditionalProperties.Schema != nil {
		obj["additionalProp1"] = sample(s.AdditionalProperties.Schema, depth+1, seen)
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
