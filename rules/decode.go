package rules

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ConfigError is one problem in a configuration, with where it is.
type ConfigError struct {
	// Location is a JSON-ish path from the "krakend-rules" object, such as
	// `rules[2].match.headers["X-Env"]`; empty for the object itself.
	Location string
	// Problem says what is wrong.
	Problem string
}

func (e *ConfigError) Error() string {
	if e.Location == "" {
		return e.Problem
	}
	return e.Location + ": " + e.Problem
}

// errorList gathers every problem of a configuration so that they are
// reported at once, in the order they were found.
type errorList []error

func (l *errorList) add(loc, format string, args ...any) {
	*l = append(*l, &ConfigError{Location: loc, Problem: fmt.Sprintf(format, args...)})
}

func (l errorList) err() error { return errors.Join(l...) }

// Locations compose like the JSON they point into.
func field(loc, name string) string {
	if loc == "" {
		return name
	}
	return loc + "." + name
}

func index(loc string, i int) string { return loc + "[" + strconv.Itoa(i) + "]" }

func key(loc, k string) string { return loc + "[" + strconv.Quote(k) + "]" }

// Decode turns the "krakend-rules" object, as the gateway hands it over (a
// map[string]any decoded from JSON, numbers as float64), into a Config.
// Wrong types and unknown fields anywhere are errors: a typo must not
// silently widen a match. All problems are returned at once.
func Decode(raw any) (*Config, error) {
	var errs errorList
	cfg := decodeConfig(&errs, raw)
	return cfg, errs.err()
}

func decodeConfig(errs *errorList, raw any) *Config {
	cfg := &Config{MaxBodyBytes: DefaultMaxBodyBytes}
	obj, ok := object(errs, "", raw, "max_body_bytes", "rules")
	if !ok {
		return cfg
	}
	if v, ok := obj["max_body_bytes"]; ok {
		if n, ok := integer(errs, "max_body_bytes", v); ok {
			if n < 1 {
				errs.add("max_body_bytes", "must be a positive integer, got %d", n)
			} else {
				cfg.MaxBodyBytes = n
			}
		}
	}
	if v, ok := obj["rules"]; ok {
		list, ok := v.([]any)
		if !ok {
			errs.add("rules", "must be a list of rules, got %s", typeName(v))
		}
		for i, r := range list {
			cfg.Rules = append(cfg.Rules, decodeRule(errs, index("rules", i), r))
		}
	}
	return cfg
}

func decodeRule(errs *errorList, loc string, raw any) Rule {
	var r Rule
	obj, ok := object(errs, loc, raw, "name", "match", "response", "delegate")
	if !ok {
		r.undecodable = true
		return r
	}
	if v, ok := obj["name"]; ok {
		if name, ok := v.(string); ok && name == "" {
			errs.add(field(loc, "name"), "must not be empty")
		}
		r.Name = str(errs, field(loc, "name"), v)
	}
	if v, ok := obj["match"]; ok {
		r.Match = decodeMatch(errs, field(loc, "match"), v)
	}
	if v, ok := obj["response"]; ok {
		r.Response = decodeResponse(errs, field(loc, "response"), v)
	}
	if v, ok := obj["delegate"]; ok {
		r.Delegate = decodeDelegate(errs, field(loc, "delegate"), v)
	}
	return r
}

func decodeMatch(errs *errorList, loc string, raw any) *Match {
	m := &Match{}
	obj, ok := object(errs, loc, raw, "path", "methods", "headers", "query", "body")
	if !ok {
		return m
	}
	if v, ok := obj["path"]; ok {
		m.Path = str(errs, field(loc, "path"), v)
		if m.Path == "" {
			errs.add(field(loc, "path"), "must not be empty (leave it out to match any path)")
		}
	}
	if v, ok := obj["methods"]; ok {
		m.Methods = stringList(errs, field(loc, "methods"), v)
		for i, method := range m.Methods {
			// An entry of the wrong type is reported already, as "" here.
			if _, isString := v.([]any)[i].(string); isString && strings.TrimSpace(method) == "" {
				errs.add(index(field(loc, "methods"), i), "must not be empty")
			}
		}
	}
	if v, ok := obj["headers"]; ok {
		m.Headers = stringMap(errs, field(loc, "headers"), v)
	}
	if v, ok := obj["query"]; ok {
		m.Query = stringMap(errs, field(loc, "query"), v)
	}
	if v, ok := obj["body"]; ok {
		m.Body = stringMap(errs, field(loc, "body"), v)
	}
	return m
}

