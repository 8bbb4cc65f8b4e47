package rules

import (
	"krakend-rules/config"
)

// compileBodyKinds compiles the conditions on the body as text, as a form,
// as multipart parts and as XML, recording each in reads.
func compileBodyKinds(errs *config.Errors, loc config.Path, m *config.Match, reads *[]ConditionRead, conds *[]condition) (needs bodyNeeds) {
	read := func(at config.Path, of, name string) {
		*reads = append(*reads, ConditionRead{Location: config.Location{At: at}, Of: of, Name: name})
	}
	compile := func(at config.Path, src string) pattern {
		p, err := compilePattern(valueGlobs, src)
		if err != nil {
			errs.Add(at, "%v", err)
		}
		return p
	}
	if m.BodyText != "" {
		at := loc.Field("body_text")
		read(at, "body_text", "")
		*conds = append(*conds, bodyTextCondition{compile(at, m.BodyText)})
		needs |= needsText
	}
	for _, name := range config.SortedKeys(m.Form) {
		at := loc.Field("form").Key(name)
		read(at, "form", name)
		*conds = append(*conds, formCondition{name: name, pattern: compile(at, m.Form[name])})
		needs |= needsForm
	}
	for _, name := range config.SortedKeys(m.Multipart) {
		at := loc.Field("multipart").Key(name)
		read(at, "multipart", name)
		if name == "" {
			errs.Add(at, "a multipart condition needs a part name")
		}
		part := m.Multipart[name]
		for _, a := range []struct {
			field string
			attr  partAttribute
			src   string
		}{{"value", partValue, part.Value}, {"filename", partFilename, part.Filename}, {"content_type", partContentType, part.ContentType}} {
			if a.src != "" {
				*conds = append(*conds, multipartCondition{name: name, attr: a.attr, pattern: compile(at.Field(a.field), a.src)})
			}
		}
		needs |= needsParts
	}
	for _, src := range config.SortedKeys(m.XPath) {
		at := loc.Field("xpath").Key(src)
		read(at, "xpath", src)
		expr, err := compileXPath(src)
		if err != nil {
			errs.Add(at, "%v", err)
			continue
		}
		*conds = append(*conds, xpathCondition{expr: expr, pattern: compile(at, m.XPath[src])})
		needs |= needsXML
	}
	if m.BodyXML != "" {
		at := loc.Field("body_xml")
		read(at, "body_xml", "")
		doc, ok := parseXML([]byte(m.BodyXML), config.MaxBodyDepthLimit)
		if !ok {
			errs.Add(at, "is not a well-formed XML document with one root element")
		} else {
			*conds = append(*conds, bodyXMLCondition{expected: doc})
		}
		needs |= needsXML
	}
	return needs
}
