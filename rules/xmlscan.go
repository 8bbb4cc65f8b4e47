package rules

import (
	"bytes"
	"math"
	"strings"
	"unicode/utf8"
)

// The XML scanner: one pass over the body's bytes that builds the xmlDoc
// directly, without a token per construct. What it allocates is the
// document itself (its nodes, attributes, text and names) and little else:
// names and the attribute values that need no decoding are views of the
// body (which nothing writes to while the document is used), names are
// interned in a seeded open-addressing table (xmlDoc.intern), the arrays
// are sized by a skim of the body first (xmlSizes) instead of growing, and
// namespace scopes are a stack of bindings with one map, made at the first
// declaration, from a prefix to the binding in force. Each byte is looked
// at a bounded number of times: the work is linear. The attribute values
// that need decoding share one buffer; the node, attribute and name
// arrays keep the layout xpath.go reads.
//
// It accepts what Go's encoding/xml accepts in its strict mode (the
// decoder this replaces; xmlscan_test.go compares the two), except where
// encoding/xml is laxer than XML 1.0, where the scanner is stricter: a
// document must be valid UTF-8 of XML characters throughout (comments and
// processing instructions included), no element may repeat an attribute
// (by qualified or by expanded name), a character reference must name a
// character (not a surrogate), and the only declaration allowed is one
// DOCTYPE before the root element, of a name and at most an external id,
// which is skipped: one with an internal subset ("[") is refused, so no
// entity is ever declared or expanded. Names follow XML 1.0's fifth
// edition (encoding/xml uses the older tables). Where encoding/xml is laxer
// and the scanner keeps its behaviour (so that no body that matched before
// stops matching): an unbound prefix stands for itself, attributes need no
// whitespace between them, a processing instruction may come anywhere
// (an XML declaration included, whose version must be 1.0 and encoding
// UTF-8), and outside the root element any text, CDATA or reference that
// decodes to white space (as bytes.TrimSpace has it) is allowed.

// Reasons a body is not XML; tests tell the documented differences from
// encoding/xml by them.
const (
	xmlNotChar     = "not XML characters"
	xmlBadSyntax   = "bad syntax"
	xmlBadName     = "bad name"
	xmlBadRef      = "bad reference"
	xmlSurrogate   = "reference to a surrogate"
	xmlDupAttr     = "repeated attribute"
	xmlMismatch    = "mismatched end tag"
	xmlUnclosed    = "unclosed element"
	xmlTooDeep     = "too deep"
	xmlNoRoot      = "no root element"
	xmlSecondRoot  = "second root element"
	xmlOutsideRoot = "text outside the root element"
	xmlDeclaration = "unsupported XML declaration"
	xmlDirective   = "declaration other than a simple DOCTYPE"
)

const xmlNamespaceURL = "http://www.w3.org/XML/1998/namespace"

type xmlScanner struct {
	src      []byte
	pos      int
	doc      *xmlDoc
	maxDepth int
	stack    []xmlOpen
	bindings []xmlBinding
	scope    map[string]int32 // a prefix to its binding in force, made at the first declaration
	seen     []int32          // by name: 1 + the last element that had it as an attribute
	elements int32
	vals     []byte // attribute values that had to be decoded
	root     bool   // the root element was seen
	doctype  bool
}

type xmlOpen struct {
	node     int32
	name     string // qualified, as written
	bindings int32  // len(bindings) before this element's declarations
}

type xmlBinding struct {
	prefix, uri string
	prev        int32 // the binding of the same prefix it hides, or -1
}

// scanXML parses body, which must not change while the document is used:
// the document's names and many of its values are views of it. reason is
// empty when body is one well-formed XML document, nested at most maxDepth
// elements deep.
func scanXML(body []byte, maxDepth int) (doc *xmlDoc, reason string) {
	if !xmlChars(body) {
		return nil, xmlNotChar
	}
	maxDepth = min(maxDepth, math.MaxUint16) // xmlNode.depth
	nodes, attrs, text := xmlSizes(body, maxDepth)
	doc = &xmlDoc{nodes: make([]xmlNode, 1, max(nodes, 1)), attrs: make([]xmlAttr, 0, attrs), text: make([]byte, 0, text)}
	doc.nodes[0] = xmlNode{kind: xmlDocument, parent: -1}
	s := &xmlScanner{src: body, doc: doc, maxDepth: maxDepth, stack: make([]xmlOpen, 1, 16)}
	for s.pos < len(s.src) {
		var r string
		if s.src[s.pos] != '<' {
			r = s.text()
		} else {
			r = s.markup()
		}
		if r != "" {
			return nil, r
		}
	}
	switch {
	case len(s.stack) != 1:
		return nil, xmlUnclosed
	case !s.root:
		return nil, xmlNoRoot
	}
	doc.nodes[0].end = int32(len(doc.nodes))
	doc.index = nil
	return doc, ""
}

