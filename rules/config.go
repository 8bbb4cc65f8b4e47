package rules

// The configuration types below are what a user writes under
// "krakend-rules" in a backend's "plugin/http-client" extra config. They are
// decoded strictly by Decode (unknown fields and wrong types are errors with
// their location) and turned into an Engine by Compile. Their comments are
// the user manual; README.md repeats them with examples.

// DefaultMaxBodyBytes is how much of a request body the engine reads, at most,
// to evaluate body conditions when max_body_bytes is not set: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

// Config is the plugin configuration of one backend.
type Config struct {
	// MaxBodyBytes ("max_body_bytes") bounds how much of a request body is
	// read to evaluate body conditions. A longer body is not evaluated (every
	// rule with body conditions fails to match) and is still delivered whole
	// when the request is delegated. A positive integer; default 1048576.
	MaxBodyBytes int64

	// Rules ("rules") are tried in order; the first whose match holds
	// answers. When none matches, the request is delegated to the backend.
	// An empty list is valid: everything is delegated.
	Rules []Rule
}

// Rule is one entry of "rules": a match and exactly one action.
type Rule struct {
	// Name ("name") identifies the rule in logs and error bodies; it defaults
	// to "rule[i]" with i its position. Names must be unique.
	Name string

	// Match ("match") is the condition; nil or empty matches every request.
	Match *Match

	// Response ("response") answers the request from the gateway.
	Response *Response

	// Delegate ("delegate") sends the request on to the backend.
	Delegate *Delegate

	// undecodable marks an entry that was not even an object: its error is
	// reported already, so Compile adds none.
	undecodable bool
}

// Match holds the conditions of a rule. All of them must hold (AND); a
// condition that is not set always holds.
//
// Patterns are gobwas/glob globs. A pattern that starts with "!" is
// negated: it holds when no value matches the rest, so "!*" means "absent"
// and "*" means "present". Write a literal leading "!" as "\!".
type Match struct {
	// Path ("path") is a glob on the path of the backend request (the backend
	// url_pattern after KrakenD's parameter substitution). "/" separates
	// segments: "*" and "?" stay inside one segment, "**" crosses them, and
	// "**/" matches zero or more whole segments. "/orders/**" matches
	// "/orders/" and "/orders/1/items" but not "/orders"; "/orders{,/**}"
	// matches all three.
	Path string

	// Methods ("methods") are HTTP methods, compared case-insensitively; the
	// rule holds for any of them. Empty means any method.
	Methods []string

	// Headers ("headers") maps a header name (case-insensitive) to a glob on
	// the whole value; it holds when any value of the header matches. Only
	// headers listed in the endpoint's input_headers reach the plugin.
	Headers map[string]string

	// Query ("query") maps a query parameter to a glob, like Headers. Only
	// parameters listed in the endpoint's input_query_strings reach the
	// plugin.
	Query map[string]string

	// Body ("body") maps a gjson path on the JSON request body to a glob. An
	// array result matches when any element matches; a missing path has no
	// value. A body that is empty, not JSON or longer than MaxBodyBytes
	// makes the condition fail, negated ones included.
	Body map[string]string
}

// Response answers a request from the gateway.
type Response struct {
	// Status ("status") is the HTTP status, 100-599; default 200.
	Status int

	// Headers ("headers") are set on the answer; values may be templates.
	// Content-Type defaults to application/json unless set here.
	Headers map[string]string

	// Body ("body") is any JSON value. It is encoded once, at load, with
	// object keys sorted. Every string leaf that contains "{{" is a Go
	// text/template whose output is emitted as an escaped JSON string.
	Body any

	// HasBody tells whether "body" was set at all (it may be JSON null).
	HasBody bool

	// BodyTemplate ("body_template") is a Go text/template whose output is
	// the body, verbatim. At most one of body and body_template.
	BodyTemplate string

	// HasBodyTemplate tells whether "body_template" was set.
	HasBodyTemplate bool
}

// Delegate sends the request to the backend and copies its answer back.
type Delegate struct {
	// RequestHeaders ("request_headers") are set on the outgoing request;
	// values may be templates.
	RequestHeaders map[string]string

	// ResponseHeaders ("response_headers") are set on the answer; values may
	// be templates.
	ResponseHeaders map[string]string
}
