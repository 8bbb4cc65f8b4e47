package config

import "time"

// The configuration types below are what a user writes under
// "krakend-rules" in a backend's "plugin/http-client" extra config. They are
// decoded strictly by Decode (unknown fields and wrong types are errors with
// their location) and turned into an Engine by Compile. Their comments are
// the user manual; README.md repeats them with examples.
//
// Each field's json tag is its name in the configuration, and the fields are
// declared in the order the decoder reads them and lists them in its errors.
// The JSON Schemas of schema/ are generated from these types (go generate
// ./schema/): names from the tags, descriptions from the comments, which
// start with the field's Go and JSON names, and what a Go type cannot say
// (ranges, patterns, defaults) from SchemaKeywords in schema.go.

// DefaultMaxBodyBytes is how much of a request body the engine reads, at most,
// to evaluate body conditions when max_body_bytes is not set: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

// MaxBodyFileBytes is the largest body_file a response may serve: each is
// held in memory, read once at load.
const MaxBodyFileBytes = 64 << 20

// DefaultMaxBodyDepth is how deeply a request body may nest its arrays and
// objects and still be evaluated, when max_body_depth is not set.
const DefaultMaxBodyDepth = 1000

// MaxBodyDepthLimit is the largest max_body_depth a configuration may set.
// Everything that walks a body after validJSON accepted it (gjson look-ups,
// body_json, shadow comparison) may recurse once per level, so the depth is
// what bounds their stack: 10 000 levels cost a few MiB of stack at most.
const MaxBodyDepthLimit = 10000

// DefaultMaxShadowBytes is the largest answer a shadow comparison looks at
// when max_shadow_bytes is not set: 1 MiB.
const DefaultMaxShadowBytes = 1 << 20

// DefaultMaxResponseBytes bounds a delegated answer when max_response_bytes
// is not set: 64 MiB.
const DefaultMaxResponseBytes = 64 << 20

// Config is the plugin configuration of one backend: the object under
// "krakend-rules" in a backend's extra_config, beside "name": "krakend-rules"
// in "plugin/http-client". Its rules are tried in order; the first that applies
// answers, and a request no rule matches is delegated to the backend.
type Config struct {
	// Rules ("rules") are tried in order; the first whose match holds
	// answers. When none matches, the request is delegated to the backend.
	// An empty list is valid: everything is delegated.
	Rules []Rule `json:"rules"`

	// RulesFile ("rules_file") is a JSON file {"rules": [...]} whose rules
	// come after the inline ones: absolute, or relative to the gateway's
	// working directory. It is polled for changes, and a valid new version
	// replaces the old one between two requests; an invalid one is logged
	// and the previous rules stay.
	RulesFile string `json:"rules_file"`

	// ReloadInterval ("reload_interval") is how often RulesFile is polled: a
	// Go duration of at least 100ms, only beside RulesFile; default "2s".
	ReloadInterval string `json:"reload_interval"`
	// ReloadEvery is ReloadInterval decoded; 0 when it is not set.
	ReloadEvery time.Duration `json:"-"`

	// MaxBodyBytes ("max_body_bytes") bounds how much of a request body is
	// read to evaluate body conditions. A longer body is not evaluated (every
	// rule with body conditions fails to match) and is still delivered whole
	// when the request is delegated. A positive integer; default 1048576.
	MaxBodyBytes int64 `json:"max_body_bytes"`

	// MaxBodyDepth ("max_body_depth") bounds how deeply a request body may
	// nest arrays and objects and still be evaluated. A deeper body is not
	// evaluated, like one longer than MaxBodyBytes, and is still delivered
	// whole. From 1 to 10000; default 1000.
	MaxBodyDepth int `json:"max_body_depth"`

	// MaxResponseBytes ("max_response_bytes") bounds a backend's answer to
	// a delegated request: KrakenD holds a plugin's whole answer in memory,
	// so a longer one is refused with a 502 rather than buffered. A positive
	// integer; default 67108864 (64 MiB).
	MaxResponseBytes int64 `json:"max_response_bytes"`

	// MaxShadowBytes ("max_shadow_bytes") bounds the answers a shadow
	// comparison looks at: a backend answer or a rendered mock longer than
	// this is not compared (a line at WARNING says so, at most every 10
	// seconds per rule). A positive integer; default 1048576 (1 MiB).
	MaxShadowBytes int64 `json:"max_shadow_bytes"`

	// CallbackHosts ("callback_hosts") are the hosts rules may send
	// callbacks to: "host", "host:port", "*.domain" (any name under it) or
	// "[::1]:9000"; without a port, any port. A callback to any other host
	// is not sent. Empty: no callbacks.
	CallbackHosts []string `json:"callback_hosts"`
	// CallbackHostPatterns is CallbackHosts decoded.
	CallbackHostPatterns []HostPattern `json:"-"`

	// LabelText ("label") names the backend in the plugin's log lines and
	// in the linter's findings, such as "GET /orders". Default: the name of
	// the first rule and how many follow ("orders +2"), and the rules_file.
	LabelText string `json:"label"`

	// DebugHeader ("debug_header") adds X-Krakend-Rule to every answer: the
	// name of the rule that answered, or "delegated" when none matched.
	// Default false.
	DebugHeader bool `json:"debug_header"`

	// Store ("store") says where the state that rules share by name
	// (scenarios, variables, counters, data sets) lives: in memory by
	// default, shared by every backend of the gateway, or in Redis, shared
	// by every replica too.
	Store *Store `json:"store"`

	// StatsLogInterval ("stats_log_interval") logs, at INFO and on one line
	// every interval, the statistics of this backend's five busiest rules: a
	// Go duration of at least 1s, such as "1m". Default: never.
	StatsLogInterval string `json:"stats_log_interval"`
	// StatsLogEvery is StatsLogInterval decoded; 0 when it is not set.
	StatsLogEvery time.Duration `json:"-"`
}

