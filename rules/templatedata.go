package rules

import (
	"net/url"
	"strings"
)

// templateData is what a template sees as ".".
type templateData struct {
	Method   string            // the request method
	Path     string            // the backend request path
	Segments []string          // Path without its leading "/", split on "/"
	Query    url.Values        // the forwarded query parameters
	Header   readOnlyHeader    // the forwarded headers: .Header.Get "X-Name"
	Host     string            // the backend host of the request URL
	Rule     string            // the name of the rule that answers
	Params   map[string]string // the named groups of a "~" path regexp
	Form     formReader        // the form body's fields: .Form.Get "name"

	x *exchange // for the body accessors (bodyaccess.go)
}

// readOnlyHeader offers templates http.Header's readers only, so that no
// template can change the request's headers (".Header.Set" does not exist).
// "index .Header "X-Name"" works too, with the canonical name.
type readOnlyHeader map[string][]string

// Get returns the first value of the header, or "".
func (h readOnlyHeader) Get(name string) string {
	if v := h[CanonicalHeader(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns all the values of the header.
func (h readOnlyHeader) Values(name string) []string { return h[CanonicalHeader(name)] }

// segments splits a path as templates see it: "/a/b/" gives a, b and "";
// "/" and "" give none.
func segments(path string) []string {
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}
