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

// joinErrors flattens the configuration errors of both passes into one
// list, ordered by location so that the problems of one rule stand together.
func joinErrors(errs ...error) error {
	var all errorList
	for _, err := range errs {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			all = append(all, j.Unwrap()...)
		} else if err != nil {
			all = append(all, err)
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		return locationLess(locationOf(all[i]), locationOf(all[j]))
	})
	return all.err()
}

func locationOf(err error) string {
	if ce, ok := err.(*ConfigError); ok {
		return ce.Location
	}
	return ""
}

// locationLess orders locations by their rule index as a number, so that
// rules[2] comes before rules[10]; the rest of a location keeps its order.
func locationLess(a, b string) bool {
	return ruleIndex(a) < ruleIndex(b)
}

func ruleIndex(loc string) int {
	rest, ok := strings.CutPrefix(loc, "rules[")
	if !ok {
		return -1
	}
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return -1
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil {
		return -1
	}
	return n
}

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
	cfg := &Config{MaxBodyBytes: DefaultMaxBodyBytes, MaxResponseBytes: DefaultMaxResponseBytes}
	obj, ok := object(errs, "", raw, "max_body_bytes", "max_response_bytes", "rules", "rules_file", "reload_interval", "debug_header")
	if !ok {
		return cfg
	}
	if v, ok := obj["rules_file"]; ok {
		cfg.RulesFile = str(errs, "rules_file", v)
		if _, isString := v.(string); isString && cfg.RulesFile == "" {
			errs.add("rules_file", "must not be empty")
		}
	}
	if v, ok := obj["reload_interval"]; ok {
		cfg.ReloadInterval = str(errs, "reload_interval", v)
		if cfg.RulesFile == "" {
			errs.add("reload_interval", "goes with rules_file")
		}
	}
	if v, ok := obj["debug_header"]; ok {
		cfg.DebugHeader = boolean(errs, "debug_header", v)
	}
	for _, bound := range []struct {
		name string
		dst  *int64
	}{{"max_body_bytes", &cfg.MaxBodyBytes}, {"max_response_bytes", &cfg.MaxResponseBytes}} {
		name, dst := bound.name, bound.dst
		if v, ok := obj[name]; ok {
			if n, ok := integer(errs, name, v); ok {
				if n < 1 {
					errs.add(name, "must be a positive integer, got %d", n)
				} else {
					*dst = n
				}
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
	obj, ok := object(errs, loc, raw, "name", "match", "response", "responses", "mode", "delegate", "delay", "probability", "active")
	if !ok {
		r.undecodable = true
		return r
	}
	if v, ok := obj["responses"]; ok {
		r.Responses = decodeResponses(errs, field(loc, "responses"), v)
	}
	if v, ok := obj["mode"]; ok {
		r.Mode = str(errs, field(loc, "mode"), v)
	}
	if v, ok := obj["delay"]; ok {
		r.Delay = str(errs, field(loc, "delay"), v)
	}
	if v, ok := obj["probability"]; ok {
		if p, ok := v.(float64); !ok {
			errs.add(field(loc, "probability"), "must be a number from 0 to 1, got %s", typeName(v))
		} else if p < 0 || p > 1 {
			errs.add(field(loc, "probability"), "must be a number from 0 to 1, got %v", p)
		} else {
			r.Probability = &p
		}
	}
	if v, ok := obj["active"]; ok {
		r.Active = decodeActive(errs, field(loc, "active"), v)
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

// decodeResponses decodes a non-empty list of responses; a broken one still
// gives a non-nil list, so that no "no action" error comes on top.
func decodeResponses(errs *errorList, loc string, raw any) []Response {
	list, ok := raw.([]any)
	if !ok {
		errs.add(loc, "must be a list of responses, got %s", typeName(raw))
	} else if len(list) == 0 {
		errs.add(loc, "must not be empty")
	}
	out := []Response{}
	for i, el := range list {
		out = append(out, *decodeResponse(errs, index(loc, i), el))
	}
	return out
}

func decodeMatch(errs *errorList, loc string, raw any) *Match {
	m := &Match{}
	obj, ok := object(errs, loc, raw, "path", "methods", "headers", "query", "body",
		"body_json", "ignore_array_order", "cookies", "host", "remote_ip", "any", "not")
	if !ok {
		return m
	}
	if v, ok := obj["body_json"]; ok {
		m.BodyJSON, m.HasBodyJSON = v, true
	}
	if v, ok := obj["ignore_array_order"]; ok {
		m.IgnoreArrayOrder = boolean(errs, field(loc, "ignore_array_order"), v)
		if !m.HasBodyJSON {
			errs.add(field(loc, "ignore_array_order"), "goes with body_json in the same match")
		}
	}
	if v, ok := obj["cookies"]; ok {
		m.Cookies = stringMap(errs, field(loc, "cookies"), v)
	}
	if v, ok := obj["host"]; ok {
		m.Host = str(errs, field(loc, "host"), v)
		if m.Host == "" {
			errs.add(field(loc, "host"), "must not be empty (leave it out to match any host)")
		}
	}
	if v, ok := obj["remote_ip"]; ok {
		m.RemoteIP = stringList(errs, field(loc, "remote_ip"), v)
		if list, isList := v.([]any); isList && len(list) == 0 {
			errs.add(field(loc, "remote_ip"), "must list at least one address or CIDR range")
		}
	}
	if v, ok := obj["any"]; ok {
		list, ok := v.([]any)
		if !ok {
			errs.add(field(loc, "any"), "must be a list of matches, got %s", typeName(v))
		} else if len(list) == 0 {
			errs.add(field(loc, "any"), "must list at least one match")
		}
		for i, el := range list {
			m.Any = append(m.Any, *decodeMatch(errs, index(field(loc, "any"), i), el))
		}
	}
	if v, ok := obj["not"]; ok {
		m.Not = decodeMatch(errs, field(loc, "not"), v)
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
	obj, ok := object(errs, loc, raw, "status", "headers", "body", "body_template", "body_file")
	if !ok {
		return resp
	}
	if v, ok := obj["body_file"]; ok {
		resp.BodyFile = str(errs, field(loc, "body_file"), v)
		if _, isString := v.(string); isString && resp.BodyFile == "" {
			errs.add(field(loc, "body_file"), "must not be empty")
		}
	}
	if v, ok := obj["status"]; ok {
		if n, ok := status(errs, field(loc, "status"), v); ok {
			resp.Status = n
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
	if bodies := countTrue(resp.HasBody, resp.HasBodyTemplate, resp.BodyFile != ""); bodies > 1 {
		errs.add(loc, "has more than one of body, body_template and body_file: choose one")
	}
	return resp
}

func decodeDelegate(errs *errorList, loc string, raw any) *Delegate {
	d := &Delegate{}
	obj, ok := object(errs, loc, raw, "to", "request_headers", "response_headers", "status", "timeout", "fallback", "shadow")
	if !ok {
		return d
	}
	if v, ok := obj["to"]; ok {
		d.To = str(errs, field(loc, "to"), v)
	}
	if v, ok := obj["request_headers"]; ok {
		d.RequestHeaders = headerChanges(errs, field(loc, "request_headers"), v)
	}
	if v, ok := obj["response_headers"]; ok {
		d.ResponseHeaders = headerChanges(errs, field(loc, "response_headers"), v)
	}
	if v, ok := obj["status"]; ok {
		d.Status = statusMap(errs, field(loc, "status"), v)
	}
	if v, ok := obj["timeout"]; ok {
		d.Timeout = str(errs, field(loc, "timeout"), v)
	}
	if v, ok := obj["fallback"]; ok {
		d.Fallback = decodeFallback(errs, field(loc, "fallback"), v)
	}
	if v, ok := obj["shadow"]; ok {
		d.Shadow = decodeResponse(errs, field(loc, "shadow"), v)
	}
	return d
}

func decodeFallback(errs *errorList, loc string, raw any) *Fallback {
	f := &Fallback{}
	obj, ok := object(errs, loc, raw, "on_status", "response", "responses", "mode")
	if !ok {
		return nil
	}
	if v, ok := obj["on_status"]; ok {
		list, ok := v.([]any)
		if !ok {
			errs.add(field(loc, "on_status"), "must be a list of HTTP statuses, got %s", typeName(v))
		}
		for i, el := range list {
			if n, ok := status(errs, index(field(loc, "on_status"), i), el); ok {
				f.OnStatus = append(f.OnStatus, n)
			}
		}
	}
	if v, ok := obj["response"]; ok {
		f.Response = decodeResponse(errs, field(loc, "response"), v)
	}
	if v, ok := obj["responses"]; ok {
		f.Responses = decodeResponses(errs, field(loc, "responses"), v)
	}
	if v, ok := obj["mode"]; ok {
		f.Mode = str(errs, field(loc, "mode"), v)
	}
	return f
}

// headerChanges decodes header -> value, where null removes the header.
func headerChanges(errs *errorList, loc string, raw any) map[string]*string {
	obj, ok := raw.(map[string]any)
	if !ok {
		errs.add(loc, "must be an object of strings (or null to remove a header), got %s", typeName(raw))
		return nil
	}
	out := make(map[string]*string, len(obj))
	for _, k := range sortedKeys(obj) {
		if obj[k] == nil {
			out[k] = nil
			continue
		}
		s, ok := obj[k].(string)
		if !ok {
			errs.add(key(loc, k), "must be a string (or null to remove the header), got %s", typeName(obj[k]))
		}
		out[k] = &s
	}
	return out
}

// statusMap decodes {"501": 404}.
func statusMap(errs *errorList, loc string, raw any) map[int]int {
	obj, ok := raw.(map[string]any)
	if !ok {
		errs.add(loc, "must be an object mapping backend statuses to statuses, got %s", typeName(raw))
		return nil
	}
	out := make(map[int]int, len(obj))
	for _, k := range sortedKeys(obj) {
		from, err := strconv.Atoi(k)
		if err != nil || from < 100 || from > 599 {
			errs.add(key(loc, k), "the key must be an HTTP status from 100 to 599")
			continue
		}
		if to, ok := status(errs, key(loc, k), obj[k]); ok {
			out[from] = to
		}
	}
	return out
}

// status decodes an HTTP status, 100-599.
func status(errs *errorList, loc string, raw any) (int, bool) {
	n, ok := integer(errs, loc, raw)
	if !ok {
		return 0, false
	}
	if n < 100 || n > 599 {
		errs.add(loc, "must be an HTTP status from 100 to 599, got %d", n)
		return 0, false
	}
	return int(n), true
}

func decodeActive(errs *errorList, loc string, raw any) *Active {
	a := &Active{}
	obj, ok := object(errs, loc, raw, "from", "until", "days", "between", "tz")
	if !ok {
		return nil
	}
	if len(obj) == 0 {
		errs.add(loc, "sets no window: give from, until, days or between")
	}
	if v, ok := obj["from"]; ok {
		a.From = str(errs, field(loc, "from"), v)
	}
	if v, ok := obj["until"]; ok {
		a.Until = str(errs, field(loc, "until"), v)
	}
	if v, ok := obj["days"]; ok {
		a.Days = stringList(errs, field(loc, "days"), v)
	}
	if v, ok := obj["between"]; ok {
		a.Between = str(errs, field(loc, "between"), v)
	}
	if v, ok := obj["tz"]; ok {
		a.TZ = str(errs, field(loc, "tz"), v)
	}
	return a
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
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
		hint := ""
		if guess := closest(k, known); guess != "" {
			hint = fmt.Sprintf(", did you mean %q?", guess)
		}
		errs.add(field(loc, k), "unknown field%s (known fields: %s)", hint, strings.Join(known, ", "))
	}
	return obj, true
}

// closest returns the known name a typo most likely meant: one edit away
// (two for longer names), a swap of neighbours counting as one edit.
func closest(s string, known []string) string {
	limit := 1
	if len(s) > 5 {
		limit = 2
	}
	best, bestDist := "", limit+1
	for _, k := range known {
		if d := editDistance(strings.ToLower(s), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
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

func boolean(errs *errorList, loc string, raw any) bool {
	b, ok := raw.(bool)
	if !ok {
		errs.add(loc, "must be true or false, got %s", typeName(raw))
	}
	return b
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