// Rule is one entry of "rules": a match and exactly one action (response,
// responses or delegate). The first rule that applies answers.
type Rule struct {
	// Name ("name") identifies the rule in logs, error bodies and the debug
	// header; it defaults to "rule[i]" with i its position. Names must be
	// unique.
	Name string `json:"name"`

	// Match ("match") is the condition; missing or {} matches every request.
	Match *Match `json:"match"`

	// Response ("response") answers the request from the gateway.
	Response *Response `json:"response"`

	// Responses ("responses") answers with one of several responses,
	// chosen by Mode. A rule has response, responses or delegate.
	Responses []Response `json:"responses"`

	// Mode ("mode") chooses among Responses: "sequence" (the default: in
	// order, cycling), "random", or "stick" (in order, then the last one
	// forever). Counted per plugin instance. Only with responses; ""
	// means the default.
	Mode Mode `json:"mode"`

	// Delegate ("delegate") sends the request on to the backend, or to
	// another one.
	Delegate *Delegate `json:"delegate"`

	// Stats ("stats") answers with the rule statistics of the whole
	// gateway process, as JSON or in Prometheus' text format.
	Stats *Stats `json:"stats"`

	// Callbacks ("callbacks") are HTTP requests sent after the rule
	// answered, beside any action; the answer never waits for them.
	Callbacks []Callback `json:"callbacks"`

	// Delay ("delay") waits before the action: a Go duration ("250ms"), a
	// uniform range ("100ms-400ms"), or an object naming a distribution,
	// {"distribution": "lognormal", "median": "80ms", "sigma": 0.4} or
	// {"distribution": "uniform", "min": "100ms", "max": "400ms"}. At most
	// one hour. A cancelled request stops waiting.
	Delay any `json:"delay"`
	// DelayRange is Delay decoded; zero when it is not set.
	DelayRange DelayRange `json:"-"`

	// Probability ("probability") makes the rule apply to that share of the
	// requests it matches, from 0 to 1; the others go on to the next rule.
	// Missing means always.
	Probability *float64 `json:"probability"`

	// Active ("active") limits the rule to a time window; outside it the
	// rule is skipped.
	Active *Active `json:"active"`

	// Scenario ("scenario") makes the rule require a state of a named
	// scenario, move it to another once it answered, or both.
	Scenario *Scenario `json:"scenario"`

	// Set ("set") sets variables, shared by name, before the rule's action:
	// name -> value, a template ("{{ body \"name\" }}").
	Set map[string]string `json:"set"`

	// Increment ("increment") adds to counters, shared by name, before the
	// rule's action, atomically: name -> integer (negative to decrement).
	Increment map[string]int64 `json:"increment"`

	// Reset ("reset") puts scenarios, data sets and variables back before
	// the rule's action.
	Reset *Reset `json:"reset"`

	// CRUD ("crud") answers a REST collection from a shared data set. A
	// rule has response, responses, delegate or crud.
	CRUD *CRUD `json:"crud"`

	// Undecodable marks an entry that was not even an object: its error is
	// reported already, so Compile adds none.
	Undecodable bool `json:"-"`
}

