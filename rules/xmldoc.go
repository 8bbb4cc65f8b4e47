package rules

import (
	"hash/maphash"
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
	names []xmlName // each distinct name once: a node holds its index
	index []int32   // while parsing: a hash table of 1 + indexes in names
}

// xmlName is a namespace (resolved, not the prefix) and a local name.
type xmlName struct{ space, local string }

type xmlNodeKind uint8

const (
	xmlDocument xmlNodeKind = iota
	xmlElement
	xmlText
)

// xmlNode is 28 bytes: a document of empty elements has one per 4 bytes
// of body. Where a node's text ends is where the node after its subtree
// starts its own, so it is not stored.
type xmlNode struct {
	kind               xmlNodeKind
	depth              uint16 // the document is 0, its root element 1; max_body_depth is at most 10 000
	parent             int32  // -1 for the document
	end                int32  // index of the first node after this one's subtree
	name               int32  // an element's name in xmlDoc.names
	attrStart, attrEnd int32  // this element's attributes in xmlDoc.attrs
	textStart          int32  // this node's text (its subtree's) in xmlDoc.text, up to textEnd
}

// textEnd is where the text of node i's subtree ends in d.text.
func (d *xmlDoc) textEnd(i int32) int32 {
	if e := d.nodes[i].end; int(e) < len(d.nodes) {
		return d.nodes[e].textStart
	}
	return int32(len(d.text))
}

type xmlAttr struct {
	name  int32 // in xmlDoc.names
	value string
}

// xmlSeed seeds the names' hashes: a client cannot choose names that
// collide.
var xmlSeed = maphash.MakeSeed()

// intern returns the index of a name in d.names. Its table is open
// addressing on 4-byte slots, at most half full: a Go map would cost
// several times as much per distinct name, which a hostile body chooses.
func (d *xmlDoc) intern(space, local string) int32 {
	if 2*len(d.names) >= len(d.index) {
		d.index = make([]int32, max(2*len(d.index), 16))
		for i, n := range d.names {
			d.index[d.slot(n.space, n.local)] = int32(i) + 1
		}
	}
	j := d.slot(space, local)
	if d.index[j] != 0 {
		return d.index[j] - 1
	}
	i := int32(len(d.names))
	d.names = append(doubled(d.names), xmlName{space, local})
	d.index[j] = i + 1
	return i
}

// slot is where a name is in d.index, or where it goes.
func (d *xmlDoc) slot(space, local string) int {
	h := maphash.String(xmlSeed, local)
	if space != "" {
		h ^= maphash.String(xmlSeed, space) * 0x9E3779B97F4A7C15
	}
	mask := uint64(len(d.index) - 1)
	for j := h & mask; ; j = (j + 1) & mask {
		if k := d.index[j]; k == 0 || d.names[k-1] == (xmlName{space, local}) {
			return int(j)
		}
	}
}

// doubled returns s, or a copy of it with twice the capacity when it is
// full: append grows a large slice by a quarter, allocating five times
// its final size along the way; doubling allocates at most twice.
func doubled[T any](s []T) []T {
	if len(s) < cap(s) {
		return s
	}
	c := make([]T, len(s), max(2*cap(s), 8))
	copy(c, s)
	return c
}

func (d *xmlDoc) local(name int32) string { return d.names[name].local }

// parseXML parses a well-formed XML document with one root element,
// nested at most maxDepth elements deep; ok is false for anything else.
// It is one pass over the bytes (xmlscan.go) that expands no entity beyond
// XML's five and resolves nothing external: linear work, and memory a
// small multiple of the body, which the document's names and values view
// (body must not change while the document is used).
func parseXML(body []byte, maxDepth int) (doc *xmlDoc, ok bool) {
	doc, reason := scanXML(body, maxDepth)
	return doc, reason == ""
}

// value is a node's XPath string-value: all the text of its subtree.
func (d *xmlDoc) value(i int32) string {
	return bytesView(d.text[d.nodes[i].textStart:d.textEnd(i)])
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
