package rules

import (
	"bytes"
	"encoding/xml"
	"io"
)

// referenceXML is the encoding/xml-based builder the scanner replaced,
// kept as the reference xmlscan_test.go compares the scanner with.
// parseXML parses a well-formed XML document with one root element,
// nested at most maxDepth elements deep; ok is false for anything else.
// encoding/xml expands no entity beyond XML's five and resolves nothing
// external, and reads one token at a time, so the work is linear in the
// body; the depth bound stops it early on a hostile nesting.
func referenceXML(body []byte, maxDepth int) (doc *xmlDoc, ok bool) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	// Nearly every node starts at or ends before a "<": sized so, the
	// node array is allocated once instead of doubling.
	doc = &xmlDoc{nodes: make([]xmlNode, 1, bytes.Count(body, []byte("<"))+2), index: map[xmlName]int32{}}
	doc.nodes[0] = xmlNode{kind: xmlDocument, parent: -1}
	stack := []int32{0}
	rootSeen := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false
		}
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) > maxDepth {
				return nil, false
			}
			if top == 0 {
				if rootSeen {
					return nil, false // a second root element
				}
				rootSeen = true
			}
			n := xmlNode{
				kind: xmlElement, depth: int32(len(stack)), parent: top,
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
			doc.nodes[top].textEnd = int32(len(doc.text))
		case xml.CharData:
			if top == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, false // text outside the root element
				}
				continue
			}
			last := &doc.nodes[len(doc.nodes)-1]
			if last.kind == xmlText && last.parent == top {
				// Text split by a comment or processing instruction: one node.
				doc.text = append(doc.text, t...)
				last.textEnd = int32(len(doc.text))
				continue
			}
			start := int32(len(doc.text))
			doc.text = append(doc.text, t...)
			doc.nodes = append(doc.nodes, xmlNode{
				kind: xmlText, depth: int32(len(stack)), parent: top, end: int32(len(doc.nodes) + 1),
				textStart: start, textEnd: int32(len(doc.text)),
			})
		}
	}
	if !rootSeen || len(stack) != 1 {
		return nil, false
	}
	doc.nodes[0].end = int32(len(doc.nodes))
	doc.nodes[0].textEnd = int32(len(doc.text))
	doc.index = nil
	return doc, true
}