// Match holds the conditions of a rule. All of them must hold (AND); a
// condition that is not set always holds.
//
// Patterns are gobwas/glob globs, or RE2 regular expressions when they
// start with "~" (unanchored, like Go's MatchString: "~^[0-9]+$"). A
// pattern that starts with "!" is negated ("!~" for a regexp): it holds
// when no value matches the rest, so "!*" means "absent" and "*" means
// "present". Write a literal leading "!" or "~" as "\!" or "\~". In Path,
// the named groups of a regexp that is not negated become .Params in
// templates.
type Match struct {
	// Path ("path") is a pattern on the path of the backend request (the
	// backend url_pattern after KrakenD's parameter substitution). "/"
	// separates segments: "*" and "?" stay inside one segment, "**" crosses
	// them, and "**/" matches zero or more whole segments. "/orders/**"
	// matches "/orders/" and "/orders/1/items" but not "/orders";
	// "/orders{,/**}" matches all three.
	Path string `json:"path"`

	// Methods ("methods") are HTTP methods, compared case-insensitively; the
	// rule holds for any of them. Empty means any method.
	Methods []string `json:"methods"`

	// Headers ("headers") maps a header name (case-insensitive) to a pattern
	// on the whole value; it holds when any value of the header matches. Only
	// headers listed in the endpoint's input_headers reach the plugin.
	Headers map[string]string `json:"headers"`

	// Query ("query") maps a query parameter to a pattern, like Headers. Only
	// parameters listed in the endpoint's input_query_strings reach the
	// plugin.
	Query map[string]string `json:"query"`

	// Cookies ("cookies") maps a cookie name to a pattern on its value(s);
	// the endpoint must forward the Cookie header.
	Cookies map[string]string `json:"cookies"`

	// Host ("host") is a pattern on the host the client asked for: the first
	// X-Forwarded-Host without its port, or else the request URL's host.
	Host string `json:"host"`

	// RemoteIP ("remote_ip") is a list of CIDR ranges or addresses; it holds
	// when the first address of X-Forwarded-For is in one of them.
	RemoteIP []string `json:"remote_ip"`

	// Body ("body") maps a gjson path on the JSON request body to a pattern.
	// An array result matches when any element matches; a missing path has
	// no value. A body that is empty, not JSON or longer than MaxBodyBytes
	// makes the whole rule fail, negated conditions and any/not included.
	Body map[string]string `json:"body"`

	// BodyJSON ("body_json") is any JSON value: it holds when the JSON
	// request body contains at least these fields with these values,
	// recursively. Arrays must have the same length, their elements matching
	// in order unless IgnoreArrayOrder is set.
	BodyJSON any `json:"body_json"`

	// HasBodyJSON tells whether "body_json" was set (it may be null).
	HasBodyJSON bool `json:"-"`

	// IgnoreArrayOrder ("ignore_array_order") lets body_json arrays match in
	// any order. Only beside body_json.
	IgnoreArrayOrder bool `json:"ignore_array_order"`

	// IgnoreExtraFields ("ignore_extra_fields") false makes body_json
	// strict: an object of the body matches only with exactly the members
	// body_json gives it, recursively (WireMock's equalToJson without
	// ignoreExtraElements). Default true: extra members are ignored. Only
	// beside body_json.
	IgnoreExtraFields *bool `json:"ignore_extra_fields"`

	// BodyText ("body_text") is a pattern on the whole request body as
	// text, whatever its type: "*order-42*" (contains), "~order-[0-9]+"
	// (regexp; add (?s) for "." to cross lines), "i:hello" (equal ignoring
	// case). A body longer than MaxBodyBytes makes the whole rule fail.
	BodyText string `json:"body_text"`

	// Form ("form") maps a field of an application/x-www-form-urlencoded
	// or multipart/form-data body (a part without a file name) to a
	// pattern, like Query. A body of another kind makes the whole rule fail; the
	// endpoint must forward Content-Type.
	Form map[string]string `json:"form"`

	// Multipart ("multipart") maps the name of a part of a
	// multipart/form-data body to patterns on its value, file name and
	// content type: {"avatar": {"filename": "*.png"}}. A body of another kind
	// makes the whole rule fail; the endpoint must forward Content-Type.
	Multipart map[string]MultipartPart `json:"multipart"`

	// XPath ("xpath") maps an XPath expression (a subset: see README.md) on
	// the XML request body to a pattern on the text of each node it
	// selects, like Body: {"/order/@id": "num:>100"}. A body that is not
	// well-formed XML, or nests deeper than MaxBodyDepth, makes the whole
	// rule fail.
	XPath map[string]string `json:"xpath"`

	// BodyXML ("body_xml") is an XML document: it holds when the XML
	// request body is the same, ignoring whitespace around text, the order
	// of attributes, namespace prefixes and comments.
	BodyXML string `json:"body_xml"`

	// Any ("any") holds when at least one of its matches holds.
	Any []Match `json:"any"`

	// Not ("not") holds when its match does not.
	Not *Match `json:"not"`
}

