package rules

import (
	"strconv"
	"strings"
)

// What the conditions on non-JSON bodies say about themselves in an
// explanation (see explainer): the condition as written, and what the
// request had, or why its body could not be read as that kind.

// bodyKindProblem says why a body is not of the kinds a rule reads, or ""
// when it is.
func bodyKindProblem(x *exchange, needs bodyNeeds) string {
	mt, _ := x.mediaType()
	kind := func(what string) string {
		if mt == "" {
			return "is not " + what + " (no Content-Type)"
		}
		return "is not " + what + " (Content-Type " + strconv.Quote(mt) + ")"
	}
	switch {
	case needs&needsJSON != 0 && !x.body.evaluable():
		return bodyProblem(x)
	case needs&(needsText|needsForm|needsParts|needsXML) != 0 && !x.textReadable():
		return "is longer than max_body_bytes"
	case needs&needsForm != 0 && !x.formReadable():
		return kind("a form")
	case needs&needsParts != 0 && !x.partsReadable():
		return kind("a multipart body")
	case needs&needsXML != 0 && !x.xmlReadable():
		return "is not XML, or nests deeper than max_body_depth"
	}
	return ""
}

func (x *exchange) textReadable() bool  { _, ok := x.body.text(); return ok }
func (x *exchange) formReadable() bool  { _, ok := x.form(); return ok }
func (x *exchange) partsReadable() bool { _, ok := x.multipart(); return ok }
func (x *exchange) xmlReadable() bool   { _, ok := x.xml(); return ok }

func (c bodyTextCondition) explain(x *exchange) (string, string) {
	what := "body_text " + strconv.Quote(c.src)
	body, ok := x.body.text()
	if !ok {
		return what, "a body that is longer than max_body_bytes"
	}
	return what, strconv.Quote(clip(string(body)))
}

func (c formCondition) explain(x *exchange) (string, string) {
	what := "form." + c.name + " " + strconv.Quote(c.src)
	f, ok := x.form()
	if !ok {
		return what, "a body that " + bodyKindProblem(x, needsForm)
	}
	return what, quoteValues(f[c.name])
}

func (c multipartCondition) explain(x *exchange) (string, string) {
	attr := [...]string{partValue: "value", partFilename: "filename", partContentType: "content_type"}[c.attr]
	what := "multipart." + c.name + "." + attr + " " + strconv.Quote(c.src)
	parts, ok := x.multipart()
	if !ok {
		return what, "a body that " + bodyKindProblem(x, needsParts)
	}
	var saw []string
	for i := range parts {
		p := &parts[i]
		if p.name != c.name {
			continue
		}
		switch c.attr {
		case partValue:
			saw = append(saw, p.value)
		case partFilename:
			if p.filename != "" {
				saw = append(saw, p.filename)
			}
		case partContentType:
			if p.hasContentType {
				saw = append(saw, p.contentType)
			}
		}
	}
	return what, quoteValues(saw)
}

func (c xpathCondition) explain(x *exchange) (string, string) {
	what := "xpath " + c.expr.src + " " + strconv.Quote(c.src)
	doc, ok := x.xml()
	if !ok {
		return what, "a body that " + bodyKindProblem(x, needsXML)
	}
	var saw []string
	c.expr.each(doc, func(v string) bool {
		saw = append(saw, v)
		return len(saw) < 10
	})
	return what, quoteValues(saw)
}

func (c bodyXMLCondition) explain(x *exchange) (string, string) {
	body, ok := x.body.text()
	if _, isXML := x.xml(); !ok || !isXML {
		return "body_xml", "a body that " + bodyKindProblem(x, needsXML)
	}
	return "body_xml", strconv.Quote(clip(strings.TrimSpace(string(body))))
}
