package rules

import (
	"net/http"
	"strings"

	"github.com/tidwall/gjson"
)

// A condition is one compiled test of a rule's match. Conditions only
// evaluate: everything they need was prepared at load.
type condition interface {
	holds(x *exchange) bool
}

// methodCondition holds for any of its methods (upper-cased at load).
type methodCondition []string

func (c methodCondition) holds(x *exchange) bool {
	for _, m := range c {
		if strings.EqualFold(m, x.req.Method) {
			return true
		}
	}
	return false
}

// pathCondition is a glob on the backend request's path.
type pathCondition struct{ pattern }

func (c pathCondition) holds(x *exchange) bool { return c.matchOne(x.req.URL.Path) }

// headerCondition is a glob on the values of one header; name is canonical.
type headerCondition struct {
	name string
	pattern
}

func (c headerCondition) holds(x *exchange) bool {
	return c.matchAny(x.req.Header[c.name])
}

// queryCondition is a glob on the values of one query parameter.
type queryCondition struct {
	name string
	pattern
}

func (c queryCondition) holds(x *exchange) bool { return c.matchAny(x.query()[c.name]) }

// bodyCondition is a glob on the value(s) a gjson path selects in the JSON
// body. A body that cannot be evaluated fails the condition, negated or not,
// so an unreadable body can never select a rule.
type bodyCondition struct {
	path string
	pattern
}

func (c bodyCondition) holds(x *exchange) bool {
	res, ok := x.body.get(c.path)
	if !ok {
		return false
	}
	if !res.Exists() {
		return c.negate
	}
	if !res.IsArray() {
		return c.matchOne(res.String())
	}
	matched := false
	res.ForEach(func(_, el gjson.Result) bool {
		matched = c.glob.Match(el.String())
		return !matched
	})
	return matched != c.negate
}

// canonicalHeader is how header conditions look names up: the request's
// header map is keyed by canonical names, so one map index is enough.
func canonicalHeader(name string) string { return http.CanonicalHeaderKey(name) }