// xmlChars reports whether b is UTF-8 of XML 1.0 characters only.
func xmlChars(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}

// xmlSizes estimates the document's size: its nodes (a node per start
// tag, per run of text and per CDATA section), attributes (a quoted value
// in a start tag) and text, so that each array is allocated once (append
// would grow a large one by a quarter at a time, allocating five times
// its size in all). It skims: it looks for the markup's delimiters only.
// It returns 0 nodes, to allocate as the scan goes, when the document
// seems deeper than maxDepth: the scan will stop early, and pay only for
// the nodes before.
func xmlSizes(b []byte, maxDepth int) (nodes, attrs, text int) {
	nodes = 2
	depth := 0
	skip := func(i int, end string) int {
		if k := bytes.Index(b[i:], []byte(end)); k >= 0 {
			return i + k + len(end)
		}
		return len(b)
	}
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return nodes, attrs, text // what follows the last markup is outside the root
		}
		if j > 0 && i > 0 { // and what comes before the first
			nodes, text = nodes+1, text+j
		}
		i += j + 1
		rest := b[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("!--")):
			i = skip(i+3, "-->")
		case bytes.HasPrefix(rest, []byte("![CDATA[")):
			start := i + 8
			i = skip(start, "]]>")
			nodes, text = nodes+1, text+i-start
		case bytes.HasPrefix(rest, []byte("?")):
			i = skip(i+1, "?>")
		case bytes.HasPrefix(rest, []byte("/")):
			depth--
			i = skip(i, ">")
		case bytes.HasPrefix(rest, []byte("!")):
			i = skip(i, ">")
		default:
			nodes++
			for i < len(b) {
				k := bytes.IndexAny(b[i:], `'">`)
				if k < 0 {
					return nodes, attrs, text
				}
				i += k + 1
				if c := b[i-1]; c != '>' {
					attrs++
					i = skip(i, string(c))
					continue
				}
				if b[i-2] != '/' {
					if depth++; depth > maxDepth {
						return 0, attrs, text
					}
				}
				break
			}
		}
	}
	return nodes, attrs, text
}

// text reads character data up to the next "<" or the end.
func (s *xmlScanner) text() string {
	if s.stack[len(s.stack)-1].node == 0 {
		// Outside the root element: white space, not copied unless it has
		// references (decoded, as encoding/xml did, before the check).
		raw := s.src[s.pos:]
		if end := bytes.IndexByte(raw, '<'); end >= 0 {
			raw = raw[:end]
		}
		if bytes.IndexByte(raw, '&') < 0 {
			if len(bytes.TrimSpace(raw)) > 0 {
				return xmlOutsideRoot
			}
			s.pos += len(raw)
			return ""
		}
	}
	start := len(s.doc.text)
	for s.pos < len(s.src) && s.src[s.pos] != '<' {
		i := s.pos
		for i < len(s.src) && !xmlTextSpecial[s.src[i]] {
			i++
		}
		s.doc.text = append(s.doc.text, s.src[s.pos:i]...)
		s.pos = i
		if i == len(s.src) {
			break
		}
		switch s.src[i] {
		case '<':
		case '&':
			if r := s.reference(&s.doc.text); r != "" {
				return r
			}
		case '\r':
			s.doc.text = append(s.doc.text, '\n')
			s.pos++
			if s.pos < len(s.src) && s.src[s.pos] == '\n' {
				s.pos++
			}
		case ']':
			if bytes.HasPrefix(s.src[i:], []byte("]]>")) {
				return xmlBadSyntax
			}
			s.doc.text = append(s.doc.text, ']')
			s.pos++
		}
	}
	return s.charData(start, false)
}

