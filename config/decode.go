package config

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Decode turns the "krakend-rules" object, as the gateway hands it over (a
// map[string]any decoded from JSON, numbers as float64), into a Config.
// Wrong types and unknown fields anywhere are errors: a typo must not
// silently widen a match. All problems are returned at once.
func Decode(raw any) (*Config, error) {
	var errs Errors
	cfg := decodeConfig(&errs, raw)
	return cfg, errs.Err()
}

func decodeConfig(errs *Errors, raw any) *Config {
	cfg := &Config{
		MaxBodyBytes:     DefaultMaxBodyBytes,
		MaxBodyDepth:     DefaultMaxBodyDepth,
		MaxResponseBytes: DefaultMaxResponseBytes,
		MaxShadowBytes:   DefaultMaxShadowBytes,
	}
	obj, ok := decodeObject[Config](errs, nil, raw,
		member{"rules", func(loc Path, v any) {
			list, ok := v.([]any)
			if !ok {
				errs.Add(loc, "must be a list of rules, got %s", typeName(v))
			}
			for i, r := range list {
				cfg.Rules = append(cfg.Rules, decodeRule(errs, loc.Index(i), r))
			}
		}},
		member{"rules_file", func(loc Path, v any) { cfg.RulesFile = nonEmptyString(errs, loc, v) }},
		member{"reload_interval", func(loc Path, v any) {
			if cfg.ReloadInterval = str(errs, loc, v); cfg.ReloadInterval != "" {
				d, err := parseReloadInterval(cfg.ReloadInterval)
				if err != nil {
					errs.Add(loc, "%v", err)
				}
				cfg.ReloadEvery = d
			}
		}},
		member{"max_body_bytes", func(loc Path, v any) { positive(errs, loc, v, &cfg.MaxBodyBytes) }},
		member{"max_body_depth", func(loc Path, v any) {
			var n int64
			positive(errs, loc, v, &n)
			if n > MaxBodyDepthLimit {
				errs.Add(loc, "must be at most %d, got %d", MaxBodyDepthLimit, n)
			} else if n > 0 {
				cfg.MaxBodyDepth = int(n)
			}
		}},
		member{"max_response_bytes", func(loc Path, v any) { positive(errs, loc, v, &cfg.MaxResponseBytes) }},
		member{"max_shadow_bytes", func(loc Path, v any) { positive(errs, loc, v, &cfg.MaxShadowBytes) }},
		member{"callback_hosts", func(loc Path, v any) { decodeCallbackHosts(errs, loc, v, cfg) }},
		member{"label", func(loc Path, v any) { cfg.LabelText = nonEmptyString(errs, loc, v) }},
		member{"debug_header", func(loc Path, v any) { cfg.DebugHeader = boolean(errs, loc, v) }},
		member{"store", func(loc Path, v any) { cfg.Store = decodeStore(errs, loc, v) }},
		member{"stats_log_interval", func(loc Path, v any) {
			if cfg.StatsLogInterval = str(errs, loc, v); cfg.StatsLogInterval != "" {
				d, err := parseStatsLogInterval(cfg.StatsLogInterval)
				if err != nil {
					errs.Add(loc, "%v", err)
				}
				cfg.StatsLogEvery = d
			}
		}},
	)
	if _, set := obj["reload_interval"]; ok && set && cfg.RulesFile == "" {
		errs.Add(At("reload_interval"), "goes with rules_file")
	}
	return cfg
}

func decodeRule(errs *Errors, loc Path, raw any) Rule {
	var r Rule
	_, ok := decodeObject[Rule](errs, loc, raw,
		member{"name", func(loc Path, v any) { r.Name = nonEmptyString(errs, loc, v) }},
		member{"match", func(loc Path, v any) { r.Match = decodeMatch(errs, loc, v) }},
		member{"response", func(loc Path, v any) { r.Response = decodeResponse(errs, loc, v) }},
		member{"responses", func(loc Path, v any) { r.Responses = decodeResponses(errs, loc, v) }},
		member{"mode", func(loc Path, v any) { r.Mode = decodeMode(errs, loc, v) }},
		member{"delegate", func(loc Path, v any) { r.Delegate = decodeDelegate(errs, loc, v) }},
		member{"stats", func(loc Path, v any) { r.Stats = decodeStats(errs, loc, v) }},
		member{"callbacks", func(loc Path, v any) { r.Callbacks = decodeCallbacks(errs, loc, v) }},
		member{"delay", func(loc Path, v any) { r.Delay, r.DelayRange = v, decodeDelay(errs, loc, v) }},
		member{"probability", func(loc Path, v any) {
			if p, ok := v.(float64); !ok {
				errs.Add(loc, "must be a number from 0 to 1, got %s", typeName(v))
			} else if p < 0 || p > 1 {
				errs.Add(loc, "must be a number from 0 to 1, got %v", p)
			} else {
				r.Probability = &p
			}
		}},
		member{"active", func(loc Path, v any) { r.Active = decodeActive(errs, loc, v) }},
		member{"scenario", func(loc Path, v any) { r.Scenario = decodeScenario(errs, loc, v) }},
		member{"set", func(loc Path, v any) { r.Set = decodeSet(errs, loc, v) }},
		member{"increment", func(loc Path, v any) { r.Increment = decodeIncrement(errs, loc, v) }},
		member{"reset", func(loc Path, v any) { r.Reset = decodeReset(errs, loc, v) }},
		member{"crud", func(loc Path, v any) { r.CRUD = decodeCRUD(errs, loc, v) }},
	)
	r.Undecodable = !ok
	return r
}

// decodeResponses decodes a non-empty list of responses; a broken one still
// gives a non-nil list, so that no "no action" error comes on top.
func decodeResponses(errs *Errors, loc Path, raw any) []Response {
	list, ok := raw.([]any)
	if !ok {
		errs.Add(loc, "must be a list of responses, got %s", typeName(raw))
	} else if len(list) == 0 {
		errs.Add(loc, "must not be empty")
	}
	out := []Response{}
	for i, el := range list {
		out = append(out, *decodeResponse(errs, loc.Index(i), el))
	}
	return out
}

func decodeMatch(errs *Errors, loc Path, raw any) *Match {
	m := &Match{}
	obj, ok := decodeObject[Match](errs, loc, raw,
		member{"path", func(loc Path, v any) { m.Path = nonEmptyString(errs, loc, v, "leave it out to match any path") }},
		member{"methods", func(loc Path, v any) {
			m.Methods = stringList(errs, loc, v)
			for i, method := range m.Methods {
				// An entry of the wrong type is reported already, as "" here.
				if _, isString := v.([]any)[i].(string); isString && strings.TrimSpace(method) == "" {
					errs.Add(loc.Index(i), "must not be empty")
				}
			}
		}},
		member{"headers", func(loc Path, v any) { m.Headers = stringMap(errs, loc, v) }},
		member{"query", func(loc Path, v any) { m.Query = stringMap(errs, loc, v) }},
		member{"cookies", func(loc Path, v any) { m.Cookies = stringMap(errs, loc, v) }},
		member{"host", func(loc Path, v any) { m.Host = nonEmptyString(errs, loc, v, "leave it out to match any host") }},
		member{"remote_ip", func(loc Path, v any) {
			m.RemoteIP = stringList(errs, loc, v)
			if list, isList := v.([]any); isList && len(list) == 0 {
				errs.Add(loc, "must list at least one address or CIDR range")
			}
		}},
		member{"body", func(loc Path, v any) { m.Body = stringMap(errs, loc, v) }},
		member{"body_json", func(loc Path, v any) { m.BodyJSON, m.HasBodyJSON = v, true }},
		member{"ignore_array_order", func(loc Path, v any) { m.IgnoreArrayOrder = boolean(errs, loc, v) }},
		member{"ignore_extra_fields", func(loc Path, v any) { b := boolean(errs, loc, v); m.IgnoreExtraFields = &b }},
		member{"body_text", func(loc Path, v any) { m.BodyText = nonEmptyString(errs, loc, v, "leave it out to match any body") }},
		member{"form", func(loc Path, v any) { m.Form = stringMap(errs, loc, v) }},
		member{"multipart", func(loc Path, v any) { m.Multipart = decodeMultipart(errs, loc, v) }},
		member{"xpath", func(loc Path, v any) { m.XPath = stringMap(errs, loc, v) }},
		member{"body_xml", func(loc Path, v any) { m.BodyXML = nonEmptyString(errs, loc, v, "leave it out to match any body") }},
		member{"any", func(loc Path, v any) {
			list, ok := v.([]any)
			if !ok {
				errs.Add(loc, "must be a list of matches, got %s", typeName(v))
			} else if len(list) == 0 {
				errs.Add(loc, "must list at least one match")
			}
			for i, el := range list {
				m.Any = append(m.Any, *decodeMatch(errs, loc.Index(i), el))
			}
		}},
		member{"not", func(loc Path, v any) { m.Not = decodeMatch(errs, loc, v) }},
	)
	if _, set := obj["ignore_array_order"]; ok && set && !m.HasBodyJSON {
		errs.Add(loc.Field("ignore_array_order"), "goes with body_json in the same match")
	}
	if _, set := obj["ignore_extra_fields"]; ok && set && !m.HasBodyJSON {
		errs.Add(loc.Field("ignore_extra_fields"), "goes with body_json in the same match")
	}
	return m
}

func decodeMultipart(errs *Errors, loc Path, raw any) map[string]MultipartPart {
	obj, ok := raw.(map[string]any)
	if !ok {
		errs.Add(loc, "must be an object of part names, got %s", typeName(raw))
		return nil
	}
	out := make(map[string]MultipartPart, len(obj))
	for _, name := range SortedKeys(obj) {
		var part MultipartPart
		at := loc.Key(name)
		if _, ok := decodeObject[MultipartPart](errs, at, obj[name],
			member{"value", func(loc Path, v any) { part.Value = str(errs, loc, v) }},
			member{"filename", func(loc Path, v any) { part.Filename = str(errs, loc, v) }},
			member{"content_type", func(loc Path, v any) { part.ContentType = str(errs, loc, v) }},
		); ok && part == (MultipartPart{}) {
			errs.Add(at, "must set value, filename or content_type")
		}
		out[name] = part
	}
	return out
}

func decodeResponse(errs *Errors, loc Path, raw any) *Response {
	resp := &Response{Status: 200}
	decodeObject[Response](errs, loc, raw,
		member{"status", func(loc Path, v any) {
			if n, ok := status(errs, loc, v); ok {
				resp.Status = n
			}
		}},
		member{"headers", func(loc Path, v any) { resp.Headers = decodeHeaderValues(errs, loc, v) }},
		member{"body", func(loc Path, v any) { resp.Body, resp.HasBody = v, true }},
		member{"body_base64", func(loc Path, v any) { resp.BodyBase64 = nonEmptyString(errs, loc, v) }},
		member{"body_template", func(loc Path, v any) { resp.BodyTemplate, resp.HasBodyTemplate = str(errs, loc, v), true }},
		member{"body_file", func(loc Path, v any) { resp.BodyFile = nonEmptyString(errs, loc, v) }},
		member{"body_dir", func(loc Path, v any) { resp.BodyDir = nonEmptyString(errs, loc, v) }},
		member{"seed", func(loc Path, v any) { resp.Seed = nonEmptyString(errs, loc, v) }},
	)
	if bodies := countTrue(resp.HasBody, resp.BodyBase64 != "", resp.HasBodyTemplate, resp.BodyFile != ""); bodies > 1 {
		errs.Add(loc, "has more than one of body, body_base64, body_template and body_file: choose one")
	}
	if resp.BodyDir != "" && resp.BodyFile == "" {
		errs.Add(loc.Field("body_dir"), "goes with body_file")
	}
	return resp
}

func decodeDelegate(errs *Errors, loc Path, raw any) *Delegate {
	d := &Delegate{}
	decodeObject[Delegate](errs, loc, raw,
		member{"to", func(loc Path, v any) { d.To = str(errs, loc, v) }},
		member{"strip_prefix", func(loc Path, v any) { d.StripPrefix = str(errs, loc, v) }},
		member{"request_headers", func(loc Path, v any) { d.RequestHeaders = headerChanges(errs, loc, v) }},
		member{"response_headers", func(loc Path, v any) { d.ResponseHeaders = decodeHeaderValues(errs, loc, v) }},
		member{"status", func(loc Path, v any) { d.Status = statusMap(errs, loc, v) }},
		member{"timeout", func(loc Path, v any) {
			if d.Timeout = str(errs, loc, v); d.Timeout != "" {
				t, err := parseTimeout(d.Timeout)
				if err != nil {
					errs.Add(loc, "%v", err)
				}
				d.TimeoutValue = t
			}
		}},
		member{"fallback", func(loc Path, v any) { d.Fallback = decodeFallback(errs, loc, v) }},
		member{"static", func(loc Path, v any) { d.Static = decodeStatic(errs, loc, v) }},
		member{"shadow", func(loc Path, v any) { d.Shadow = decodeResponse(errs, loc, v) }},
		member{"record", func(loc Path, v any) { d.Record = decodeRecord(errs, loc, v) }},
	)
	return d
}

func decodeFallback(errs *Errors, loc Path, raw any) *Fallback {
	f := &Fallback{}
	if _, ok := decodeObject[Fallback](errs, loc, raw,
		member{"on_status", func(loc Path, v any) {
			list, ok := v.([]any)
			if !ok {
				errs.Add(loc, "must be a list of HTTP statuses, got %s", typeName(v))
			}
			for i, el := range list {
				if n, ok := status(errs, loc.Index(i), el); ok {
					f.OnStatus = append(f.OnStatus, n)
				}
			}
		}},
		member{"response", func(loc Path, v any) { f.Response = decodeResponse(errs, loc, v) }},
		member{"responses", func(loc Path, v any) { f.Responses = decodeResponses(errs, loc, v) }},
		member{"mode", func(loc Path, v any) { f.Mode = decodeMode(errs, loc, v) }},
		member{"recorded", func(loc Path, v any) { f.Recorded = boolean(errs, loc, v) }},
	); !ok {
		return nil
	}
	return f
}

// headerChanges decodes header -> value, where null removes the header.
func headerChanges(errs *Errors, loc Path, raw any) map[string]*string {
	obj, ok := raw.(map[string]any)
	if !ok {
		errs.Add(loc, "must be an object of strings (or null to remove a header), got %s", typeName(raw))
		return nil
	}
	out := make(map[string]*string, len(obj))
	for _, k := range SortedKeys(obj) {
		if obj[k] == nil {
			out[k] = nil
			continue
		}
		s, ok := obj[k].(string)
		if !ok {
			errs.Add(loc.Key(k), "must be a string (or null to remove the header), got %s", typeName(obj[k]))
		}
		out[k] = &s
	}
	return out
}

// statusMap decodes {"501": 404}.
func statusMap(errs *Errors, loc Path, raw any) map[int]int {
	obj, ok := raw.(map[string]any)
	if !ok {
		errs.Add(loc, "must be an object mapping backend statuses to statuses, got %s", typeName(raw))
		return nil
	}
	out := make(map[int]int, len(obj))
	for _, k := range SortedKeys(obj) {
		from, err := strconv.Atoi(k)
		if err != nil || from < 100 || from > 599 {
			errs.Add(loc.Key(k), "the key must be an HTTP status from 100 to 599")
			continue
		}
		if to, ok := status(errs, loc.Key(k), obj[k]); ok {
			out[from] = to
		}
	}
	return out
}

// status decodes an HTTP status, 100-599.
func status(errs *Errors, loc Path, raw any) (int, bool) {
	n, ok := integer(errs, loc, raw)
	if !ok {
		return 0, false
	}
	if n < 100 || n > 599 {
		errs.Add(loc, "must be an HTTP status from 100 to 599, got %d", n)
		return 0, false
	}
	return int(n), true
}

func decodeActive(errs *Errors, loc Path, raw any) *Active {
	a := &Active{}
	obj, ok := decodeObject[Active](errs, loc, raw,
		member{"from", func(loc Path, v any) { a.From = str(errs, loc, v) }},
		member{"until", func(loc Path, v any) { a.Until = str(errs, loc, v) }},
		member{"days", func(loc Path, v any) { a.Days = stringList(errs, loc, v) }},
		member{"between", func(loc Path, v any) { a.Between = str(errs, loc, v) }},
		member{"tz", func(loc Path, v any) { a.TZ = str(errs, loc, v) }},
	)
	if !ok {
		return nil
	}
	if len(obj) == 0 {
		errs.Add(loc, "sets no window: give from, until, days or between")
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

// member is one field of a JSON object and how to decode it.
type member struct {
	name   string
	decode func(loc Path, v any)
}

// decodeObject checks that raw is an object with no fields but T's (its json
// tags, see FieldNames), then decodes the members present, in order. The
// members must be exactly T's fields, in T's order: a field declared and
// never decoded, or decoded and never declared, is a bug that the tests find
// (memberDrift records it: never a panic inside a gateway), so that the
// tags, the decoder and the JSON Schemas generated from the tags cannot
// drift apart.
func decodeObject[T any](errs *Errors, loc Path, raw any, members ...member) (map[string]any, bool) {
	known := fieldsOf[T]()
	if err := sameMembers(known, members); err != nil {
		memberDrift.Store(reflect.TypeFor[T]().Name(), err)
	}
	obj, ok := object(errs, loc, raw, known...)
	if !ok {
		return nil, false
	}
	for _, m := range members {
		if v, present := obj[m.name]; present {
			m.decode(loc.Field(m.name), v)
		}
	}
	return obj, true
}

// memberDrift holds, by type name, the objects whose decoder reads other
// fields than their json tags declare; TestMembersAreTheTaggedFields fails
// on any.
var memberDrift sync.Map

// sameMembers tells whether members decode exactly the fields known, in
// their order.
func sameMembers(known []string, members []member) error {
	names := make([]string, len(members))
	for i, m := range members {
		names[i] = m.name
	}
	if !slices.Equal(names, known) {
		return fmt.Errorf("the decoder reads the fields %v, the json tags declare %v", names, known)
	}
	return nil
}

// nonEmptyString decodes a string that must not be empty when given; hint,
// if any, says what to do instead.
func nonEmptyString(errs *Errors, loc Path, raw any, hint ...string) string {
	s := str(errs, loc, raw)
	if _, isString := raw.(string); isString && s == "" {
		if len(hint) > 0 {
			errs.Add(loc, "must not be empty (%s)", hint[0])
		} else {
			errs.Add(loc, "must not be empty")
		}
	}
	return s
}

// positive decodes a positive integer into dst.
func positive(errs *Errors, loc Path, raw any, dst *int64) {
	if n, ok := integer(errs, loc, raw); ok {
		if n < 1 {
			errs.Add(loc, "must be a positive integer, got %d", n)
		} else {
			*dst = n
		}
	}
}

// object checks that raw is a JSON object with only the known fields.
func object(errs *Errors, loc Path, raw any, known ...string) (map[string]any, bool) {
	obj, ok := raw.(map[string]any)
	if !ok {
		if len(loc) == 0 {
			errs.Add(loc, "the krakend-rules configuration must be an object, got %s", typeName(raw))
		} else {
			errs.Add(loc, "must be an object, got %s", typeName(raw))
		}
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
		errs.Add(loc.Field(k), "unknown field%s (known fields: %s)", hint, strings.Join(known, ", "))
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

func str(errs *Errors, loc Path, raw any) string {
	s, ok := raw.(string)
	if !ok {
		errs.Add(loc, "must be a string, got %s", typeName(raw))
	}
	return s
}

func boolean(errs *Errors, loc Path, raw any) bool {
	b, ok := raw.(bool)
	if !ok {
		errs.Add(loc, "must be true or false, got %s", typeName(raw))
	}
	return b
}

func integer(errs *Errors, loc Path, raw any) (int64, bool) {
	f, ok := raw.(float64)
	if !ok {
		// Hosts that decode JSON numbers some other way still work.
		switch n := raw.(type) {
		case int:
			return int64(n), true
		case int64:
			return n, true
		}
		errs.Add(loc, "must be an integer, got %s", typeName(raw))
		return 0, false
	}
	if f != math.Trunc(f) || f > 1<<53 || f < -(1<<53) {
		errs.Add(loc, "must be an integer, got %v", f)
		return 0, false
	}
	return int64(f), true
}

func stringList(errs *Errors, loc Path, raw any) []string {
	list, ok := raw.([]any)
	if !ok {
		errs.Add(loc, "must be a list of strings, got %s", typeName(raw))
		return nil
	}
	out := make([]string, 0, len(list))
	for i, v := range list {
		out = append(out, str(errs, loc.Index(i), v))
	}
	return out
}

func stringMap(errs *Errors, loc Path, raw any) map[string]string {
	obj, ok := raw.(map[string]any)
	if !ok {
		errs.Add(loc, "must be an object of strings, got %s", typeName(raw))
		return nil
	}
	out := make(map[string]string, len(obj))
	for _, k := range SortedKeys(obj) {
		out[k] = str(errs, loc.Key(k), obj[k])
	}
	return out
}

// SortedKeys returns a map's keys in order: configurations arrive as Go
// maps, whose order is random, and every report and compiled list must not
// depend on it.
func SortedKeys[V any](m map[string]V) []string {
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
