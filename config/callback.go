package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// DefaultCallbackTimeout bounds a callback when its timeout is not set.
const DefaultCallbackTimeout = 10 * time.Second

// MaxPendingCallbacks is how many callbacks one backend holds at most,
// waiting for their delay or being sent; past it a new one is dropped (and
// logged at WARNING) rather than making an answer wait.
const MaxPendingCallbacks = 1000

// CallbackSenders is how many callbacks one backend sends at the same
// time, at most; the others wait for a turn once their delay has passed.
const CallbackSenders = 16

// Callback is an HTTP request a rule sends after it answered, as payment
// and messaging providers call their clients back. It never delays the
// answer: it is rendered when the rule answers and sent in the background.
type Callback struct {
	// Method ("method") is the request's method, possibly a template;
	// default "POST".
	Method string `json:"method"`

	// URL ("url") is where the request goes: an absolute http or https
	// URL, possibly a template, whose host must be one of the backend's
	// callback_hosts.
	URL string `json:"url"`

	// Headers ("headers") are set on the request; values may be
	// templates. Content-Type defaults to application/json when there is
	// a body.
	Headers map[string]string `json:"headers"`

	// Body ("body") is any JSON value, as in a response: every string leaf
	// that contains "{{" is a template whose output is an escaped JSON
	// string.
	Body any `json:"body"`

	// HasBody tells whether "body" was set at all (it may be JSON null).
	HasBody bool `json:"-"`

	// BodyTemplate ("body_template") is a Go text/template whose output is
	// the body, verbatim. At most one of body and body_template.
	BodyTemplate string `json:"body_template"`

	// HasBodyTemplate tells whether "body_template" was set.
	HasBodyTemplate bool `json:"-"`

	// Delay ("delay") waits before sending: a Go duration ("2s") or a
	// uniform range ("1s-3s"). The answer never waits for it.
	Delay string `json:"delay"`
	// DelayRange is Delay decoded; zero when it is not set.
	DelayRange DelayRange `json:"-"`

	// Timeout ("timeout") bounds the request, from connecting to reading
	// the answer: a positive Go duration; default "10s".
	Timeout string `json:"timeout"`
	// TimeoutValue is Timeout decoded; 0 when it is not set.
	TimeoutValue time.Duration `json:"-"`
}

// HostPattern is a decoded entry of callback_hosts: a host name or IP
// address, or "*." and a domain for any name under it, with a port or
// without (any port).
type HostPattern struct {
	Host     string // lower case; the domain after "*." when Wildcard
	Wildcard bool
	Port     string // "" for any port
}

// Allows tells whether a URL's host and port (its scheme's default port
// when it has none) are allowed by the pattern.
func (p HostPattern) Allows(host, port string) bool {
	if p.Port != "" && p.Port != port {
		return false
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if p.Wildcard {
		// a name of its own before the domain: ".example.internal" is none
		return strings.HasSuffix(host, "."+p.Host) && len(host) > len(p.Host)+1 && host[len(host)-len(p.Host)-2] != '.'

	}
	return host == p.Host
}

// String spells the pattern as it is written in callback_hosts.
func (p HostPattern) String() string {
	h := p.Host
	if p.Wildcard {
		h = "*." + h
	}
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if p.Port != "" {
		h += ":" + p.Port
	}
	return h
}

// ParseHostPattern decodes an entry of callback_hosts: "127.0.0.1:9000",
// "payments.example.com", "*.example.internal", "[::1]:9000".
func ParseHostPattern(s string) (HostPattern, error) {
	bad := func(why string) (HostPattern, error) {
		return HostPattern{}, fmt.Errorf("%q is not a host: %s (write a host and perhaps a port, such as \"127.0.0.1:9000\" or \"*.example.internal\")", s, why)
	}
	if s == "" {
		return bad("it is empty")
	}
	if strings.Contains(s, "://") || strings.ContainsAny(s, "/?#@ \t") {
		return bad("a URL or a path")
	}
	host, port := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		h, p, err := net.SplitHostPort(s)
		if err != nil {
			if !strings.HasSuffix(s, "]") {
				return bad("an IPv6 address in brackets must end with \"]\" or \"]:port\"")
			}
			h, p = s[1:len(s)-1], ""
		}
		host, port = h, p
		if net.ParseIP(host) == nil {
			return bad("not an IPv6 address in brackets")
		}
	case strings.Count(s, ":") == 1:
		host, port, _ = strings.Cut(s, ":")
	case strings.Count(s, ":") > 1 && net.ParseIP(s) == nil:
		return bad("too many colons (an IPv6 address is written in brackets)")
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return bad("the port must be a number from 1 to 65535")
		}
		port = strconv.Itoa(n)
	}
	p := HostPattern{Host: strings.ToLower(host), Port: port}
	if rest, ok := strings.CutPrefix(p.Host, "*."); ok {
		p.Host, p.Wildcard = rest, true
	}
	p.Host = strings.TrimSuffix(p.Host, ".")
	switch {
	case p.Host == "":
		return bad("it has no host name")
	case strings.Contains(p.Host, "*"):
		return bad("\"*\" may only start it, as \"*.\" and a domain")
	case p.Wildcard && net.ParseIP(p.Host) != nil:
		return bad("\"*.\" goes before a domain name, not an address")
	case net.ParseIP(p.Host) == nil && !hostName(p.Host):
		return bad("a host name is labels of letters, digits, \"-\" and \"_\" joined by dots")
	}
	return p, nil
}

