package rules

import (
	"bytes"
	"krakend-rules/config"
	"net/http"
	"strconv"
	"strings"
)

// response answers a request from the gateway. Everything static (status,
// headers, an untemplated body and its length) is prepared at load, so a
// static answer only copies prepared values.
type response struct {
	status int

	header    []headerField // static fields, canonical names, ready to assign
	templated []headerText  // fields whose values are templates

	body      []byte   // the static body
	jsonBody  jsonBody // a "body" with templates
	rawBody   int      // index of "body_template"; -1 when none
	templates *templateSet
	log       *logger
}

type headerField struct {
	name   string
	values []string // len == cap: an append by a later handler copies
}

type headerText struct {
	name  string
	value text
}

func compileResponse(errs *config.Errors, loc config.Path, cfg *config.Response, log *logger) *response {
	r := &response{status: cfg.Status, rawBody: -1, templates: newTemplateSet(), log: log}
	hasTemplates := false

	hasContentType := false
	for _, name := range config.SortedKeys(cfg.Headers) {
		canon := headerName(errs, loc.Field("headers").Key(name), name)
		hasContentType = hasContentType || canon == "Content-Type"
		v, err := compileText(r.templates, loc.Field("headers").Key(name), cfg.Headers[name])
		switch {
		case err != nil:
			errs.Add(loc.Field("headers").Key(name), "%v", err)
		case v.template < 0 && controlByte(v.plain) >= 0:
			errs.Add(loc.Field("headers").Key(name), "%v", errControlByte(v.plain))
		case v.template >= 0:
			r.templated = append(r.templated, headerText{name: canon, value: v})
			hasTemplates = true
		default:
			r.header = append(r.header, headerField{name: canon, values: []string{v.plain}})
		}
	}
	if !hasContentType {
		r.header = append(r.header, headerField{name: "Content-Type", values: []string{"application/json"}})
	}

	switch {
	case cfg.BodyFile != "":
		// Like a rules_file: never a file whose reading blocks or never
		// ends, and bounded.
		content, _, _, problem := readConfigFile(cfg.BodyFile, "body_file", config.MaxBodyFileBytes)
		if problem != "" {
			errs.Add(loc.Field("body_file"), "%s", problem)
			break
		}
		if !strings.HasSuffix(cfg.BodyFile, ".tmpl") {
			r.body = content
			break
		}
		i, err := r.templates.add(loc.Field("body_file"), string(content))
		if err != nil {
			errs.Add(loc.Field("body_file"), "%s: %v", cfg.BodyFile, err)
		}
		r.rawBody = i
		hasTemplates = true
	case cfg.HasBodyTemplate:
		i, err := r.templates.add(loc.Field("body_template"), cfg.BodyTemplate)
		if err != nil {
			errs.Add(loc.Field("body_template"), "%v", err)
		}
		r.rawBody = i
		hasTemplates = true
	case cfg.HasBody:
		r.jsonBody = compileJSONBody(errs, r.templates, loc.Field("body"), cfg.Body)
		if body, ok := r.jsonBody.static(); ok {
			r.body = body
		} else {
			hasTemplates = true
		}
	}

	if !bodyAllowed(r.status) && (cfg.HasBody || cfg.HasBodyTemplate || cfg.BodyFile != "") {
		errs.Add(loc.Field("body"), "status %d does not allow a body", r.status)
	}
	if !hasTemplates {
		r.templates = nil
		if bodyAllowed(r.status) {
			r.header = append(r.header, headerField{name: "Content-Length", values: []string{strconv.Itoa(len(r.body))}})
		}
	}
	return r
}

// bodyAllowed tells whether a status may carry a body (RFC 9110: not 1xx,
// 204 or 304), and so a Content-Length.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

func (r *response) serve(w http.ResponseWriter, x *exchange) {
	if r.templates == nil {
		h := w.Header()
		for _, f := range r.header {
			h[f.name] = f.values
		}
		w.WriteHeader(r.status)
		w.Write(r.body)
		return
	}
	r.serveTemplated(w, x)
}

func (r *response) serveTemplated(w http.ResponseWriter, x *exchange) {
	bt := r.templates.bind(x)
	defer r.templates.release(bt)
	body, scratch := getBuffer(), getBuffer()
	defer putBuffer(body)
	defer putBuffer(scratch)

	values := make([]string, len(r.templated))
	for i, t := range r.templated {
		v, err := t.value.render(bt, scratch)
		if err != nil {
			r.fail(w, x, err)
			return
		}
		values[i] = sanitizeHeaderValue(v)
	}
	if err := r.renderBody(bt, body, scratch); err != nil {
		r.fail(w, x, err)
		return
	}

	h := w.Header()
	for _, f := range r.header {
		h[f.name] = f.values
	}
	for i, t := range r.templated {
		h[t.name] = []string{values[i]}
	}
	if bodyAllowed(r.status) {
		h["Content-Length"] = []string{strconv.Itoa(body.Len())}
	}
	w.WriteHeader(r.status)
	w.Write(body.Bytes())
}

// renderBody writes the body for one request into buf.
func (r *response) renderBody(bt *boundTemplates, buf, scratch *bytes.Buffer) error {
	switch {
	case r.rawBody >= 0:
		return bt.execute(buf, r.rawBody)
	case r.body != nil:
		buf.Write(r.body)
		return nil
	default:
		return r.jsonBody.render(bt, buf, scratch)
	}
}

// bodyFor renders only the body, into a new slice (for a shadow
// comparison, which outlives the request's buffers).
func (r *response) bodyFor(x *exchange) ([]byte, error) {
	if r.templates == nil {
		return r.body, nil
	}
	bt := r.templates.bind(x)
	defer r.templates.release(bt)
	scratch := getBuffer()
	defer putBuffer(scratch)
	var buf bytes.Buffer
	err := r.renderBody(bt, &buf, scratch)
	return buf.Bytes(), err
}

func (r *response) fail(w http.ResponseWriter, x *exchange, err error) {
	if stateFailed(w, x, err) {
		r.log.Warning("rule", strconv.Quote(x.ruleName()), "could not render its response to", x.requestLine(), "-", err)
		return
	}
	r.log.Error("rule", strconv.Quote(x.ruleName()), "could not render its response to", x.requestLine(), "-", err)
	x.fail(w, http.StatusInternalServerError, "response template failed")
}
