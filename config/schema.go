package config

// What the JSON Schemas of schema/ say about the configuration comes from
// this package: the field names from the json tags, the descriptions from
// the comments, the types from the Go types (go generate ./schema/ reads
// them). SchemaKeywords holds the rest: what a Go type cannot say about a
// field (ranges, patterns, defaults, examples) and the constraints between
// the fields of an object. The generator refuses a key that names no type
// or field, so this table cannot describe a field that does not exist.

// Keywords are JSON Schema keywords, merged over (and into) what the
// generator derives from a field's Go type.
type Keywords = map[string]any

// SchemaKeywords is keyed by "Type.field" (the field's json name) for a
// field, and by "Type" for an object's own constraints.
var SchemaKeywords = map[string]Keywords{
	"Config": {
		"dependentRequired": Keywords{"reload_interval": []any{"rules_file"}},
	},
	"Config.rules_file": {"minLength": 1},
	"Config.reload_interval": {
		"pattern": "^(" + durationPattern + ")?$",
		"default": "2s", // rules.DefaultReloadInterval
	},
	"Config.max_body_bytes":     {"minimum": 1, "default": DefaultMaxBodyBytes},
	"Config.max_body_depth":     {"minimum": 1, "maximum": MaxBodyDepthLimit, "default": DefaultMaxBodyDepth},
	"Config.max_response_bytes": {"minimum": 1, "default": DefaultMaxResponseBytes},
	"Config.max_shadow_bytes":   {"minimum": 1, "default": DefaultMaxShadowBytes},
	"Config.label":              {"minLength": 1},
	"Config.callback_hosts": {"items": Keywords{
		"pattern":  `^[^/?#@\s]+$`, // host[:port], "*." and a domain, or [IPv6]:port: no URL
		"examples": []any{"127.0.0.1:9000", "payments.example.com", "*.example.internal"},
	}},
	"Config.stats_log_interval": {
		"pattern":  "^(" + durationPattern + ")?$",
		"examples": []any{"1m", "30s"},
	},

	"Rule": {
		"oneOf": []any{
			Keywords{"required": []any{"response"}},
			Keywords{"required": []any{"responses"}},
			Keywords{"required": []any{"delegate"}},
			Keywords{"required": []any{"crud"}},
			Keywords{"required": []any{"stats"}},
		},
		"dependentSchemas": Keywords{"mode": modeNeedsResponses},
	},
	"Rule.set":       {"minProperties": 1, "propertyNames": Keywords{"minLength": 1}},
	"Rule.increment": {"minProperties": 1, "propertyNames": Keywords{"minLength": 1}},
	"Rule.name":      {"minLength": 1},
	"Rule.responses": {"minItems": 1},
	"Rule.mode":      mode,
	"Rule.delay": {
		"anyOf":    []any{Keywords{"type": "string"}, Keywords{"$ref": "#/$defs/delayObject"}},
		"pattern":  "^(" + ws + "*" + durationPattern + ws + "*(-" + ws + "*[-+]?" + unsignedDuration + ws + "*)?)?$",
		"examples": []any{"250ms", "100ms-400ms", map[string]any{"distribution": "lognormal", "median": "80ms", "sigma": 0.4}},
	},
	"Rule.probability": {"minimum": 0, "maximum": 1},
	"Rule.callbacks":   {"minItems": 1},

	"Match": {
		"dependentRequired": Keywords{"ignore_array_order": []any{"body_json"}, "ignore_extra_fields": []any{"body_json"}},
	},
	"Match.path":                {"$ref": "#/$defs/pattern", "minLength": 1},
	"Match.ignore_extra_fields": {"default": true},
	"Match.methods": {"items": Keywords{
		"pattern":  "[^" + wsChars + "]",
		"examples": []any{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"},
	}},
	"Match.headers": {
		"propertyNames":        refHeaderName,
		"additionalProperties": refPattern,
	},
	"Match.query":   {"additionalProperties": refPattern},
	"Match.cookies": {"additionalProperties": refPattern},
	"Match.host":    {"$ref": "#/$defs/pattern", "minLength": 1},
	"Match.remote_ip": {
		"minItems": 1,
		"items":    Keywords{"examples": []any{"10.0.0.0/8", "2001:db8::/32", "192.0.2.7"}},
	},
	"Match.body": {
		"propertyNames":        Keywords{"minLength": 1},
		"additionalProperties": refPattern,
	},
	"Match.body_text": {"$ref": "#/$defs/pattern", "minLength": 1, "examples": []any{"*order-42*", "~order-[0-9]+"}},
	"Match.form":      {"additionalProperties": refPattern},
	"Match.multipart": {"propertyNames": Keywords{"minLength": 1}},
	"Match.xpath": {
		"propertyNames":        Keywords{"minLength": 1, "examples": []any{"/order/id", "//item[@sku='A1']/qty", "/order/@status"}},
		"additionalProperties": refPattern,
	},
	"Match.body_xml": {"minLength": 1},
	"Match.any":      {"minItems": 1},

	"MultipartPart":              {"minProperties": 1},
	"MultipartPart.value":        refPattern,
	"MultipartPart.filename":     refPattern,
	"MultipartPart.content_type": refPattern,

	"Response": {
		// At most one body.
		"dependentSchemas": Keywords{
			"body":          Keywords{"properties": Keywords{"body_base64": false, "body_template": false, "body_file": false}},
			"body_base64":   Keywords{"properties": Keywords{"body_template": false, "body_file": false}},
			"body_template": Keywords{"properties": Keywords{"body_file": false}},
		},
		"dependentRequired": Keywords{"body_dir": []any{"body_file"}},
		// A templated body_file needs a body_dir.
		"allOf": []any{Keywords{
			"if":   Keywords{"required": []any{"body_file"}, "properties": Keywords{"body_file": Keywords{"pattern": `\{\{`}}},
			"then": Keywords{"required": []any{"body_dir"}},
		}},
		"if": Keywords{
			"required": []any{"status"},
			"properties": Keywords{"status": Keywords{"anyOf": []any{
				Keywords{"maximum": 199},
				Keywords{"enum": []any{204, 304}},
			}}},
		},
		"then": Keywords{
			"description": "1xx, 204 and 304 take no body.",
			"properties":  Keywords{"body": false, "body_base64": false, "body_template": false, "body_file": false},
		},
	},
	"Response.status":  {"$ref": "#/$defs/status", "default": 200},
	"Response.headers": {"propertyNames": refHeaderName, "additionalProperties": headerValues},
	"Response.body_base64": {
		"minLength": 1,
		"pattern":   "^[A-Za-z0-9+/]+={0,2}$",
		"examples":  []any{"iVBORw0KGgo="},
	},
	"Response.body_file": {"minLength": 1, "examples": []any{"responses/order.json", "{{ .Params.id }}.json"}},
	"Response.body_dir":  {"minLength": 1, "examples": []any{"responses"}},
	"Response.seed":      {"minLength": 1},

	"Delegate.to": {
		"pattern":  `^$|\{\{|^[Hh][Tt][Tt][Pp][Ss]?://[^/?#][^?]*$`,
		"examples": []any{"http://canary:8080/v2"},
	},
	"Delegate.strip_prefix":     {"pattern": "^/[^?#]*[^/?#][^?#]*$", "examples": []any{"/api"}},
	"Delegate.request_headers":  {"propertyNames": refHeaderName},
	"Delegate.response_headers": {"propertyNames": refHeaderName, "additionalProperties": headerValues},
	"Delegate.status": {
		"propertyNames":        Keywords{"pattern": `^\+?0*[1-5][0-9][0-9]$`},
		"additionalProperties": refStatus,
	},
	"Delegate.timeout": {
		"pattern":  "^(" + durationPattern + ")?$",
		"examples": []any{"2s", "800ms"},
	},

	"Fallback": {
		// response or responses, not both; or recorded alone.
		"anyOf": []any{
			Keywords{"required": []any{"response"}},
			Keywords{"required": []any{"responses"}},
			Keywords{"required": []any{"recorded"}, "properties": Keywords{"recorded": Keywords{"const": true}}},
		},
		"not":              Keywords{"required": []any{"response", "responses"}},
		"dependentSchemas": Keywords{"mode": modeNeedsResponses},
	},
	"Fallback.on_status": {"items": refStatus, "default": DefaultFallbackStatuses},
	"Fallback.responses": {"minItems": 1},
	"Fallback.mode":      mode,
	"Fallback.recorded":  {"default": false},

	"Record":                 {"required": []any{"file"}},
	"Record.file":            {"minLength": 1, "examples": []any{"recorded.json"}},
	"Record.headers":         {"items": refHeaderName, "default": []any{"Content-Type"}},
	"Record.exclude_headers": {"items": refHeaderName},
	"Record.max_entries":     {"minimum": 1, "default": DefaultRecordMaxEntries},
	"Record.max_bytes":       {"minimum": 1, "maximum": MaxRecordBytes, "default": DefaultRecordMaxBytes},
	"RecordKey.query":        {"items": Keywords{"minLength": 1}},
	"RecordKey.headers":      {"items": refHeaderName},
	"RecordKey.body":         {"default": false},

	"Stats.format": {"enum": []any{"json", "prometheus"}, "default": "json"},

	"Callback": {
		"required":         []any{"url"},
		"dependentSchemas": Keywords{"body": Keywords{"properties": Keywords{"body_template": false}}},
	},
	"Callback.method": {"minLength": 1, "default": "POST", "examples": []any{"POST", "PUT"}},
	"Callback.url": {
		"minLength": 1,
		"pattern":   `\{\{|^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]`,
		"examples":  []any{"http://127.0.0.1:9000/hooks/payments"},
	},
	"Callback.headers": {"propertyNames": refHeaderName},
	"Callback.delay": {
		"pattern":  "^(" + ws + "*" + durationPattern + ws + "*(-" + ws + "*[-+]?" + unsignedDuration + ws + "*)?)?$",
		"examples": []any{"2s", "1s-3s"},
	},
	"Callback.timeout": {
		"pattern":  "^(" + durationPattern + ")?$",
		"default":  "10s",
		"examples": []any{"5s"},
	},
	"Static":          {"required": []any{"data"}},
	"Static.strategy": {"enum": staticStrategies(), "default": StaticAlways},

	"Store": {
		"dependentRequired": Keywords{"prefix": []any{"redis"}, "timeout": []any{"redis"}},
		"dependentSchemas":  Keywords{"persist_file": Keywords{"properties": Keywords{"redis": false}}},
	},
	"Store.name":         {"minLength": 1, "default": DefaultStoreName},
	"Store.redis":        {"pattern": "^rediss?://", "examples": []any{"redis://127.0.0.1:6379/0"}},
	"Store.prefix":       {"minLength": 1, "default": DefaultRedisPrefix},
	"Store.timeout":      {"pattern": "^(" + durationPattern + ")?$", "default": "500ms"},
	"Store.persist_file": {"minLength": 1},
	"Store.max_items":    {"minimum": 1, "default": DefaultStoreMaxItems},
	"Store.max_bytes":    {"minimum": 1, "default": DefaultStoreMaxBytes},

	"Scenario": {
		"required": []any{"name"},
		"anyOf":    []any{Keywords{"required": []any{"state"}}, Keywords{"required": []any{"next"}}},
	},
	"Scenario.name":    {"minLength": 1},
	"Scenario.initial": {"minLength": 1, "default": "Started"},
	"Scenario.state":   {"minLength": 1},
	"Scenario.next":    {"minLength": 1},

	"Reset":           {"minProperties": 1},
	"Reset.scenarios": {"minItems": 1, "items": Keywords{"minLength": 1}},
	"Reset.data_sets": {"minItems": 1, "items": Keywords{"minLength": 1}},
	"Reset.variables": {"minItems": 1, "items": Keywords{"minLength": 1}},

	"CRUD": {
		"required":         []any{"data_set", "path"},
		"dependentSchemas": Keywords{"seed": Keywords{"properties": Keywords{"seed_file": false}}},
	},
	"CRUD.data_set":  {"minLength": 1},
	"CRUD.path":      {"pattern": `^/[^*?\[{~!]*[^/*?\[{~!]$`, "examples": []any{"/users"}},
	"CRUD.id_field":  {"minLength": 1, "default": "id"},
	"CRUD.seed":      {"type": "array", "items": Keywords{"type": "object"}},
	"CRUD.seed_file": {"minLength": 1},

	"Active": {"minProperties": 1},
	"Active.from": {
		"pattern":  rfc3339Pattern,
		"examples": []any{"2026-12-24T18:00:00Z"},
	},
	"Active.until": {
		"pattern":  rfc3339Pattern,
		"examples": []any{"2027-01-01T00:00:00Z"},
	},
	"Active.days": {"items": Keywords{
		"pattern":  "^" + ws + "*(" + dayNames + ")" + ws + "*$",
		"examples": []any{"mon", "tue", "wed", "thu", "fri", "sat", "sun"},
	}},
	"Active.between": {
		"pattern": "^(" + ws + "*([01][0-9]|2[0-3]|\\+[0-9]):([0-5][0-9]|\\+[0-9])" + ws + "*-" + ws +
			"*(([01][0-9]|2[0-3]|\\+[0-9]|-0):([0-5][0-9]|\\+[0-9]|-0)|24:(00|\\+0|-0))" + ws + "*)?$",
		"examples": []any{"02:00-04:00", "22:00-02:00"},
	},
	"Active.tz": {"examples": []any{"UTC", "Europe/Madrid", "America/New_York"}},
}

// SchemaDefinitions are the schemas fields share by reference
// ("#/$defs/name"), beside one definition per object type.
var SchemaDefinitions = map[string]Keywords{
	"status": {
		"description": "An HTTP status, 100-599.",
		"type":        "integer",
		"minimum":     100,
		"maximum":     599,
	},
	"pattern": {
		"description": `A gobwas/glob glob (*, ?, [a-z], [!a-z], {a,b}, \ escapes), or an RE2 regexp after "~" (unanchored: "~^[0-9]+$"). ` +
			`A leading "!" negates it ("!~" for a regexp): "!*" means absent, "*" present. Write a literal leading ! or ~ as \! or \~. ` +
			`Comparisons (not in path): num:>=10, num:10..20, len:<=8, time:>now-1h, time:<2026-01-01T00:00:00Z, i:acme (equal ignoring case); escape a glob that starts so: \i:x.`,
		"type": "string",
	},
	"delayObject": {
		"description":          "A delay drawn from a distribution: uniform between min and max, or lognormal (WireMock's), median·e^(sigma·N(0,1)), at most max (default median·e^(4·sigma)).",
		"type":                 "object",
		"additionalProperties": false,
		"required":             []any{"distribution"},
		"properties": Keywords{
			"distribution": Keywords{"enum": []any{DelayUniform, DelayLogNormal}},
			"min":          Keywords{"type": "string", "pattern": "^" + ws + "*" + durationPattern + ws + "*$", "description": "The shortest uniform wait; default 0."},
			"max":          Keywords{"type": "string", "pattern": "^" + ws + "*" + durationPattern + ws + "*$", "description": "The longest wait: required for uniform, a cap for lognormal."},
			"median":       Keywords{"type": "string", "pattern": "^" + ws + "*" + durationPattern + ws + "*$", "description": "The median of a lognormal wait.", "examples": []any{"80ms"}},
			"sigma":        Keywords{"type": "number", "minimum": 0, "maximum": 4, "description": "The standard deviation of the logarithm of a lognormal wait.", "examples": []any{0.4}},
		},
		"allOf": []any{
			Keywords{
				"if":   Keywords{"properties": Keywords{"distribution": Keywords{"const": DelayUniform}}},
				"then": Keywords{"required": []any{"max"}, "properties": Keywords{"median": false, "sigma": false}},
			},
			Keywords{
				"if":   Keywords{"properties": Keywords{"distribution": Keywords{"const": DelayLogNormal}}},
				"then": Keywords{"required": []any{"median", "sigma"}, "properties": Keywords{"min": false}},
			},
		},
	},
	"headerName": {
		"description": "A header name: an HTTP token (letters, digits and !#$%&'*+-.^_`|~), case-insensitive.",
		"type":        "string",
		"pattern":     "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
	},
}

var (
	refStatus     = Keywords{"$ref": "#/$defs/status"}
	refPattern    = Keywords{"$ref": "#/$defs/pattern"}
	refHeaderName = Keywords{"$ref": "#/$defs/headerName"}

	// headerValues: a header's value, its values, or null for none.
	headerValues = Keywords{"type": []any{"string", "array", "null"}, "minItems": 1}

	// mode is a rule's or a fallback's mode; "" is the default.
	mode = Keywords{
		"enum":    append(modeNames(), ""),
		"default": string(ModeSequence),
	}

	// modeNeedsResponses: a mode other than "" goes with responses.
	modeNeedsResponses = Keywords{
		"anyOf": []any{
			Keywords{"required": []any{"responses"}},
			Keywords{"properties": Keywords{"mode": Keywords{"const": ""}}},
		},
	}
)

// The patterns below accept what the engine parses (time.ParseDuration,
// time.Parse with RFC 3339, its weekday names and clock times, after
// strings.TrimSpace where it trims), perhaps more, never less:
// TestPatternsAcceptWhatTheEngineAccepts in schema/ tries them against the
// engine.
const (
	// wsChars are the characters strings.TrimSpace removes.
	wsChars = "\\t\\n\\v\\f\\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
	ws      = "[" + wsChars + "]"

	// unsignedDuration is what time.ParseDuration accepts after a sign.
	unsignedDuration = `(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)`
	// durationPattern is a duration that is not negative.
	durationPattern = `\+?` + unsignedDuration

	rfc3339Pattern = `^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{1,2}:[0-9]{2}:[0-9]{2}([.,][0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))?$`

	// dayNames are the weekdays, in any case (the engine lowers them, and
	// "İ" lowers to an "i").
	dayNames = "[Mm][Oo][Nn][Dd][Aa][Yy]|[Tt][Uu][Ee][Ss][Dd][Aa][Yy]|[Ww][Ee][Dd][Nn][Ee][Ss][Dd][Aa][Yy]|" +
		"[Tt][Hh][Uu][Rr][Ss][Dd][Aa][Yy]|[Ff][Rr][Ii\u0130][Dd][Aa][Yy]|[Ss][Aa][Tt][Uu][Rr][Dd][Aa][Yy]|" +
		"[Ss][Uu][Nn][Dd][Aa][Yy]|[Mm][Oo][Nn]|[Tt][Uu][Ee]|[Ww][Ee][Dd]|[Tt][Hh][Uu]|[Ff][Rr][Ii\u0130]|" +
		"[Ss][Aa][Tt]|[Ss][Uu][Nn]"
)

// staticStrategies lists StaticStrategies for the schema's enum.
func staticStrategies() []any {
	var names []any
	for _, s := range StaticStrategies {
		names = append(names, s)
	}
	return names
}

// modeNames lists Modes for the schema's enum.
func modeNames() []any {
	var names []any
	for _, m := range Modes {
		names = append(names, string(m))
	}
	return names
}