var xmlTextSpecial = [256]bool{'<': true, '&': true, '\r': true, ']': true}

// charData makes the text from start on in doc.text a text node, or adds
// it to the text node just before it (split by a comment, a processing
// instruction or a CDATA section). Outside the root element it must be
// white space, and is dropped.
func (s *xmlScanner) charData(start int, cdata bool) string {
	d := s.doc
	top := s.stack[len(s.stack)-1].node
	if top == 0 {
		if len(bytes.TrimSpace(d.text[start:])) > 0 {
			return xmlOutsideRoot
		}
		d.text = d.text[:start]
		return ""
	}
	last := &d.nodes[len(d.nodes)-1]
	if last.kind == xmlText && last.parent == top {
		return "" // its text runs on to the next node's
	}
	if start == len(d.text) && !cdata {
		return ""
	}
	d.nodes = append(doubled(d.nodes), xmlNode{
		kind: xmlText, depth: uint16(len(s.stack)), parent: top, end: int32(len(d.nodes) + 1),
		textStart: int32(start),
	})
	return ""
}

// reference decodes the reference at s.pos (at its "&") onto out.
func (s *xmlScanner) reference(out *[]byte) string {
	rest := s.src[s.pos+1:]
	semi := bytes.IndexByte(rest, ';')
	if semi < 0 {
		return xmlBadRef
	}
	ref := rest[:semi]
	s.pos += semi + 2
	if len(ref) > 0 && ref[0] == '#' {
		digits, base := ref[1:], rune(10)
		if len(digits) > 0 && digits[0] == 'x' {
			digits, base = digits[1:], 16
		}
		if len(digits) == 0 {
			return xmlBadRef
		}
		var r rune
		for _, c := range digits {
			var v rune
			switch {
			case '0' <= c && c <= '9':
				v = rune(c - '0')
			case base == 16 && 'a' <= c && c <= 'f':
				v = rune(c-'a') + 10
			case base == 16 && 'A' <= c && c <= 'F':
				v = rune(c-'A') + 10
			default:
				return xmlBadRef
			}
			if r = r*base + v; r > utf8.MaxRune {
				return xmlBadRef
			}
		}
		if 0xD800 <= r && r <= 0xDFFF {
			return xmlSurrogate
		}
		if !xmlChar(r) {
			return xmlBadRef
		}
		*out = utf8.AppendRune(*out, r)
		return ""
	}
	var c byte
	switch string(ref) {
	case "lt":
		c = '<'
	case "gt":
		c = '>'
	case "amp":
		c = '&'
	case "apos":
		c = '\''
	case "quot":
		c = '"'
	default:
		return xmlBadRef
	}
	*out = append(*out, c)
	return ""
}

func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// markup reads what starts at the "<" at s.pos.
func (s *xmlScanner) markup() string {
	rest := s.src[s.pos:]
	switch {
	case len(rest) < 2:
		return xmlBadSyntax
	case rest[1] == '/':
		return s.endTag()
	case rest[1] == '?':
		return s.instruction()
	case bytes.HasPrefix(rest, []byte("<!--")):
		// The first "--" must end the comment.
		i := bytes.Index(rest[4:], []byte("--"))
		if i < 0 || 4+i+2 >= len(rest) || rest[4+i+2] != '>' {
			return xmlBadSyntax
		}
		s.pos += 4 + i + 3
		return ""
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		i := bytes.Index(rest[9:], []byte("]]>"))
		if i < 0 {
			return xmlBadSyntax
		}
		start := len(s.doc.text)
		s.doc.text = appendNewlines(s.doc.text, rest[9:9+i])
		s.pos += 9 + i + 3
		return s.charData(start, true)
	case rest[1] == '!':
		return s.doctypeDecl()
	}
	return s.startTag()
}

// appendNewlines appends b with "\r\n" and "\r" as "\n".
func appendNewlines(out, b []byte) []byte {
	for {
		i := bytes.IndexByte(b, '\r')
		if i < 0 {
			return append(out, b...)
		}
		out = append(append(out, b[:i]...), '\n')
		b = b[i+1:]
		if len(b) > 0 && b[0] == '\n' {
			b = b[1:]
		}
	}
}

