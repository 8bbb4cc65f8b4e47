package rules

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
)

// bodyNeeds says which kinds of body a rule's conditions read, nested ones
// included. A body that is not of a kind the rule needs makes the whole
// rule fail, negated conditions and any/not included, as an unreadable JSON
// body always has: a body that cannot be evaluated never selects a rule.
type bodyNeeds uint8

const (
	needsJSON  bodyNeeds = 1 << iota // body, body_json
	needsText                        // body_text
	needsForm                        // form: urlencoded or multipart
	needsParts                       // multipart
	needsXML                         // xpath, body_xml
)

// bodyMeets reports whether the body is of every kind the rule needs,
// parsing each kind at most once per request.
func (x *exchange) bodyMeets(needs bodyNeeds) bool {
	if needs&needsJSON != 0 && !x.body.evaluable() {
		return false
	}
	if needs&needsText != 0 {
		if _, ok := x.body.text(); !ok {
			return false
		}
	}
	if needs&needsForm != 0 {
		if _, ok := x.form(); !ok {
			return false
		}
	}
	if needs&needsParts != 0 {
		if _, ok := x.multipart(); !ok {
			return false
		}
	}
	if needs&needsXML != 0 {
		if _, ok := x.xml(); !ok {
			return false
		}
	}
	return true
}

// parsedBodies are the request body parsed as a form, as multipart parts
// and as XML: each at most once per request, when first needed.
type parsedBodies struct {
	formDone, partsDone, xmlDone bool
	formOK, partsOK, xmlOK       bool
	form                         url.Values
	parts                        []formPart
	xml                          *xmlDoc
}

// maxFormFields is the most fields a form body may have and be evaluated
// net/url's own limit in the Go releases that have one (1.24.12, 1.25.6
// and later), applied with every Go, so that a rule decides the same
// whatever the gateway was built with.
const maxFormFields = 10000

// formPart is one part of a multipart body.
type formPart struct {
	name, filename, contentType, value string
	hasContentType                     bool
}

// mediaType returns the request's media type, lower-cased, and its
// parameters; "" when there is no valid Content-Type.
func (x *exchange) mediaType() (string, map[string]string) {
	ct := x.req.Header["Content-Type"]
	if len(ct) == 0 {
		return "", nil
	}
	mt, params, err := mime.ParseMediaType(ct[0])
	if err != nil {
		return "", nil
	}
	return mt, params
}

// form returns the fields of an application/x-www-form-urlencoded body,
// or the parts without a file name of a multipart/form-data one.
func (x *exchange) form() (url.Values, bool) {
	p := &x.bodies
	if p.formDone {
		return p.form, p.formOK
	}
	p.formDone = true
	mt, _ := x.mediaType()
	switch {
	case mt == "application/x-www-form-urlencoded":
		body, ok := x.body.text()
		if !ok || bytes.Count(body, []byte("&")) >= maxFormFields {
			return nil, false
		}
		// Malformed pairs are skipped, as in a query string. Values without
		// escapes lie in the body's buffer, which nothing writes to while
		// the request is handled.
		p.form, _ = url.ParseQuery(bytesView(body))
		p.formOK = true
	case strings.HasPrefix(mt, "multipart/"):
		parts, ok := x.multipart()
		if !ok {
			return nil, false
		}
		p.form = url.Values{}
		for _, part := range parts {
			if part.filename == "" {
				p.form[part.name] = append(p.form[part.name], part.value)
			}
		}
		p.formOK = true
	}
	return p.form, p.formOK
}

