// Package lint checks the krakend-rules configurations of a krakend.json
// before it is deployed: every configuration error the plugin would fail
// closed on, with its endpoint, backend and place in the file; the mistakes
// that make KrakenD bypass the plugin silently (a plugin folder it loads
// nothing from, a misspelt plugin name, rules where KrakenD never reads
// them); and the warnings of what loads but cannot work as written — rules
// that never apply, conditions on headers or query strings the endpoint
// does not forward, body conditions on GET endpoints, statuses and headers
// that a non-no-op endpoint hides, delays and delegate timeouts the
// endpoint's timeout cuts short.
//
// It knows KrakenD's configuration only as far as the plugin's behaviour
// depends on it, the way Lura v2.10.0 (KrakenD CE 2.10) reads it.
package lint

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"krakend-rules/config"
	"krakend-rules/rules"
)

// PluginName is the name a backend gives the plugin, and the key of its
// configuration object.
const PluginName = "krakend-rules"

// The keys under which a backend's extra_config configures a client plugin:
// KrakenD's, and Lura's own namespace, which it is an alias of.
var pluginKeys = []string{"plugin/http-client", "github.com/devopsfaith/krakend/transport/http/client/executor"}

// Severity says whether a finding stops the configuration from working.
type Severity int

const (
	// Warning: the configuration loads, but something in it cannot work as
	// written.
	Warning Severity = iota
	// Error: the backend fails closed (every request answers 500), or the
	// file cannot be read.
	Error
)

func (s Severity) String() string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// Finding is one problem.
type Finding struct {
	Severity Severity
	// File is the file the problem is in: the krakend.json, or a rules_file.
	File string
	// Line and Column (1-based; 0 when unknown) locate it in File.
	Line, Column int
	// Where names the endpoint and backend: `endpoint GET /orders/{id}
	// (endpoints[2]), backend[0] /orders/{id}`; empty for the file itself.
	Where string
	// Location is the place inside the krakend-rules object, as the plugin
	// logs it (`rules[1].match.path`), or a path from the file's root.
	Location string
	Message  string

	at path // where in File, step by step
}

func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.File)
	if f.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", f.Line, f.Column)
	}
	b.WriteString(": " + f.Severity.String() + ": ")
	if f.Where != "" {
		b.WriteString(f.Where + ": ")
	}
	if f.Location != "" {
		b.WriteString(f.Location + ": ")
	}
	b.WriteString(f.Message)
	return b.String()
}

// Report is what checking one krakend.json found.
type Report struct {
	File     string
	Backends int // backends that name krakend-rules
	Findings []Finding
}

// Count returns how many findings have this severity.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// Options change how a krakend.json is checked.
type Options struct {
	// WorkDir is how findings name the gateway's working directory, the
	// current one, where relative body_file, rules_file and plugin folder
	// names are read: the -C a user gave, say. Default: its absolute path.
	WorkDir string
}

// Content checks the text of a krakend.json called name. Relative
// body_file and rules_file names, and the root plugin folder, are read from
// the current directory, as the gateway reads them from its working
// directory. Every problem, the file's own included, is a finding.
func Content(name string, content []byte) *Report { return Options{}.Content(name, content) }

