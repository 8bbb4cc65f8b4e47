package rules

import (
	"context"
	"errors"
	"fmt"
	"krakend-rules/config"
	"krakend-rules/state"
	"net/http"
	"strconv"
	"sync/atomic"
)

// Shared state: every engine of the process takes its store from a
// state.Registry (state.Default unless Options say otherwise), by the name
// its "store" gives, so that the backends of one gateway — one engine each
// — share scenarios, variables, counters and data sets by name. Rules that
// use none of it pay nothing: the store is only looked at by the rules and
// templates that name it.

// engineIDs tells engines apart as owners of what they define in a store.
var engineIDs atomic.Uint64

// acquireStore takes the engine's store from the registry.
func (e *Engine) acquireStore(errs *config.Errors, cfg *config.Config, registry *state.Registry) {
	if registry == nil {
		registry = state.Default
	}
	s := cfg.StoreSettings()
	st, err := registry.Acquire(state.Settings{
		Name:        s.Name,
		URL:         s.Redis,
		Prefix:      s.Prefix,
		PersistFile: s.PersistFile,
		Limits:      state.Limits{MaxItems: int(s.MaxItems), MaxBytes: s.MaxBytes},
		Timeout:     s.TimeoutValue,
	})
	if err != nil {
		errs.Add(config.At("store"), "%v", err)
		return
	}
	e.store, e.registry = st, registry
	e.owner = fmt.Sprintf("backend %s (#%d)", strconv.Quote(cfg.Label()), engineIDs.Add(1))
}

// releaseStore gives the store back: the last engine to release it closes
// it (a persisted memory store saves itself then).
func (e *Engine) releaseStore() {
	if e.store != nil {
		if err := e.registry.Release(e.store); err != nil {
			e.log.Error("store", strconv.Quote(e.store.Name()), "could not be saved:", err.Error())
		}
	}
}

// scenarioCondition is a rule's "scenario": the state it requires, the
// state it moves the scenario to. It is tried last, after every other
// condition and the probability draw, because moving the scenario is what
// makes the rule apply: of two requests that find the scenario in the
// same state, only one moves it, and the other goes on to the next rules.
type scenarioCondition struct {
	store state.Store
	name  string
	state string // "" for any
	next  string // "" for none
}

// holds reports whether the scenario lets the rule apply, moving it when
// the rule has a next state. A store that fails makes the rule apply, so
// that it answers 503 (x.stateErr): a request is never answered by
// another rule because the store could not be read.
func (c *scenarioCondition) holds(x *exchange) bool {
	ctx := x.req.Context()
	if c.next == "" {
		cur, err := c.store.Scenario(ctx, c.name)
		if err != nil {
			x.stateErr = err
			return true
		}
		return cur == c.state
	}
	moved, err := c.store.MoveScenario(ctx, c.name, c.state, c.next)
	if err != nil {
		x.stateErr = err
		return true
	}
	return moved
}

// explain says why the scenario keeps the rule from applying, or "" when
// it lets it. Unlike holds it never moves the scenario: an explanation
// changes no state.
func (c *scenarioCondition) explain(x *exchange) string {
	cur, err := c.store.Scenario(x.req.Context(), c.name)
	switch {
	case err != nil:
		x.stateErr = err
		return "" // the rule applies and answers 503, as in holds
	case c.state != "" && cur != c.state:
		return fmt.Sprintf("its conditions held; scenario %q is in state %q, not %q", c.name, cur, c.state)
	}
	return ""
}

// stateAction runs a rule's resets, variables and counters, then its
// action.
type stateAction struct {
	inner     action
	store     state.Store
	reset     *config.Reset
	set       []setVariable
	increment []incrementCounter
	templates *templateSet
}

type setVariable struct {
	name  string
	value text
}

type incrementCounter struct {
	name string
	by   int64
}

func (a *stateAction) templateSets() []*templateSet {
	return append(a.inner.templateSets(), a.templates)
}

func (a *stateAction) serve(w http.ResponseWriter, x *exchange) {
	if x.stateErr != nil {
		x.failState(w, x.stateErr)
		return
	}
	if err := a.apply(x); err != nil {
		x.failState(w, err)
		return
	}
	a.inner.serve(w, x)
}

