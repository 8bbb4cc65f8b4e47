package rules

import (
	"net/url"
	"strings"

	"krakend-rules/config"
)

// pathStrip removes a literal prefix of whole segments from the delegated
// request's path (delegate.strip_prefix).
type pathStrip struct {
	prefix  string // "/api": no trailing slash
	escaped string // prefix as it appears in an escaped path
}

func compileStripPrefix(errs *config.Errors, loc config.Path, s string) *pathStrip {
	if s == "" {
		return nil
	}
	if !strings.HasPrefix(s, "/") {
		errs.Add(loc, "must start with \"/\", got %q", s)
		return nil
	}
	prefix := strings.TrimRight(s, "/")
	if prefix == "" {
		errs.Add(loc, "strips nothing: %q is the root; leave it out", s)
		return nil
	}
	if i := strings.IndexAny(prefix, "?#"); i >= 0 {
		errs.Add(loc, "is a path prefix, without a query or fragment: byte %d is %q", i, prefix[i])
		return nil
	}
	return &pathStrip{prefix: prefix, escaped: (&url.URL{Path: prefix}).EscapedPath()}
}

// apply returns a copy of u without the prefix, or u itself when its path
// does not start with the prefix's segments. A path that was the prefix
// alone becomes empty: "/" on its own, or the target's path with delegate.to.
func (p *pathStrip) apply(u *url.URL) *url.URL {
	rest, ok := cutSegments(u.Path, p.prefix)
	if !ok {
		return u
	}
	out := *u
	out.Path, out.RawPath = rest, ""
	if u.RawPath != "" {
		if raw, ok := cutSegments(u.RawPath, p.escaped); ok {
			out.RawPath = raw
		}
	}
	return &out
}

// cutSegments cuts prefix from path when it ends at a segment boundary.
func cutSegments(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok || rest != "" && rest[0] != '/' {
		return path, false
	}
	return rest, true
}