// hostName tells whether s is a DNS name: non-empty labels of letters,
// digits, "-" and "_", joined by dots.
func hostName(s string) bool {
	for _, label := range strings.Split(s, ".") {
		if label == "" {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func decodeCallbackHosts(errs *Errors, loc Path, v any, cfg *Config) {
	cfg.CallbackHosts = stringList(errs, loc, v)
	for i, s := range cfg.CallbackHosts {
		if _, isString := v.([]any)[i].(string); !isString {
			continue // reported already
		}
		p, err := ParseHostPattern(s)
		if err != nil {
			errs.Add(loc.Index(i), "%v", err)
			continue
		}
		cfg.CallbackHostPatterns = append(cfg.CallbackHostPatterns, p)
	}
}

func decodeCallbacks(errs *Errors, loc Path, raw any) []Callback {
	list, ok := raw.([]any)
	if !ok {
		errs.Add(loc, "must be a list of callbacks, got %s", typeName(raw))
		return nil
	} else if len(list) == 0 {
		errs.Add(loc, "must not be empty (leave it out for no callback)")
	}
	out := []Callback{}
	for i, el := range list {
		out = append(out, decodeCallback(errs, loc.Index(i), el))
	}
	return out
}

func decodeCallback(errs *Errors, loc Path, raw any) Callback {
	c := Callback{Method: "POST"}
	obj, ok := decodeObject[Callback](errs, loc, raw,
		member{"method", func(loc Path, v any) { c.Method = nonEmptyString(errs, loc, v, "leave it out for POST") }},
		member{"url", func(loc Path, v any) { c.URL = nonEmptyString(errs, loc, v) }},
		member{"headers", func(loc Path, v any) { c.Headers = stringMap(errs, loc, v) }},
		member{"body", func(loc Path, v any) { c.Body, c.HasBody = v, true }},
		member{"body_template", func(loc Path, v any) { c.BodyTemplate, c.HasBodyTemplate = str(errs, loc, v), true }},
		member{"delay", func(loc Path, v any) {
			if c.Delay = str(errs, loc, v); c.Delay != "" {
				d, err := parseDelay(c.Delay)
				if err != nil {
					errs.Add(loc, "%v", err)
				}
				c.DelayRange = d
			}
		}},
		member{"timeout", func(loc Path, v any) {
			if c.Timeout = str(errs, loc, v); c.Timeout != "" {
				t, err := parseTimeout(c.Timeout)
				if err != nil {
					errs.Add(loc, "%v", err)
				}
				c.TimeoutValue = t
			}
		}},
	)
	if !ok {
		return c
	}
	if _, set := obj["url"]; !set {
		errs.Add(loc, "has no url")
	}
	if c.HasBody && c.HasBodyTemplate {
		errs.Add(loc, "has both body and body_template: choose one")
	}
	return c
}