// Content checks the text of a krakend.json called name, as the package's
// Content does.
func (o Options) Content(name string, content []byte) *Report {
	c := &checker{report: &Report{File: name}, files: map[string]*positions{}, workDir: o.WorkDir, state: newStateLint()}
	if c.workDir == "" {
		c.workDir, _ = os.Getwd()
	}
	var root any
	if err := json.Unmarshal(content, &root); err != nil {
		line, col, msg := syntaxError(content, err)
		c.report.Findings = append(c.report.Findings, Finding{Severity: Error, File: name, Line: line, Column: col, Message: msg})
		return c.report
	}
	pos, err := indexPositions(content)
	if err != nil { // cannot happen once json.Unmarshal accepted it
		pos = &positions{content: content, at: map[string]int{}}
	}
	c.files[name] = pos
	c.gateway(root)
	c.state.finish()
	sort.SliceStable(c.report.Findings, func(i, j int) bool {
		a, b := c.report.Findings[i], c.report.Findings[j]
		if a.File != b.File {
			return a.File == name // the krakend.json first, then rules files
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return c.report
}

type checker struct {
	report  *Report
	files   map[string]*positions // by file name; nil when unreadable
	workDir string                // the gateway's working directory, as findings name it
	state   *stateLint            // what the backends share: state.go
}

// add records a finding at p, a path in file.
func (c *checker) add(sev Severity, file string, p path, where, loc, format string, args ...any) {
	f := Finding{Severity: sev, File: file, Where: where, Location: loc, Message: fmt.Sprintf(format, args...), at: p}
	if pos := c.positionsOf(file); pos != nil {
		f.Line, f.Column = pos.lineColumn(p)
	}
	c.report.Findings = append(c.report.Findings, f)
}

// positionsOf indexes a rules_file the first time it is needed.
func (c *checker) positionsOf(file string) *positions {
	pos, seen := c.files[file]
	if !seen {
		if content, err := os.ReadFile(file); err == nil {
			pos, _ = indexPositions(content) // nil when it is not JSON
		}
		c.files[file] = pos
	}
	return pos
}

// gateway walks the endpoints and checks every backend that names the
// plugin, and every place where a configuration meant for it is not read.
func (c *checker) gateway(root any) {
	obj, _ := root.(map[string]any)
	rootTimeout := stringField(obj, "timeout")
	endpoints, _ := obj["endpoints"].([]any)
	users := 0 // backends meant for the plugin, whether it reaches them or not
	for i, raw := range endpoints {
		ep, _ := raw.(map[string]any)
		if ep == nil {
			continue
		}
		epAt := path{}.member("endpoints").element(i)
		epWhere := fmt.Sprintf("endpoint %s %s (endpoints[%d])", endpointMethod(ep), stringField(ep, "endpoint"), i)
		epMeant := false // the endpoint holds a configuration for its backends
		if extra, ok := ep["extra_config"].(map[string]any); ok {
			epMeant = c.misplaced(extra, epAt.member("extra_config"), epWhere, true, false)
		}
		backends, _ := ep["backend"].([]any)
		for j, raw := range backends {
			be, _ := raw.(map[string]any)
			if be == nil {
				continue
			}
			extraAt := epAt.member("backend").element(j).member("extra_config")
			where := fmt.Sprintf("%s, backend[%d] %s", epWhere, j, stringField(be, "url_pattern"))
			extra, _ := be["extra_config"].(map[string]any)
			named, meant := false, epMeant
			for _, k := range pluginKeys {
				plugin, _ := extra[k].(map[string]any)
				if plugin == nil {
					continue
				}
				if plugin["name"] != PluginName {
					if c.misnamed(plugin, extraAt.member(k), where) {
						meant = true
					}
					continue
				}
				named = true
				c.report.Backends++
				b := newBackend(ep, be, rootTimeout)
				b.at = extraAt.member(k)
				b.where = where
				c.backend(b, plugin)
			}
			if c.misplaced(extra, extraAt, where, false, named) || named {
				meant = true
			}
			if meant {
				users++
			}
		}
	}
	if c.report.Backends > 0 {
		if _, ok := obj["plugin"].(map[string]any); !ok {
			c.add(Warning, c.report.File, nil, "", "", `no "plugin" object: KrakenD loads no plugins, so the %d backend(s) naming %s are sent straight to their hosts; add "plugin": {"folder": "/path/to/plugins/", "pattern": ".so"}`, c.report.Backends, PluginName)
		}
	}
	if users > 0 {
		c.pluginNotLoaded(obj, users)
	}
}

// backend checks one backend's plugin configuration: first everything the
// plugin itself would report, then what the endpoint around it changes.
func (c *checker) backend(b *backend, plugin map[string]any) {
	file := c.report.File
	raw, ok := plugin[PluginName]
	if !ok {
		c.add(Error, file, b.at, b.where, b.at.String(), "no %q object with the rules: the backend fails closed (every request answers 500)", PluginName)
		return
	}
	at := b.at.member(PluginName)
	// The label the plugin's log lines carry, so that a finding and the
	// gateway's log about the same backend can be matched.
	cfg, _ := config.Decode(raw)
	b.where += " [" + cfg.Label() + "]"
	checked, err := rules.CheckWith(raw, c.state.registry)
	if err != nil {
		for _, e := range config.List(err) {
			f, p := c.place(at, e.Location)
			c.add(Error, f, p, b.where, e.At.String(), "%s%s", e.Problem, c.resolvedAgainst(raw, e.Location))
		}
		return
	}
	l := &backendLint{checker: c, b: b, at: at, raw: raw}
	for _, w := range checked.Warnings {
		l.warn(w.Location, "%s", w.Problem)
	}
	if len(checked.Rules) == 0 {
		l.warn(config.Location{At: config.At("rules")}, "no rules: every request is delegated to the backend")
	}
	if checked.Config.DebugHeader && !b.noOp {
		l.warn(config.Location{At: config.At("debug_header")}, "%s never reaches clients: %s", rules.DebugHeader, b.notNoOp())
	}
	for i := range checked.Rules {
		loc := checked.Locations[i]
		l.rule(loc, &checked.Rules[i])
		if sc := checked.Rules[i].Scenario; sc != nil {
			c.state.scenario(l, checked.Config.StoreSettings().Name, loc, sc)
		}
		if cr := checked.Rules[i].CRUD; cr != nil {
			l.crud(loc, cr)
		}
		sameRule := func(at config.Location) bool { return at.File == loc.File && at.At.Rule() == loc.At.Rule() }
		var conds []rules.ConditionRead
		for _, c := range checked.Conditions {
			if sameRule(c.Location) {
				conds = append(conds, c)
			}
		}
		l.conditions(conds, &checked.Rules[i])
		for _, t := range checked.Templates {
			if sameRule(t.Location) {
				l.template(t)
			}
		}
	}
}

// place turns a location the engine reported into a file and a path in
// it: inside a rules_file, the rules file's own.
func (c *checker) place(at path, loc config.Location) (file string, p path) {
	if loc.File != "" {
		return loc.File, pathOf(nil, loc.At)
	}
	return c.report.File, pathOf(at, loc.At)
}

// pathOf extends a path in krakend.json with the steps of a location.
func pathOf(at path, steps config.Path) path {
	p := at[:len(at):len(at)]
	for _, s := range steps {
		if s.Kind == config.ElementStep {
			p = p.element(s.Index)
		} else {
			p = p.member(s.Name)
		}
	}
	return p
}

// resolvedAgainst says, for a body_file or rules_file that could not be
// read, which directory the gateway resolves a relative name against: the
// plugin is never told where krakend.json is.
func (c *checker) resolvedAgainst(raw any, loc config.Location) string {
	obj, _ := raw.(map[string]any)
	name, _ := obj["rules_file"].(string)
	switch {
	case loc.File == "" && loc.At.String() == "rules_file" && name != "" && !filepath.IsAbs(name):
		return fmt.Sprintf(" (resolved against the gateway's working directory, %s: %s)", c.workDir, filepath.Join(c.workDir, name))
	case loc.At.Last() == config.Step{Name: "body_file"}:
		return fmt.Sprintf(" (a relative name is resolved against the gateway's working directory, %s)", c.workDir)
	}
	return ""
}

// backendLint checks the rules of one backend against its endpoint.
type backendLint struct {
	*checker
	b   *backend
	at  path // the krakend-rules object
	raw any
}

func (l *backendLint) warn(loc config.Location, format string, args ...any) {
	f, p := l.place(l.at, loc)
	l.add(Warning, f, p, l.b.where, loc.At.String(), format, args...)
}

func (l *backendLint) rule(loc config.Location, r *config.Rule) {
	if r.Delay != nil {
		text, isString := r.Delay.(string)
		if !isString {
			text = r.DelayRange.String()
		}
		l.delay(loc.Field("delay"), text, r.DelayRange)
	}
	if r.Match != nil {
		m := loc.Field("match")
		if len(r.Match.Methods) > 0 && !containsFold(r.Match.Methods, l.b.method) {
			l.warn(m.Field("methods"), "never applies: the backend request is always %s (%s)", l.b.method, l.b.methodOrigin)
		}
	}
	if r.Response != nil {
		l.response(loc.Field("response"), r.Response)
	}
	if r.Stats != nil && r.Stats.Format == "prometheus" && !l.b.noOp {
		l.warn(loc.Field("stats").Field("format"), "the Prometheus text never reaches clients: %s, and KrakenD decodes the answer as JSON", l.b.notNoOp())
	}
	for i := range r.Responses {
		l.response(loc.Field("responses").Index(i), &r.Responses[i])
	}
	if d := r.Delegate; d != nil {
		dl := loc.Field("delegate")
		l.headerChanges(dl.Field("response_headers"), d.ResponseHeaders)
		for _, from := range slices.Sorted(maps.Keys(d.Status)) {
			l.status(dl.Field("status").Key(strconv.Itoa(from)), d.Status[from])
		}
		if d.Timeout != "" {
			l.delegateTimeout(dl.Field("timeout"), d.Timeout, d.TimeoutValue, d.Fallback != nil)
		}
		if rec := d.Record; rec != nil && rec.Key != nil {
			l.recordKey(dl.Field("record").Field("key"), rec.Key)
		}
		if fb := d.Fallback; fb != nil {
			if fb.Response != nil {
				l.response(dl.Field("fallback").Field("response"), fb.Response)
			}
			for i := range fb.Responses {
				l.response(dl.Field("fallback").Field("responses").Index(i), &fb.Responses[i])
			}
		}
	}
}

// recordKey warns about the parts of a recording's key that never reach
// the plugin: every request would be keyed as if they were absent.
func (l *backendLint) recordKey(loc config.Location, k *config.RecordKey) {
	for i, name := range k.Headers {
		if !l.b.forwardsHeader(name) {
			l.warn(loc.Field("headers").Index(i), "the endpoint does not forward the header %s (input_headers: %s), so every recording is keyed as if it were absent", rules.CanonicalHeader(name), l.b.inputHeaders())
		}
	}
	for i, name := range k.Query {
		if why := l.b.dropsQuery(name); why != "" {
			l.warn(loc.Field("query").Index(i), "%s, so every recording is keyed as if it were absent", why)
		}
	}
}

// response warns about what a non-no-op endpoint hides of an answer.
func (l *backendLint) response(loc config.Location, r *config.Response) {
	l.status(loc.Field("status"), r.Status)
	if !l.b.noOp && decodesJSON(l.b.encoding) && !rules.SendsJSON(r) {
		l.warn(loc, "sends a body that is not JSON, but KrakenD decodes this backend's answers as JSON (backend encoding %s), so clients get an error instead: %s", orDefault(l.b.encoding), l.b.notNoOp())
	}
	for _, name := range slices.Sorted(maps.Keys(r.Headers)) {
		if rules.CanonicalHeader(name) != "Content-Type" && !l.b.noOp {
			l.warn(loc.Field("headers").Key(name), "never reaches clients: %s", l.b.notNoOp())
		}
	}
}

// conditions warns about the conditions of one rule, as the engine compiled
// them, on what the endpoint does not forward — and about body conditions
// on endpoints whose requests seldom carry a body.
func (l *backendLint) conditions(conds []rules.ConditionRead, r *config.Rule) {
	bodyWarned := false
	contentTypeWarned := false
	for _, c := range conds {
		if isBodyKind(c.Of) && !bodyWarned && r.Match != nil && onlyBodiless(r.Match.Methods) {
			bodyWarned = true
			l.warn(c.Location, "the rule only matches %s, whose requests seldom carry a body, and a rule with a body condition never applies to a request without one", strings.Join(r.Match.Methods, ", "))
		}
		if (c.Of == "form" || c.Of == "multipart") && !contentTypeWarned && !l.b.forwardsHeader("Content-Type") {
			contentTypeWarned = true
			l.warn(c.Location, `the endpoint does not forward the Content-Type header (input_headers: %s), so no body is a form and the rule never applies: add "Content-Type" to input_headers`, l.b.inputHeaders())
		}
		switch c.Of {
		case "headers":
			if !l.b.forwardsHeader(c.Name) {
				l.warn(c.Location, "the endpoint does not forward the header %s (input_headers: %s), so the condition never sees a value", rules.CanonicalHeader(c.Name), l.b.inputHeaders())
			}
		case "cookies":
			if !l.b.forwardsHeader("Cookie") {
				l.warn(c.Location, `the endpoint does not forward the Cookie header (input_headers: %s), so the condition never sees a value: add "Cookie" to input_headers`, l.b.inputHeaders())
			}
		case "query":
			if why := l.b.dropsQuery(c.Name); why != "" {
				l.warn(c.Location, "%s, so the condition never sees a value", why)
			}
		case "body", "body_json", "body_text", "form", "multipart", "xpath", "body_xml":
			if !bodyWarned && (l.b.endpointMethod == "GET" || l.b.endpointMethod == "HEAD") {
				bodyWarned = true
				l.warn(c.Location, "the endpoint answers %s, whose requests seldom carry a body, and a rule with a body condition never applies to a request without one", l.b.endpointMethod)
			}
		}
	}
}

// template warns about the headers and query parameters a template the
// engine compiled reads that never reach the plugin: they are always empty.
func (l *backendLint) template(t rules.TemplateUse) {
	loc, reads := t.Location, t.Reads
	for _, name := range slices.Compact(slices.Sorted(slices.Values(reads.Headers))) {
		if !l.b.forwardsHeader(name) {
			l.warn(loc, "the template reads the header %s, which the endpoint does not forward (input_headers: %s): it is always empty", name, l.b.inputHeaders())
		}
	}
	if len(reads.Form) > 0 && !l.b.forwardsHeader("Content-Type") {
		l.warn(loc, `the template reads the form field %s, but the endpoint does not forward the Content-Type header (input_headers: %s), so no body is a form: it is always empty`, reads.Form[0], l.b.inputHeaders())
	}
	for _, name := range slices.Compact(slices.Sorted(slices.Values(reads.Query))) {
		if why := l.b.dropsQuery(name); why != "" {
			l.warn(loc, "the template reads the query parameter %s: %s, so it is always empty", name, why)
		}
	}
	for _, name := range slices.Compact(slices.Sorted(slices.Values(reads.QueryObjects))) {
		if why := l.b.dropsQueryObject(name); why != "" {
			l.warn(loc, "the template reads the query object %s (%s[…]): %s, so it is always empty", name, name, why)
		}
	}
}

// decodesJSON tells whether a backend encoding decodes answers as JSON.
func decodesJSON(encoding string) bool {
	return encoding == "" || encoding == "json" || encoding == "safejson"
}

func (l *backendLint) headerChanges(loc config.Location, changes map[string]config.HeaderValues) {
	if l.b.noOp {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(changes)) {
		if changes[name] != nil && rules.CanonicalHeader(name) != "Content-Type" {
			l.warn(loc.Key(name), "never reaches clients: %s", l.b.notNoOp())
		}
	}
}

func (l *backendLint) status(loc config.Location, status int) {
	if status == 200 || l.b.noOp || l.b.returnsErrorCode {
		return
	}
	l.warn(loc, "clients never see %d: %s; KrakenD answers 200 for a backend's 200 or 201 and its own 500 for anything else (or set return_error_code)", status, l.b.notNoOp())
}

func (l *backendLint) delegateTimeout(loc config.Location, timeout string, d time.Duration, fallback bool) {
	if d < l.b.timeout {
		return
	}
	what := "its 504"
	if fallback {
		what = "its 504 and the fallback for a slow backend"
	}
	l.warn(loc, "%s is not shorter than the endpoint's timeout (%s): KrakenD discards the plugin's answer when that passes, so %s never reach clients", timeout, l.b.timeoutOrigin, what)
}

// delay warns about a rule's delay (a duration, or a range whose end is its
// longest) that the endpoint's timeout cuts short: KrakenD then discards
// the plugin's answer and gives the client its own error.
func (l *backendLint) delay(loc config.Location, delay string, d config.DelayRange) {
	shortest, longest := d.Min, d.Max
	if longest < l.b.timeout {
		return
	}
	const cut = "KrakenD discards the plugin's answer when that passes and answers its own error (an empty 500)"
	if shortest >= l.b.timeout {
		l.warn(loc, "%s is not shorter than the endpoint's timeout (%s): %s, so this rule's answer never reaches clients", delay, l.b.timeoutOrigin, cut)
		return
	}
	l.warn(loc, "%s reaches %s, which is not shorter than the endpoint's timeout (%s): %s to the requests delayed that long instead of this rule's answer", delay, longest, l.b.timeoutOrigin, cut)
}

// isBodyKind tells whether a condition reads the request body.
func isBodyKind(of string) bool {
	switch of {
	case "body", "body_json", "body_text", "form", "multipart", "xpath", "body_xml":
		return true
	}
	return false
}

// onlyBodiless tells whether a rule's methods are all GET or HEAD.
func onlyBodiless(methods []string) bool {
	for _, m := range methods {
		if m = strings.ToUpper(strings.TrimSpace(m)); m != "GET" && m != "HEAD" {
			return false
		}
	}
	return len(methods) > 0
}
