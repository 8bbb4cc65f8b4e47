package rules

import (
	"context"
	"fmt"
	"krakend-rules/config"
	"krakend-rules/state"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Engine answers the backend requests of one backend: the first rule that
// applies runs its action; when none does, the request is delegated. It is
// an http.Handler, the form a KrakenD client plugin hands the gateway.
type Engine struct {
	current     atomic.Pointer[ruleSet] // nil while a rules_file has never been valid
	noMatch     *delegate               // what happens when no rule matches
	bodyLimits  bodyLimits
	debugHeader bool
	transport   *http.Transport // owned by the engine, closed with its context
	backend     *backend
	log         *logger
	label       string // the backend's label, which keys its rules' statistics
	exchanges   sync.Pool

	inline    []config.Rule // kept to recompile with each new rules_file; nil without one
	checking  bool          // Options.checking
	rulesFile *rulesFile

	store    state.Store // shared by name with the other backends: state.go
	registry *state.Registry
	owner    string
}

// DebugHeader is the header debug_header adds to every answer.
const DebugHeader = "X-Krakend-Rule"

// delegatedValue is DebugHeader's value when no rule matched.
var delegatedValue = []string{"delegated"}

// ruleDraft is a config.Rule while it compiles: each part as the compiler
// built it, with its own pointers. pack (pack.go) lays the drafts of a rule
// set out as the set keeps them — rules without pointers, indexes into
// set-wide tables — and drops them.
type ruleDraft struct {
	conditions []condition // cheapest first
	action     action
	*ruleExtras
	name     string
	position int
	needs    bodyNeeds // the kinds of body the conditions read: a body of another kind fails the rule
}

// ruleExtras are the parts of a rule that most rules do not have.
type ruleExtras struct {
	pathParams  *regexp.Regexp
	active      *activeWindow
	probability float64 // 1 means always
	delay       *delay
	callbacks   *ruleCallbacks     // nil when the rule sends none
	scenario    *scenarioCondition // nil when the rule names none
	logAnswered string             // the debug log line's text, prepared once when debug logs are on: "answered" or "delegated"
	delegates   bool               // the rule's only action is delegate: its log line says "delegated"
	debugValue  []string           // DebugHeader's value, prepared once when debug_header is on
}

// noExtras are the extras of every rule without any: each rule set's
// extras[0].
var noExtras = ruleExtras{probability: 1}

// none reports whether these extras are noExtras' values.
func (x *ruleExtras) none() bool {
	return x.pathParams == nil && x.active == nil && x.probability == 1 && x.delay == nil && x.callbacks == nil &&
		x.scenario == nil && x.logAnswered == "" && !x.delegates && x.debugValue == nil
}

// action is what a matching rule does with the request.
type action interface {
	serve(w http.ResponseWriter, x *exchange)
	// templateSets are the action's templates, for Check.
	templateSets() []*templateSet
}

// Options are what the host gives an engine besides its configuration.
type Options struct {
	// Logger receives the engine's logs; nil discards them.
	Logger Logger
	// Transport, when set, replaces the engine's own transport (tests).
	Transport http.RoundTripper
	// Registry, when set, replaces state.Default, the process's stores.
	Registry *state.Registry

	// checking keeps each rule's decoded configuration for Check. A
	// gateway's engine drops it once compiled: with a thousand rules it
	// is as large again as the compiled rules, and the garbage collector
	// would mark it at every cycle for nothing.
	checking bool
}

// New decodes and compiles a "krakend-rules" object. When ctx ends, the
// engine's idle backend connections are closed and its rules_file is no
// longer watched.
func New(ctx context.Context, raw any, opts Options) (*Engine, error) {
	cfg, decodeErr := config.Decode(raw)
	compileOpts := opts
	if decodeErr != nil {
		// Compiled only to report every problem at once: nothing is put in
		// force, so nothing is said about rules loaded, and no store of the
		// process is touched.
		compileOpts.Logger = nil
		compileOpts.Registry = &state.Registry{DryRun: true}
	}
	e, compileErr := Compile(cfg, compileOpts)
	if err := config.Join(decodeErr, compileErr); err != nil {
		return nil, err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	e.backend.callbacks.ctx = ctx // callbacks end with the gateway
	if e.rulesFile != nil {
		go e.watchRulesFile(ctx)
	}
	e.backend.records.start(ctx)
	statsClock.attach(ctx)
	if cfg.StatsLogEvery > 0 {
		go e.logStats(ctx, cfg.StatsLogEvery)
	}
	if ctx.Done() != nil {
		go func() {
			<-ctx.Done()
			if e.transport != nil {
				e.transport.CloseIdleConnections()
			}
			e.releaseStore()
		}()
	}
	if ctx.Done() != nil {
		go func() {
			<-ctx.Done()
			if set := e.current.Load(); set != nil {
				set.retire() // a gateway that stops no longer lists its rules
			}
		}()
	}
	return e, nil
}

// Compile prepares a decoded Config: globs, templates, static bodies and
// files are compiled or read here, once. Every problem is reported, each
// with its location. A rules_file that is missing or invalid is not an
// error here: it is logged, and the engine fails closed until the file
// becomes valid (New watches it).
func Compile(cfg *config.Config, opts Options) (*Engine, error) {
	log := newLogger(opts.Logger, cfg.Label())
	e := &Engine{
		bodyLimits:  bodyLimits{bytes: cfg.MaxBodyBytes, depth: cfg.MaxBodyDepth},
		debugHeader: cfg.DebugHeader,
		log:         log,
		label:       cfg.Label(),
		inline:      cfg.Rules,
		checking:    opts.checking,
	}
	transport := opts.Transport
	if transport == nil {
		e.transport = NewTransport()
		transport = e.transport
	}
	if e.bodyLimits.bytes <= 0 {
		e.bodyLimits.bytes = config.DefaultMaxBodyBytes
	}
	if e.bodyLimits.depth <= 0 {
		e.bodyLimits.depth = config.DefaultMaxBodyDepth
	}
	e.exchanges.New = func() any { return new(exchange) }
	e.backend = &backend{transport: transport, maxResponse: cfg.MaxResponseBytes, maxShadow: cfg.MaxShadowBytes, maxDepth: e.bodyLimits.depth, log: log,
		callbacks: newCallbackQueue(cfg.CallbackHostPatterns, transport, log)}
	if e.backend.maxResponse <= 0 {
		e.backend.maxResponse = config.DefaultMaxResponseBytes
	}
	if e.backend.maxShadow <= 0 {
		e.backend.maxShadow = config.DefaultMaxShadowBytes
	}

	var errs config.Errors
	e.noMatch = compileDelegate(&errs, nil, &config.Delegate{}, e.backend)
	if cfg.RulesFile != "" {
		e.rulesFile = compileRulesFile(cfg)
	}
	e.acquireStore(&errs, cfg, opts.Registry)
	set, err := e.compileRules(nil, "")
	errs = append(errs, config.List(err)...)
	if err := errs.Err(); err != nil {
		e.releaseStore()
		return nil, err
	}
	if e.rulesFile == nil {
		e.install(set, "")
		e.inline = nil // compiled for good: nothing recompiles them
		return e, nil
	}
	// With a rules_file, the inline rules are valid: what is left to know is
	// whether the file is.
	e.reloadRulesFile()
	return e, nil
}

// Checked is a configuration that loads, as the linter sees it.
type Checked struct {
	// Config is the decoded configuration.
	Config *config.Config
	// Rules are the inline rules followed by those of the rules_file, and
	// Locations where each of them is.
	Rules     []config.Rule
	Locations []config.Location
	// Warnings are what the engine logs at load: rules that never apply.
	Warnings []Warning
	// Templates are every template the rules compiled, with what each
	// reads of the request; Conditions every condition on a header, a
	// query parameter, a cookie or the body.
	Templates  []TemplateUse
	Conditions []ConditionRead
}

// Check loads a configuration as New does, its rules_file included,
// without starting anything. It returns the errors that would make the
// backend fail closed, each with its location, or else the rules and the
// warnings the engine would log at load.
func Check(raw any) (*Checked, error) {
	return CheckWith(raw, &state.Registry{DryRun: true})
}

// CheckWith is Check with the stores of registry, a DryRun one, shared
// with the other backends of one krakend.json: what they configure and
// define in a store must agree.
func CheckWith(raw any, registry *state.Registry) (*Checked, error) {
	cfg, decodeErr := config.Decode(raw)
	e, compileErr := Compile(cfg, Options{Registry: registry, checking: true})
	if err := config.Join(decodeErr, compileErr); err != nil {
		return nil, err
	}
	defer e.transport.CloseIdleConnections()
	defer e.releaseStore()
	set := e.current.Load()
	if set == nil { // the rules_file is missing or invalid
		return nil, e.rulesFile.failure
	}
	checked := &Checked{Config: cfg, Rules: set.sources, Locations: set.locations, Warnings: set.warnings}
	for i, r := range set.all() {
		checked.Templates = append(checked.Templates, templateUses(set.locations[i].File, append(set.actionOf(r).templateSets(), set.extrasOf(r).callbacks.templateSets()...)...)...)
		for _, c := range set.reads[i] {
			c.File = set.locations[i].File
			checked.Conditions = append(checked.Conditions, c)
		}
	}
	return checked, nil
}

// compileRules compiles the inline rules followed by the rules of a
// rules_file (nil when there is none).
func (e *Engine) compileRules(fileRules []config.Rule, fileName string) (*ruleSet, error) {
	var inlineErrs, fileErrs config.Errors
	set := &ruleSet{}
	names := map[string]config.Location{}
	all := fileRules // read only: no copy of a large file's rules when there are no inline ones
	if len(e.inline) > 0 {
		all = append(append([]config.Rule(nil), e.inline...), fileRules...)
	}
	locs := make([]config.Location, len(all))
	drafts := make([]ruleDraft, len(all))
	reads := make([][]ConditionRead, len(all))
	shared := conditionCache{}
	for i := range all {
		rc := &all[i]
		loc, defaultName, errs := config.Location{At: config.At("rules").Index(i)}, "rule["+strconv.Itoa(i)+"]", &inlineErrs
		if i >= len(e.inline) {
			j := i - len(e.inline)
			loc, errs = config.Location{File: fileName, At: config.At("rules").Index(j)}, &fileErrs
			defaultName = fileName + ":rule[" + strconv.Itoa(j) + "]"
		}
		name := rc.Name
		if name == "" {
			name = defaultName
		}
		locs[i] = loc
		if first, dup := names[name]; dup {
			errs.Add(loc.At.Field("name"), "duplicate rule name %q (also %s)", name, first)
		} else {
			names[name] = loc
		}
		r := &drafts[i]
		r.name, r.position, r.ruleExtras = name, i, &ruleExtras{probability: 1}
		if !rc.Undecodable {
			compileRule(errs, loc.At, r, rc, e.backend, &reads[i], shared)
			e.compileRuleState(errs, loc.At, r, rc)
		}
		if e.log.debug { // the debug line's text, only where it is printed
			verb := " answered"
			if r.delegates {
				verb = " delegated"
			}
			r.logAnswered = "rule " + strconv.Quote(name) + verb
		}
	}
	if err := append(inlineErrs, fileErrs.InFile(fileName)...).Err(); err != nil {
		return nil, err
	}
	set.warnings = unreachableRules(all, drafts, locs)
	if err := set.pack(drafts, e.debugHeader); err != nil {
		return nil, err
	}
	if e.checking { // Check's alone: a gateway's engine does not keep them
		set.sources, set.locations, set.reads = all, locs, reads
	}
	if len(set.rules) >= minIndexedRules {
		set.index = newPathIndex(set.rules, drafts)
	}
	return set, nil
}

// install puts a rule set in force and says so.
func (e *Engine) install(set *ruleSet, origin string) {
	set.registry = processStats
	for _, r := range set.all() {
		r.stats = set.registry.slot(e.label, set.name(r)) // counted from now on; a name kept keeps its counts
		set.statsOf(r).inForce.Add(1)
	}
	if old := e.current.Swap(set); old != nil {
		old.retire()
	}
	if len(set.rules) == 0 {
		e.log.Warning("no rules configured: every request is delegated to the backend")
		return
	}
	names := make([]string, len(set.rules))
	for i, r := range set.all() {
		names[i] = set.name(r)
	}
	e.log.Info(fmt.Sprintf("%s loaded%s: %s", plural(len(set.rules), "rule"), origin, strings.Join(names, ", ")))
	for _, w := range set.warnings {
		e.log.Warning(w.String())
	}
}

func compileRule(errs *config.Errors, loc config.Path, r *ruleDraft, rc *config.Rule, be *backend, reads *[]ConditionRead, shared conditionCache) {
	if rc.Match != nil {
		r.conditions, r.needs = compileMatch(errs, loc.Field("match"), rc.Match, reads, shared)
		for _, c := range r.conditions {
			if pc, ok := c.(*pathCondition); ok && pc.re != nil && !pc.negate {
				r.pathParams = pc.re
			}
		}
	}
	if rc.Active != nil {
		r.active = compileActive(errs, loc.Field("active"), rc.Active)
	}
	if rc.Probability != nil {
		r.probability = *rc.Probability
	}
	if rc.Delay != nil {
		r.delay = compileDelay(rc.DelayRange)
	}
	if rc.Delegate != nil && rc.Response == nil && rc.Responses == nil {
		r.delegates = true
	}
	if rc.Mode != "" && rc.Responses == nil {
		errs.Add(loc.Field("mode"), "goes with responses")
	}
	r.callbacks = compileCallbacks(errs, loc.Field("callbacks"), r.name, rc.Callbacks, be.callbacks)

	switch rc.Actions() {
	case 0:
		errs.Add(loc, "has no action: give it a response, responses, a delegate, a crud or stats")
	case 1:
		switch {
		case rc.Response != nil:
			r.action = compileResponse(errs, loc.Field("response"), rc.Response, be.log)
		case rc.Responses != nil:
			r.action = compileResponseSet(errs, loc, rc.Mode, rc.Responses, be.log)
		case rc.Stats != nil:
			r.action = compileStats(rc.Stats)
		case rc.Delegate != nil:
			r.action = compileDelegate(errs, loc.Field("delegate"), rc.Delegate, be)
		} // crud: compileRuleState
	default:
		errs.Add(loc, "has more than one of response, responses, delegate, crud and stats: a rule has exactly one action")
	}
}

// ServeHTTP finds the first rule that applies and runs its action; when
// none does, the request is delegated.
func (e *Engine) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	set := e.current.Load()
	if set == nil {
		writeError(w, http.StatusInternalServerError, "krakend-rules: invalid configuration", "")
		return
	}
	x := e.exchanges.Get().(*exchange)
	x.reset(req, e.bodyLimits)
	x.store = e.store
	defer e.release(x)

	r := set.find(x)
	if r == nil {
		if e.debugHeader {
			x.debugValue = delegatedValue
			w.Header()[DebugHeader] = delegatedValue
		}
		if e.log.debug {
			if e.debugHeader { // and which rules nearly matched, formatted only if printed
				e.log.Debug("no rule matched, delegated", x.requestLine(), nearMissLine{set, x})
			} else {
				e.log.Debug("no rule matched, delegated", x.requestLine())
			}
		}
		e.noMatch.serve(w, x)
		return
	}

	x.rule = r
	x.count = r.answered.Add(1)
	extras := set.extrasOf(r)
	if e.debugHeader {
		x.debugValue = extras.debugValue
		w.Header()[DebugHeader] = extras.debugValue
	}
	if e.log.debug {
		e.log.Debug(extras.logAnswered, x.requestLine())
	}
	switch {
	case extras.delay != nil && !extras.delay.wait(req.Context()):
		x.fail(w, http.StatusGatewayTimeout, "request ended during the rule's delay")
	case extras.callbacks != nil:
		extras.callbacks.serve(w, x, func(w http.ResponseWriter, x *exchange) { set.serve(w, x, r) })
	default:
		set.serve(w, x, r)
	}
	set.statsOf(r).count(x.outcome, x.sinceStatsEpoch())
}

// find returns the first rule of the set that applies to the request, or
// nil.
func (s *ruleSet) find(x *exchange) *rule {
	x.set = s
	if s.index != nil {
		if r, ok := s.index.candidates(x.req.URL.Path, x.applies); ok {
			return r
		}
	}
	for i := range s.rules {
		if r := &s.rules[i]; x.applies(r) {
			return r
		}
	}
	return nil
}

// applies reports whether the rule of the exchange's set applies to this
// request: it is active now, its conditions hold, and it wins its
// probability draw.
func (x *exchange) applies(r *rule) bool {
	if r.extras == 0 { // noExtras: always active, no draw, no scenario
		return x.set.matches(r, x)
	}
	extras := x.set.extrasOf(r)
	if extras.active != nil && !extras.active.contains(x.now()) {
		return false
	}
	if !x.set.matches(r, x) {
		return false
	}
	if extras.probability < 1 && rand.Float64() >= extras.probability {
		return false
	}
	return extras.scenario == nil || extras.scenario.holds(x)
}

func (e *Engine) release(x *exchange) {
	x.reset(nil, bodyLimits{})
	e.exchanges.Put(x)
}

// FailClosed logs why a backend's configuration is invalid, each problem
// with its location, under the backend's label, and returns the handler
// that fails closed. raw is the configuration as the gateway handed it
// over; nil when there was none.
func FailClosed(l Logger, raw any, err error) http.Handler {
	cfg, _ := config.Decode(raw)
	log := newLogger(l, cfg.Label())
	errs := config.List(err)
	log.Error(fmt.Sprintf("invalid configuration (%s): every request to this backend answers 500:", plural(len(errs), "error")))
	for _, e := range errs {
		log.Error("invalid configuration:", e.Error())
	}
	return InvalidConfig()
}

// InvalidConfig is the handler of a backend whose configuration is invalid:
// it fails closed, answering every request 500 without contacting the
// backend, because the rules it cannot apply may have been meant to protect
// that backend. The errors are for the log, not for clients.
func InvalidConfig() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusInternalServerError, "krakend-rules: invalid configuration", "")
	})
}