// MultipartPart is what the parts of a multipart body with one name must
// be: each pattern that is set holds for some part of that name, like a
// query parameter's values (so "!*" means no such part has it).
type MultipartPart struct {
	// Value ("value") is a pattern on the part's content.
	Value string `json:"value"`

	// Filename ("filename") is a pattern on the part's file name.
	Filename string `json:"filename"`

	// ContentType ("content_type") is a pattern on the part's Content-Type
	// header, such as "image/*".
	ContentType string `json:"content_type"`
}

// Response answers a request from the gateway. At most one of body,
// body_base64, body_template and body_file; none means an empty body.
type Response struct {
	// Status ("status") is the HTTP status, 100-599; default 200. 1xx, 204
	// and 304 take no body.
	Status int `json:"status"`

	// Headers ("headers") are set on the answer: a string, or a list of
	// strings for a header sent several times (two Set-Cookie); values may
	// be templates. Content-Type defaults to application/json
	// (application/octet-stream for body_base64, the file's type for
	// body_file) unless set here; null sends none.
	Headers map[string]HeaderValues `json:"headers"`

	// Body ("body") is any JSON value. It is encoded once, at load, with
	// object keys sorted. Every string leaf that contains "{{" is a Go
	// text/template whose output is emitted as an escaped JSON string. A
	// string body is sent as it is, not as JSON, when Content-Type is set
	// to a type that is not JSON (text/plain, application/xml...) or to
	// null; it is then a template, rendered verbatim, if it contains "{{".
	Body any `json:"body"`

	// HasBody tells whether "body" was set at all (it may be JSON null).
	HasBody bool `json:"-"`

	// BodyBase64 ("body_base64") is a binary body in standard base64
	// (RFC 4648, padded or not), decoded at load and sent byte for byte.
	BodyBase64 string `json:"body_base64"`

	// BodyTemplate ("body_template") is a Go text/template whose output is
	// the body, verbatim. At most one of body and body_template.
	BodyTemplate string `json:"body_template"`

	// HasBodyTemplate tells whether "body_template" was set.
	HasBodyTemplate bool `json:"-"`

	// BodyFile ("body_file") is a file read once at load, absolute or
	// relative to the gateway's working directory, served byte for byte
	// with the Content-Type of its extension; a name ending in ".tmpl" is
	// rendered like body_template. With BodyDir it is a name inside that
	// directory, and may be a template ("{{ .Params.id }}.json") read for
	// each request.
	BodyFile string `json:"body_file"`

	// BodyDir ("body_dir") is the directory body_file is found in: a
	// templated body_file needs one, and no request can make it read a
	// file outside it. A missing file answers 404.
	BodyDir string `json:"body_dir"`

	// Seed ("seed") makes the answer's random template helpers (fake…,
	// randInt, oneOf, uuid) reproducible: the same seed, the same answer.
	// A text ("demo"), or a template rendered first for each request
	// ("{{ .Params.id }}": the same id, the same fake customer).
	Seed string `json:"seed"`
}