// multipart returns the parts of a multipart body (multipart/form-data or
// any multipart/* with a boundary). They are read from the body already
// read and bounded, so the parts cannot hold more than the body's size.
func (x *exchange) multipart() ([]formPart, bool) {
	p := &x.bodies
	if p.partsDone {
		return p.parts, p.partsOK
	}
	p.partsDone = true
	mt, params := x.mediaType()
	if !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return nil, false
	}
	body, ok := x.body.text()
	if !ok {
		return nil, false
	}
	r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var parts []formPart
	var value bytes.Buffer // one buffer for every part's value
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil || len(parts) == maxFormFields {
			return nil, false // more parts than a form has fields: not evaluated
		}
		value.Reset()
		if _, err := value.ReadFrom(part); err != nil {
			return nil, false
		}
		ct, hasCT := part.Header["Content-Type"]
		fp := formPart{name: part.FormName(), filename: part.FileName(), value: value.String(), hasContentType: hasCT && len(ct) > 0}
		if fp.hasContentType {
			fp.contentType = ct[0]
		}
		parts = append(parts, fp)
	}
	p.parts, p.partsOK = parts, true
	return parts, true
}

// xml returns the body parsed as XML, nested at most max_body_deep deep.
func (x *exchange) xml() (*xmlDoc, bool) {
	p := &x.bodies
	if p.xmlDone {
		return p.xml, p.xmlOK
	}
	p.xmlDone = true
	body, ok := x.body.text()
	if !ok || len(body) == 0 {
		return nil, false
	}
	p.xml, p.xmlOK = parseXML(body, x.body.maxDepth)
	return p.xml, p.xmlOK
}

// bodyTextCondition is a pattern on the whole body as text.
type bodyTextCondition struct{ pattern }

func (c bodyTextCondition) holds(x *exchange) bool {
	body, ok := x.body.text()
	return ok && c.matchOne(bytesView(body))
}

// formCondition is a pattern on the values of one form field.
type formCondition struct {
	name string
	pattern
}

func (c formCondition) holds(x *exchange) bool {
	f, ok := x.form()
	return ok && c.matchAny(f[c.name])
}

// partAttribute is what a multipart condition looks at in a part.
type partAttribute uint8

const (
	partValue partAttribute = iota
	partFilename
	partContentType
)

// multipartCondition is a pattern on one attribute of the parts of one
// name: like a query parameter's values, some part must match, or, negated,
// none may (a part without the attribute has no value for it).
type multipartCondition struct {
	name string
	attr partAttribute
	pattern
}

func (c multipartCondition) holds(x *exchange) bool {
	parts, ok := x.multipart()
	if !ok {
		return false
	}
	for i := range parts {
		part := &parts[i]
		if part.name != c.name {
			continue
		}
		var v string
		switch c.attr {
		case partValue:
			v = part.value
		case partFilename:
			if part.filename == "" {
				continue
			}
			v = part.filename
		case partContentType:
			if !part.hasContentType {
				continue
			}
			v = part.contentType
		}
		if c.match(v) {
			return !c.negate
		}
	}
	return c.negate
}

// xpathCondition is a pattern on the text of the nodes an XPath selects in
// the XML body, like a gjson path's values in body.
type xpathCondition struct {
	expr *xpathExpr
	pattern
}

func (c xpathCondition) holds(x *exchange) bool {
	doc, ok := x.xml()
	if !ok {
		return false
	}
	// Nested elements each carry all of their descendants' text: //item
	// over <item> nested a thousand deep around 1 MiB of text would hand
	// the pattern a GiB (a regexp took 31 s). Past xpathValueFactor times
	// the body, the selection is not evaluated and the condition does not
	// hold, negated or not.
	body, _ := x.body.text()
	budget := xpathValueFactor*len(body) + 4096
	matched, over := false, false
	c.expr.each(doc, func(v string) bool {
		if budget -= len(v); budget < 0 {
			over = true
			return false
		}
		matched = c.match(v)
		return !matched
	})
	return !over && matched != c.negate
}

// xpathValueFactor bounds the text an xpath condition's pattern reads, as a
// multiple of the body: a flat selection reads at most the body once.
const xpathValueFactor = 8

// bodyXMLCondition holds when the XML body equals the expected document.
type bodyXMLCondition struct{ expected *xmlDoc }

func (c bodyXMLCondition) holds(x *exchange) bool {
	doc, ok := x.xml()
	return ok && equalXML(c.expected, doc)
}