func (a *stateAction) apply(x *exchange) error {
	ctx := x.req.Context()
	if a.reset != nil {
		if err := a.runReset(ctx); err != nil {
			return err
		}
	}
	if len(a.set) > 0 {
		bt := a.templates.bind(x)
		defer a.templates.release(bt)
		scratch := getBuffer()
		defer putBuffer(scratch)
		for _, s := range a.set {
			v, err := s.value.render(bt, scratch)
			if err != nil {
				return &renderError{err}
			}
			if err := a.store.SetVariable(ctx, s.name, v); err != nil {
				return err
			}
		}
	}
	for _, c := range a.increment {
		if _, err := a.store.Increment(ctx, c.name, c.by); err != nil {
			return err
		}
	}
	return nil
}

func (a *stateAction) runReset(ctx context.Context) error {
	r := a.reset
	if r.Scenarios != nil {
		names := r.Scenarios
		if config.IsAll(names) {
			names = nil
		}
		if err := a.store.ResetScenarios(ctx, names); err != nil {
			return err
		}
	}
	if r.Variables != nil {
		names := r.Variables
		if config.IsAll(names) {
			names = nil
		}
		if err := a.store.ResetVariables(ctx, names); err != nil {
			return err
		}
	}
	sets := r.DataSets
	if config.IsAll(sets) {
		sets = a.store.DataSets()
	}
	for _, s := range sets {
		if err := a.store.ResetDataSet(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// renderError is a template of "set" that failed.
type renderError struct{ err error }

func (e *renderError) Error() string { return e.err.Error() }

// failState answers a store's failure, naming the rule and the store:
// 503 when the store is unreachable or too slow, 507 when a write would
// go past its limits, 500 when a "set" template failed.
func (x *exchange) failState(w http.ResponseWriter, err error) {
	var full *state.FullError
	var unavailable *state.UnavailableError
	var render *renderError
	switch {
	case errors.As(err, &full):
		x.fail(w, http.StatusInsufficientStorage, full.Error())
	case errors.As(err, &unavailable):
		x.fail(w, http.StatusServiceUnavailable, "store unavailable", "store", unavailable.Store)
	case errors.As(err, &render):
		x.fail(w, http.StatusInternalServerError, "response template failed")
	default:
		x.fail(w, http.StatusInternalServerError, err.Error())
	}
}

// stateFailed tells whether a template failed on the store, and answers
// for it then (response.go).
func stateFailed(w http.ResponseWriter, x *exchange, err error) bool {
	var unavailable *state.UnavailableError
	if errors.As(err, &unavailable) {
		x.failState(w, err)
		return true
	}
	return false
}

// compileRuleState compiles what a rule says about shared state: its
// scenario condition, and the resets, variables and counters that wrap
// its action. A crud action is compiled here too.
func (e *Engine) compileRuleState(errs *config.Errors, loc config.Path, r *ruleDraft, rc *config.Rule) {
	if !rc.UsesState() || e.store == nil {
		return
	}
	if rc.CRUD != nil && rc.Actions() == 1 {
		c := e.compileCRUD(errs, loc.Field("crud"), rc.CRUD)
		r.action = c
		r.conditions = append(r.conditions, crudPathCondition{c})
	}
	if sc := rc.Scenario; sc != nil && sc.Name != "" {
		initial := sc.Initial
		if initial == "" {
			initial = state.DefaultInitialState
		}
		if sc.Initial != "" {
			if err := e.store.DefineScenario(e.owner, sc.Name, initial); err != nil {
				errs.Add(loc.Field("scenario").Field("initial"), "%v", err)
			}
		}
		r.scenario = &scenarioCondition{store: e.store, name: sc.Name, state: sc.State, next: sc.Next}
	}
	if rc.Set == nil && rc.Increment == nil && rc.Reset == nil && r.scenario == nil {
		return
	}
	if r.action == nil {
		return // the rule has no valid action: reported already
	}
	a := &stateAction{inner: r.action, store: e.store, reset: rc.Reset, templates: newTemplateSet()}
	for _, name := range config.SortedKeys(rc.Set) {
		v, err := compileText(a.templates, loc.Field("set").Key(name), rc.Set[name])
		if err != nil {
			errs.Add(loc.Field("set").Key(name), "%v", err)
		}
		a.set = append(a.set, setVariable{name: name, value: v})
	}
	for _, name := range config.SortedKeys(rc.Increment) {
		a.increment = append(a.increment, incrementCounter{name: name, by: rc.Increment[name]})
	}
	r.action = a
}