// name reads a name at s.pos.
func (s *xmlScanner) name() (string, bool) {
	start := s.pos
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		if c < utf8.RuneSelf {
			if !xmlNameByte[c] || s.pos == start && ('0' <= c && c <= '9' || c == '-' || c == '.') {
				break
			}
			s.pos++
			continue
		}
		r, n := utf8.DecodeRune(s.src[s.pos:])
		if !xmlNameRune(r, s.pos == start) {
			break
		}
		s.pos += n
	}
	if s.pos == start {
		return "", false
	}
	return bytesView(s.src[start:s.pos]), true
}

var xmlNameByte = func() (t [128]bool) {
	for c := 0; c < 128; c++ {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == ':' || c == '.' || c == '-'
	}
	return t
}()

// xmlNameRune: a NameStartChar (first) or NameChar of XML 1.0, fifth
// edition, beyond ASCII.
func xmlNameRune(r rune, first bool) bool {
	switch {
	case 0xC0 <= r && r <= 0xD6, 0xD8 <= r && r <= 0xF6, 0xF8 <= r && r <= 0x2FF,
		0x370 <= r && r <= 0x37D, 0x37F <= r && r <= 0x1FFF, 0x200C <= r && r <= 0x200D,
		0x2070 <= r && r <= 0x218F, 0x2C00 <= r && r <= 0x2FEF, 0x3001 <= r && r <= 0xD7FF,
		0xF900 <= r && r <= 0xFDCF, 0xFDF0 <= r && r <= 0xFFFD, 0x10000 <= r && r <= 0xEFFFF:
		return true
	case r == 0xB7, 0x300 <= r && r <= 0x36F, 0x203F <= r && r <= 0x2040:
		return !first
	}
	return false
}

// qname reads a qualified name: prefix and local part as encoding/xml
// splits them (a name with more than one colon is refused; one with an
// empty prefix or local part is all local).
func (s *xmlScanner) qname() (qname, prefix, local string, reason string) {
	n, ok := s.name()
	if !ok {
		return "", "", "", xmlBadName
	}
	i := strings.IndexByte(n, ':')
	switch {
	case i < 0 || i == 0 || i == len(n)-1:
		if i >= 0 && strings.Count(n, ":") > 1 {
			return "", "", "", xmlBadName
		}
		return n, "", n, ""
	case strings.IndexByte(n[i+1:], ':') >= 0:
		return "", "", "", xmlBadName
	}
	return n, n[:i], n[i+1:], ""
}

func (s *xmlScanner) space() bool {
	start := s.pos
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
			continue
		}
		break
	}
	return s.pos > start
}

// instruction skips a processing instruction, checking an XML
// declaration's version and encoding as encoding/xml does.
func (s *xmlScanner) instruction() string {
	s.pos += 2
	target, ok := s.name()
	if !ok {
		return xmlBadName
	}
	s.space()
	end := bytes.Index(s.src[s.pos:], []byte("?>"))
	if end < 0 {
		return xmlBadSyntax
	}
	content := bytesView(s.src[s.pos : s.pos+end])
	s.pos += end + 2
	if target == "xml" {
		if v := xmlDeclParam("version=", content); v != "" && v != "1.0" {
			return xmlDeclaration
		}
		if e := xmlDeclParam("encoding=", content); e != "" && !strings.EqualFold(e, "utf-8") {
			return xmlDeclaration
		}
	}
	return ""
}

// xmlDeclParam is encoding/xml's procInst: the value of param (with its
// "=") in an XML declaration, or "".
func xmlDeclParam(param, s string) string {
	lenp := len(param)
	i := 0
	var sep byte
	for i < len(s) {
		sub := s[i:]
		k := strings.Index(sub, param)
		if k < 0 || lenp+k >= len(sub) {
			return ""
		}
		i += lenp + k + 1
		if c := sub[lenp+k]; c == '\'' || c == '"' {
			sep = c
			break
		}
	}
	if sep == 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], sep)
	if j < 0 {
		return ""
	}
	return s[i : i+j]
}