func decodeResponse(errs *errorList, loc string, raw any) *Response {
	resp := &Response{Status: 200}
	obj, ok := object(errs, loc, raw, "status", "headers", "body", "body_template")
	if !ok {
		return resp
	}
	if v, ok := obj["status"]; ok {
		if n, ok := integer(errs, field(loc, "status"), v); ok {
			if n < 100 || n > 599 {
				errs.add(field(loc, "status"), "must be an HTTP status from 100 to 599, got %d", n)
			} else {
				resp.Status = int(n)
			}
		}
	}
	if v, ok := obj["headers"]; ok {
		resp.Headers = stringMap(errs, field(loc, "headers"), v)
	}
	if v, ok := obj["body"]; ok {
		resp.Body, resp.HasBody = v, true
	}
	if v, ok := obj["body_template"]; ok {
		resp.BodyTemplate, resp.HasBodyTemplate = str(errs, field(loc, "body_template"), v), true
	}
	if resp.HasBody && resp.HasBodyTemplate {
		errs.add(loc, "has both body and body_template: choose one")
	}
	return resp
}

func decodeDelegate(errs *errorList, loc string, raw any) *Delegate {
	d := &Delegate{}
	obj, ok := object(errs, loc, raw, "request_headers", "response_headers")
	if !ok {
		return d
	}
	if v, ok := obj["request_headers"]; ok {
		d.RequestHeaders = stringMap(errs, field(loc, "request_headers"), v)
	}
	if v, ok := obj["response_headers"]; ok {
		d.ResponseHeaders = stringMap(errs, field(loc, "response_headers"), v)
	}
	return d
}

// object checks that raw is a JSON object with only the known fields.
func object(errs *errorList, loc string, raw any, known ...string) (map[string]any, bool) {
	obj, ok := raw.(map[string]any)
	if !ok {
		where := loc
		if where == "" {
			where = "krakend-rules"
		}
		errs.add(where, "must be an object, got %s", typeName(raw))
		return nil, false
	}
	var unknown []string
	for k := range obj {
		if !contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown) // the map's order is random; the report is not
	for _, k := range unknown {
		errs.add(field(loc, k), "unknown field (known fields: %s)", strings.Join(known, ", "))
	}
	return obj, true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func str(errs *errorList, loc string, raw any) string {
	s, ok := raw.(string)
	if !ok {
		errs.add(loc, "must be a string, got %s", typeName(raw))
	}
	return s
}

func integer(errs *errorList, loc string, raw any) (int64, bool) {
	f, ok := raw.(float64)
	if !ok {
		// Hosts that decode JSON numbers some other way still work.
		switch n := raw.(type) {
		case int:
			return int64(n), true
		case int64:
			return n, true
		}
		errs.add(loc, "must be an integer, got %s", typeName(raw))
		return 0, false
	}
	if f != math.Trunc(f) || f > 1<<53 || f < -(1<<53) {
		errs.add(loc, "must be an integer, got %v", f)
		return 0, false
	}
	return int64(f), true
}

func stringList(errs *errorList, loc string, raw any) []string {
	list, ok := raw.([]any)
	if !ok {
		errs.add(loc, "must be a list of strings, got %s", typeName(raw))
		return nil
	}
	out := make([]string, 0, len(list))
	for i, v := range list {
		out = append(out, str(errs, index(loc, i), v))
	}
	return out
}

func stringMap(errs *errorList, loc string, raw any) map[string]string {
	obj, ok := raw.(map[string]any)
	if !ok {
		errs.add(loc, "must be an object of strings, got %s", typeName(raw))
		return nil
	}
	out := make(map[string]string, len(obj))
	for _, k := range sortedKeys(obj) {
		out[k] = str(errs, key(loc, k), obj[k])
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// typeName names a decoded JSON value's type the way a user wrote it.
func typeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, int, int64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}
