package lint

import (
	"krakend-rules/config"
	"krakend-rules/state"
	"net/http"
	"slices"
	"strings"
)

// Shared state is shared across the backends of a krakend.json, so what the
// linter checks of it looks at all of them: the stores' settings and the
// data sets' seeds must agree (the engine's own check, through one DryRun
// registry for the whole file), and a scenario state that a rule requires
// must be one that the scenario starts in or that some rule moves it to.

// stateLint collects the scenarios of every backend.
type stateLint struct {
	registry *state.Registry
	// by store and scenario name
	scenarios map[[2]string]*scenarioUse
}

type scenarioUse struct {
	states   []string // the initial state and every next
	requires []requiredState
}

type requiredState struct {
	state string
	l     *backendLint
	loc   config.Location
}

func newStateLint() *stateLint {
	return &stateLint{registry: &state.Registry{DryRun: true}, scenarios: map[[2]string]*scenarioUse{}}
}

// scenario records a rule's scenario.
func (s *stateLint) scenario(l *backendLint, store string, loc config.Location, sc *config.Scenario) {
	key := [2]string{store, sc.Name}
	use := s.scenarios[key]
	if use == nil {
		use = &scenarioUse{states: []string{state.DefaultInitialState}}
		s.scenarios[key] = use
	}
	if sc.Initial != "" {
		use.states[0] = sc.Initial
	}
	if sc.Next != "" {
		use.states = append(use.states, sc.Next)
	}
	if sc.State != "" {
		use.requires = append(use.requires, requiredState{sc.State, l, loc.Field("scenario").Field("state")})
	}
}

// finish warns about the states no rule ever reaches.
func (s *stateLint) finish() {
	for _, key := range sortedKeys(s.scenarios) {
		use := s.scenarios[key]
		for _, r := range use.requires {
			if !slices.Contains(use.states, r.state) {
				r.l.warn(r.loc, "never applies: scenario %q starts in %q and no rule moves it to %q (the states rules move it to: %s)",
					key[1], use.states[0], r.state, orNone(use.states[1:]))
			}
		}
	}
}

func sortedKeys(m map[[2]string]*scenarioUse) [][2]string {
	keys := make([][2]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	return keys
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	list = slices.Compact(slices.Sorted(slices.Values(list)))
	return `"` + strings.Join(list, `", "`) + `"`
}

// crud warns about a crud rule that its backend's requests cannot reach:
// a url_pattern that is neither the collection nor one of its items, or a
// method that the path does not take.
func (l *backendLint) crud(loc config.Location, c *config.CRUD) {
	if c.Path == "" {
		return
	}
	pattern := l.b.urlPattern
	if i := strings.IndexByte(pattern, '?'); i >= 0 {
		pattern = pattern[:i]
	}
	var allowed []string
	switch {
	case pattern == c.Path:
		allowed = []string{http.MethodGet, http.MethodPost}
	case strings.HasPrefix(pattern, c.Path+"/") && !strings.Contains(pattern[len(c.Path)+1:], "/") && len(pattern) > len(c.Path)+1:
		allowed = []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete}
	default:
		l.warn(loc.Field("crud").Field("path"), "never applies: the backend request's path (url_pattern %s) is neither %s nor %s/{id}", l.b.urlPattern, c.Path, c.Path)
		return
	}
	if !slices.Contains(allowed, l.b.method) {
		l.warn(loc.Field("crud").Field("path"), "answers every request 405: the backend request is always %s (%s), and %s takes only %s",
			l.b.method, l.b.methodOrigin, pattern, strings.Join(allowed, ", "))
		return
	}
	if !l.b.noOp {
		l.warn(loc.Field("crud"), "its statuses (201, 204, 400, 404, 409) and headers (X-Total-Count, Location) never reach clients: %s", l.b.notNoOp())
	}
}