// Active is a rule's time window: every part that is set must hold.
type Active struct {
	// From ("from") is an RFC 3339 time (2026-12-24T18:00:00Z): the rule
	// applies from then on, inclusive.
	From string `json:"from"`

	// Until ("until") is an RFC 3339 time, after From: the rule applies
	// until then, exclusive.
	Until string `json:"until"`

	// Days ("days") are the weekdays ("mon" ... "sun", or full names, any
	// case) of a weekly window; empty means every day when Between is set.
	Days []string `json:"days"`

	// Between ("between") is a daily window "HH:MM-HH:MM", start-inclusive,
	// end-exclusive; it may run past midnight ("22:00-02:00") and accepts
	// "24:00" as an end.
	Between string `json:"between"`

	// TZ ("tz") is the IANA zone of Days and Between; default UTC.
	TZ string `json:"tz"`
}

// Delegate sends the request to the backend and copies its answer back.
type Delegate struct {
	// To ("to") sends the request to another backend: an absolute http(s)
	// base URL, possibly a template, whose scheme and host replace the
	// request's and whose path is put before the request's path
	// ("http://canary:8080/v2" sends /orders?x=1 to
	// http://canary:8080/v2/orders?x=1). The Host header follows. It may not
	// have a query string.
	To string `json:"to"`

	// StripPrefix ("strip_prefix") is a literal path prefix removed from
	// the request's path before it is sent (and before To's path is put
	// before it), whole segments only: "/api" turns /api/orders into
	// /orders and /api into /, and leaves /apix alone (WireMock's
	// proxyUrlPrefixToRemove). It starts with "/".
	StripPrefix string `json:"strip_prefix"`

	// RequestHeaders ("request_headers") are set on the outgoing request;
	// values may be templates, and null removes the header.
	RequestHeaders map[string]*string `json:"request_headers"`

	// ResponseHeaders ("response_headers") are set on the answer: a string
	// or a list of strings (one header line each); values may be
	// templates, and null removes the header.
	ResponseHeaders map[string]HeaderValues `json:"response_headers"`

	// Status ("status") maps backend statuses to the ones answered, such as
	// {"501": 404}.
	Status map[int]int `json:"status"`

	// Timeout ("timeout") bounds the backend call: a positive Go duration,
	// e.g. "2s"; past it the request answers 504, or the fallback. Within a
	// KrakenD endpoint it must be shorter than the endpoint's timeout for a
	// fallback on a slow backend to be seen.
	Timeout string `json:"timeout"`
	// TimeoutValue is Timeout decoded; 0 when it is not set.
	TimeoutValue time.Duration `json:"-"`

	// Fallback ("fallback") answers instead of the backend when it cannot be
	// reached, times out, or answers one of Fallback.OnStatus.
	Fallback *Fallback `json:"fallback"`

	// Static ("static") merges a JSON object into the backend's JSON
	// answer, like KrakenD's static proxy.
	Static *Static `json:"static"`

	// Shadow ("shadow") is a response rendered for the same request while
	// the backend's answer is served; where the two JSON documents differ in
	// structure, a warning is logged.
	Shadow *Response `json:"shadow"`

	// Record ("record") writes the backend's answers into a rules file,
	// keyed by method, path and the request parts Record.Key selects.
	Record *Record `json:"record"`
}

// DefaultFallbackStatuses are the backend statuses a fallback answers for
// when on_status is not set.
var DefaultFallbackStatuses = []int{404, 501, 502, 503, 504}

// Fallback is what a delegate answers when the backend cannot: response, or
// responses with mode, as in a rule.
type Fallback struct {
	// OnStatus ("on_status") are the backend statuses, before any status
	// mapping, that the fallback replaces; default 404, 501, 502, 503, 504.
	OnStatus []int `json:"on_status"`

	// Response ("response") is the answer.
	Response *Response `json:"response"`

	// Responses ("responses") answers with one of several responses,
	// chosen by Mode, as in a rule.
	Responses []Response `json:"responses"`

	// Mode ("mode") chooses among Responses, as in a rule: "sequence" (the
	// default), "random" or "stick". Only with responses.
	Mode Mode `json:"mode"`

	// Recorded ("recorded") answers with the last answer the delegate's
	// record wrote for the same request key, when there is one; otherwise
	// response or responses, if any, or else the backend's own answer or
	// failure. Only beside the delegate's record. Default false.
	Recorded bool `json:"recorded"`
}

// Actions counts the actions a rule has: response, responses, delegate and
// crud or stats. A valid rule has exactly one.
func (r *Rule) Actions() int {
	return countTrue(r.Response != nil, r.Responses != nil, r.Delegate != nil, r.CRUD != nil, r.Stats != nil)
}
