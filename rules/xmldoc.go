package rules

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
)

// xmlDoc is an XML body parsed once for the xpath and body_xml conditions
// and the .XPath template accessor: a flat array of its nodes in document
// order, each element knowing where its subtree ends, and one buffer of
// all its character data, also in document order, so that the text of any
// element (XPath's string-value) is one slice of it, found without a walk.
// It costs memory linear in the body, which max_body_bytes bounds.
type xmlDoc struct {
	nodes []xmlNode // nodes[0] is the document itself
	attrs []xmlAttr
	text  []byte
	names []xmlName         // each distinct name once: a node holds its index
	index map[xmlName]int32 // while parsing
}

// xmlName is a namespace (resolved, not the prefix) and a local name.
type xmlName struct{ space, local string }

type xmlNodeKind uint8

const (
	xmlDocument xmlNodeKind = iota
	xmlElement
	xmlText
)

type xmlNode struct {
	kind               xmlNodeKind
	depth              int32 // the document is 0, its root element 1
	parent             int32 // -1 for the document
	end                int32 // index of the first node after this one's subtree
	name               int32 // an element's name in xmlDoc.names
	attrStart, attrEnd int32 // this element's attributes in xmlDoc.attrs
	textStart, textEnd int32 // this node's text (its subtree's) in xmlDoc.text
}

type xmlAttr struct {
	name  int32 // in xmlDoc.names
	value string
}

// intern returns the index of a name in d.names.
func (d *xmlDoc) intern(space, local string) int32 {
	n := xmlName{space, local}
	if i, ok := d.index[n]; ok {
		return i
	}
	i := int32(len(d.names))
	d.names = append(d.names, n)
	d.index[n] = i
	return i
}

func (d *xmlDoc) local(name int32) string { return d.names[name].local }

// parseXML parses a well-formed XML document with one root element,
// nested at most maxDepth elements deep; ok is false for anything else.
// encoding/xml expands no entity beyond XML's five and resolves nothing
// external, and reads one token at a time, so the work is linear in the
// body; the depth bound stops it early on a hostile nesting.
func parseXML(body []byte, maxDepth int) (doc *xmlDoc, ok bool) {
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

// value is a node's XPath string-value: all the text of its subtree.
func (d *xmlDoc) value(i int32) string {
	n := &d.nodes[i]
	return bytesView(d.text[n.textStart:n.textEnd])
}

// equalXML reports whether two documents are the same ignoring whitespace
// around text (whitespace-only text is dropped), the order of attributes,
// namespace prefixes (names compare by namespace and local name),
// comments and processing instructions. want comes from the
// configuration: the work is linear in got, and quadratic only in the
// attribute count of want's elements.
func equalXML(want, got *xmlDoc) bool {
	i, j := int32(0), int32(0)
	for {
		i, j = want.skipBlank(i), got.skipBlank(j)
		if int(i) == len(want.nodes) || int(j) == len(got.nodes) {
			return int(i) == len(want.nodes) && int(j) == len(got.nodes)
		}
		w, g := &want.nodes[i], &got.nodes[j]
		if w.kind != g.kind || w.depth != g.depth {
			return false
		}
		switch w.kind {
		case xmlText:
			if strings.TrimSpace(want.value(i)) != strings.TrimSpace(got.value(j)) {
				return false
			}
		case xmlElement:
			if want.names[w.name] != got.names[g.name] || !sameAttrs(want, got, w, g) {
				return false
			}
		}
		i, j = i+1, j+1
	}
}

func (d *xmlDoc) skipBlank(i int32) int32 {
	for int(i) < len(d.nodes) && d.nodes[i].kind == xmlText && strings.TrimSpace(d.value(i)) == "" {
		i++
	}
	return i
}

func sameAttrs(wantDoc, gotDoc *xmlDoc, wantNode, gotNode *xmlNode) bool {
	want, got := wantDoc.attrs[wantNode.attrStart:wantNode.attrEnd], gotDoc.attrs[gotNode.attrStart:gotNode.attrEnd]
	if len(want) != len(got) {
		return false
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			if g.value == w.value && gotDoc.names[g.name] == wantDoc.names[w.name] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
