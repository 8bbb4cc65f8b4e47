package rules

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"unicode/utf8"
)

// referenceXML is the encoding/xml-based builder the scanner replaced,
// kept as the reference xmlscan_test.go compares the scanner with. With
// spec set, it adds the checks where the scanner is deliberately stricter
// than encoding/xml (see xmlscan.go): XML characters throughout, no
// repeated attribute, no declaration but one simple DOCTYPE before the
// root element. Without, it is the old parseXML exactly.
func referenceXML(body []byte, maxDepth int, spec bool) (doc *xmlDoc, err error) {
	if spec && !referenceChars(body) {
		return nil, errors.New("not XML characters")
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	doc = &xmlDoc{nodes: make([]xmlNode, 1, bytes.Count(body, []byte("<"))+2)}
	doc.nodes[0] = xmlNode{kind: xmlDocument, parent: -1}
	stack := []int32{0}
	rootSeen, doctypeSeen := false, false
	for {
		before := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.Directive:
			if !spec {
				continue
			}
			if rootSeen || doctypeSeen || !referenceDoctype.Match(body[before:d.InputOffset()]) {
				return nil, errors.New("declaration other than a simple DOCTYPE")
			}
			doctypeSeen = true
		case xml.StartElement:
			if len(stack) > maxDepth {
				return nil, errors.New("too deep")
			}
			if top == 0 {
				if rootSeen {
					return nil, errors.New("a second root element")
				}
				rootSeen = true
			}
			if spec {
				for i, a := range t.Attr {
					for _, b := range t.Attr[:i] {
						// A declaration's name is not an attribute's (its
						// namespace is not the prefix xmlns).
						if a.Name == b.Name && (a.Name.Space == "xmlns") == (b.Name.Space == "xmlns") {
							return nil, errors.New("repeated attribute")
						}
					}
				}
			}
			n := xmlNode{
				kind: xmlElement, depth: uint16(len(stack)), parent: top,
				name:      doc.intern(t.Name.Space, t.Name.Local),
				attrStart: int32(len(doc.attrs)), textStart: int32(len(doc.text)),
			}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
					continue // a namespace declaration, not an attribute
				}
				doc.attrs = append(doc.attrs, xmlAttr{name: doc.intern(a.Name.Space, a.Name.Local), value: a.Value})
			}
			n.attrEnd = int32(len(doc.attrs))
			stack = append(stack, int32(len(doc.nodes)))
			doc.nodes = append(doc.nodes, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			doc.nodes[top].end = int32(len(doc.nodes))
		case xml.CharData:
			if top == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, errors.New("text outside the root element")
				}
				continue
			}
			last := &doc.nodes[len(doc.nodes)-1]
			if last.kind == xmlText && last.parent == top {
				doc.text = append(doc.text, t...)
				continue
			}
			start := int32(len(doc.text))
			doc.text = append(doc.text, t...)
			doc.nodes = append(doc.nodes, xmlNode{
				kind: xmlText, depth: uint16(len(stack)), parent: top, end: int32(len(doc.nodes) + 1),
				textStart: start,
			})
		}
	}
	if !rootSeen || len(stack) != 1 {
		return nil, errors.New("no root element, or one unclosed")
	}
	doc.nodes[0].end = int32(len(doc.nodes))
	doc.index = nil
	return doc, nil
}

// referenceDoctype: <!DOCTYPE name>, with at most an external id (XML
// 1.0, production doctypedecl without intSubset). Names are approximated.
var referenceDoctype = regexp.MustCompile(`^<!DOCTYPE[ \t\r\n]+[A-Za-z_:\x{80}-\x{10FFFF}][-A-Za-z0-9_:.\x{80}-\x{10FFFF}]*` +
	`([ \t\r\n]+(SYSTEM[ \t\r\n]+("[^"]*"|'[^']*')|PUBLIC[ \t\r\n]+("[-a-zA-Z0-9 \r\n'()+,./:=?;!*#@$_%]*"|'[-a-zA-Z0-9 \r\n()+,./:=?;!*#@$_%]*')[ \t\r\n]+("[^"]*"|'[^']*')))?` +
	`[ \t\r\n]*>$`)

// referenceChars: XML 1.0's Char production over the whole document.
func referenceChars(body []byte) bool {
	if !utf8.Valid(body) {
		return false
	}
	for _, r := range string(body) {
		if !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
			r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return false
		}
	}
	return true
}