// doctypeDecl skips <!DOCTYPE name>, with an optional external id, before
// the root element; any other declaration, or an internal subset, is
// refused.
func (s *xmlScanner) doctypeDecl() string {
	if s.root || s.doctype || !bytes.HasPrefix(s.src[s.pos:], []byte("<!DOCTYPE")) {
		return xmlDirective
	}
	s.doctype = true
	s.pos += len("<!DOCTYPE")
	if !s.space() {
		return xmlDirective
	}
	if _, ok := s.name(); !ok {
		return xmlDirective
	}
	if s.space() {
		rest := s.src[s.pos:]
		switch {
		case bytes.HasPrefix(rest, []byte("SYSTEM")):
			s.pos += len("SYSTEM")
			if !s.space() || !s.literal(false) {
				return xmlDirective
			}
		case bytes.HasPrefix(rest, []byte("PUBLIC")):
			s.pos += len("PUBLIC")
			if !s.space() || !s.literal(true) || !s.space() || !s.literal(false) {
				return xmlDirective
			}
		}
		s.space()
	}
	if s.pos >= len(s.src) || s.src[s.pos] != '>' {
		return xmlDirective // an internal subset among others
	}
	s.pos++
	return ""
}

// literal skips a quoted system literal, or a public id literal.
func (s *xmlScanner) literal(pubid bool) bool {
	if s.pos >= len(s.src) || s.src[s.pos] != '"' && s.src[s.pos] != '\'' {
		return false
	}
	q := s.src[s.pos]
	end := bytes.IndexByte(s.src[s.pos+1:], q)
	if end < 0 {
		return false
	}
	if pubid {
		for _, c := range s.src[s.pos+1 : s.pos+1+end] {
			if c >= utf8.RuneSelf || !xmlPubidByte[c] {
				return false
			}
		}
	}
	s.pos += end + 2
	return true
}

var xmlPubidByte = func() (t [128]bool) {
	for c := 0; c < 128; c++ {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(" \r\n-'()+,./:=?;!*#@$_%", byte(c)) >= 0
	}
	return t
}()

// startTag reads a start tag or an empty element. Its attributes go
// straight into doc.attrs, each holding where its name starts in the body
// until the element's declarations are known and the names resolved: no
// scratch space.
func (s *xmlScanner) startTag() string {
	d := s.doc
	top := s.stack[len(s.stack)-1].node
	if len(s.stack) > s.maxDepth {
		return xmlTooDeep
	}
	if top == 0 {
		if s.root {
			return xmlSecondRoot
		}
		s.root = true
	}
	s.pos++
	qname, prefix, local, r := s.qname()
	if r != "" {
		return r
	}
	mark, attrStart := int32(len(s.bindings)), len(d.attrs)
	empty := false
	for {
		s.space()
		if s.pos >= len(s.src) {
			return xmlUnclosed
		}
		if c := s.src[s.pos]; c == '>' {
			s.pos++
			break
		} else if c == '/' {
			if s.pos+1 >= len(s.src) || s.src[s.pos+1] != '>' {
				return xmlBadSyntax
			}
			s.pos += 2
			empty = true
			break
		}
		nameAt := s.pos
		_, ap, al, r := s.qname()
		if r != "" {
			return r
		}
		s.space()
		if s.pos >= len(s.src) || s.src[s.pos] != '=' {
			return xmlBadSyntax
		}
		s.pos++
		s.space()
		v, r := s.attrValue()
		if r != "" {
			return r
		}
		switch {
		case ap == "xmlns":
			if !s.bind(mark, al, v) {
				return xmlDupAttr
			}
		case ap == "" && al == "xmlns":
			if !s.bind(mark, "", v) {
				return xmlDupAttr
			}
		default:
			d.attrs = append(doubled(d.attrs), xmlAttr{name: int32(nameAt), value: v})
		}
	}
	// The declarations apply to the element's own name and to its other
	// attributes, wherever they stand.
	s.elements++
	end := s.pos
	for i := attrStart; i < len(d.attrs); i++ {
		s.pos = int(d.attrs[i].name)
		_, ap, al, _ := s.qname()
		name := d.intern(s.resolve(ap, al, false), al)
		for len(s.seen) <= int(name) {
			s.seen = append(doubled(s.seen), 0)
		}
		if s.seen[name] == s.elements {
			return xmlDupAttr
		}
		s.seen[name] = s.elements
		d.attrs[i].name = name
	}
	s.pos = end
	node := int32(len(d.nodes))
	d.nodes = append(doubled(d.nodes), xmlNode{
		kind: xmlElement, depth: uint16(len(s.stack)), parent: top,
		name:      d.intern(s.resolve(prefix, local, true), local),
		attrStart: int32(attrStart), attrEnd: int32(len(d.attrs)), textStart: int32(len(d.text)),
	})
	s.stack = append(s.stack, xmlOpen{node: node, name: qname, bindings: mark})
	if empty {
		s.close()
	}
	return ""
}

// attrValue reads a quoted attribute value: a view of the body when it
// needs no decoding.
func (s *xmlScanner) attrValue() (string, string) {
	if s.pos >= len(s.src) || s.src[s.pos] != '"' && s.src[s.pos] != '\'' {
		return "", xmlBadSyntax
	}
	q := s.src[s.pos]
	s.pos++
	start := s.pos
	plain := true
	end := s.pos
	for ; ; end++ {
		if end >= len(s.src) {
			return "", xmlUnclosed
		}
		c := s.src[end]
		if c == q {
			if plain {
				s.pos = end + 1
				return bytesView(s.src[start:end]), ""
			}
			break
		}
		switch c {
		case '<':
			return "", xmlBadSyntax
		case '&', '\r':
			plain = false
		}
	}
	// Decode into s.vals, never rewritten: earlier values stay valid views
	// even when it grows into a new array, which it does before a value
	// (decoded, no longer than in the body), doubling.
	if need := len(s.vals) + end - start; need > cap(s.vals) {
		s.vals = append(make([]byte, 0, max(2*cap(s.vals), need)), s.vals...)
	}
	from := len(s.vals)
	for {
		c := s.src[s.pos]
		switch c {
		case q:
			s.pos++
			return bytesView(s.vals[from:]), ""
		case '&':
			if r := s.reference(&s.vals); r != "" {
				return "", r
			}
			continue
		case '\r':
			c = '\n'
			if s.pos+1 < len(s.src) && s.src[s.pos+1] == '\n' {
				s.pos++
			}
		}
		s.vals = append(s.vals, c)
		s.pos++
	}
}

// bind declares a prefix ("" for the default namespace) within the
// element being opened, whose declarations start at mark in s.bindings;
// false if the element declared it already.
func (s *xmlScanner) bind(mark int32, prefix, uri string) bool {
	if s.scope == nil {
		s.scope = map[string]int32{}
	}
	prev, ok := s.scope[prefix]
	if !ok {
		prev = -1
	} else if prev >= mark {
		return false
	}
	s.scope[prefix] = int32(len(s.bindings))
	s.bindings = append(s.bindings, xmlBinding{prefix: prefix, uri: uri, prev: prev})
	return true
}

// resolve is encoding/xml's translate: the namespace a prefix stands for.
func (s *xmlScanner) resolve(prefix, local string, element bool) string {
	switch {
	case prefix == "xmlns":
		return prefix
	case prefix == "" && !element:
		return ""
	case prefix == "xml":
		return xmlNamespaceURL
	case prefix == "" && local == "xmlns":
		return ""
	}
	if s.scope != nil {
		if b, ok := s.scope[prefix]; ok {
			return s.bindings[b].uri
		}
	}
	return prefix // an unbound prefix stands for itself; no prefix for none
}

// endTag reads an end tag, which must close the innermost open element.
func (s *xmlScanner) endTag() string {
	s.pos += 2
	qname, _, _, r := s.qname()
	if r != "" {
		return r
	}
	s.space()
	if s.pos >= len(s.src) || s.src[s.pos] != '>' {
		return xmlBadSyntax
	}
	s.pos++
	if len(s.stack) == 1 || s.stack[len(s.stack)-1].name != qname {
		return xmlMismatch
	}
	s.close()
	return ""
}

// close ends the innermost open element and the scope of its declarations.
func (s *xmlScanner) close() {
	open := s.stack[len(s.stack)-1]
	s.stack = s.stack[:len(s.stack)-1]
	s.doc.nodes[open.node].end = int32(len(s.doc.nodes))
	for i := len(s.bindings) - 1; i >= int(open.bindings); i-- {
		b := s.bindings[i]
		if b.prev < 0 {
			delete(s.scope, b.prefix)
		} else {
			s.scope[b.prefix] = b.prev
		}
	}
	s.bindings = s.bindings[:open.bindings]
}
