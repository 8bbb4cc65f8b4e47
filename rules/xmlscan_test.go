package rules

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// xmlWellFormed: documents both builders accept, and must build the same.
var xmlWellFormed = []string{
	"<a/>",
	"<a></a>",
	" \n<a>x</a>\n ",
	xpathDoc,
	`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><a b='1' c="2"/>`,
	`<?xml version='1.0' encoding='utf-8'?>` + "\r\n<a/>",
	"<a x='&lt;&gt;&amp;&apos;&quot;' y=\"'\" z='\"'>&#65;&#x42;&#x1F600;&#9;</a>",
	"<a>1<!-- c -->2<?pi data?>3<![CDATA[4<>&]]>5</a>",
	"<a><![CDATA[]]></a>",
	"<a><b/><![CDATA[]]><![CDATA[x]]></a>",
	"<a>\r\n\r<![CDATA[\r\n\r]]>&#13;\n</a>",
	"<a b='x\r\ny\rz&#13;'/>",
	"<a b='\t\n x'/>",
	"<a b=']]>'/>",
	"<a>]] ]>] ]</a>",
	`<a xmlns="urn:d" xmlns:p="urn:p"><p:b p:c="1" c="2"><c xmlns="urn:e"/><d xmlns=""/></p:b><e/></a>`,
	`<p:a xmlns:p="urn:1"><p:b xmlns:p="urn:2"/><p:c/></p:a>`,
	`<q:a q:b="1"><xml:c xml:lang="en"/></q:a>`,
	`<xmlns:a xmlns:b="u"/>`,
	`<a xmlns:p=""><p:b/></a>`,
	`<xmlns/>`,
	`<:a :b="1" c:="2"/>`,
	`<a.b-c_d:e f.g="1"/>`,
	`<a b = "1"c='2'/>`,
	`<a></a >`,
	`<a><b ></b	></a>`,
	"<!DOCTYPE a><a/>",
	`<!-- before --><?pi?><!DOCTYPE a SYSTEM "a.dtd"><a/><!-- after --><?pi after?>`,
	`<!DOCTYPE a PUBLIC "-//A//DTD A 1.0//EN" 'http://a/a.dtd' ><a/>`,
	"<a>&#32;</a>&#32;",
	"<a/><![CDATA[ ]]>",
	"<?xml version='1.0'?><?xml version='1.0'?><a/>",
	"<é ü='ö'>ß</é>",
	"<a>\u00a0</a>\u00a0",
	"<a>" + strings.Repeat("<b c='1'>t</b>", 100) + "</a>",
	"<a><!--->--></a>",
}

// xmlMalformed: documents both builders refuse.
var xmlMalformed = []string{
	"", " ", "text", "<a>", "<a></b>", "<a/><b/>", "<a/>x", "x<a/>", "</a>", "<a></a></a>",
	"<a", "<a b>", "<a b=1/>", "<a b='1/>", "<a b='<'/>", "<a b='1' b='2'/>x", "< a/>", "<a/ >", "<1a/>", "<-a/>",
	"<a:b:c/>", "<a b:c:d='1'/>", "<a>&custom;</a>", "<a>&amp</a>", "<a>& amp;</a>", "<a>&#;</a>", "<a>&#x;</a>", "<a>&#X41;</a>",
	"<a>&#0;</a>", "<a>&#x110000;</a>", "<a>&#99999999999999999999;</a>", "<a>&#xFFFE;</a>", "<a b='&#1;'/>",
	"<a>]]></a>", "<a><!-- -- --></a>", "<a><!-- ---></a>", "<a><!-</a>", "<a><![CDATA[x</a>", "<a><![CDAT[x]]></a>",
	"<a><?</a>", "<a><?pi</a>", "<?xml version='1.1'?><a/>", `<?xml version="1.0" encoding="latin1"?><a/>`,
	"<a>\x00</a>", "<a>\xff</a>", "<a b='\xc3'/>", "<a>\ufffe</a>", "<p:a></q:a>", "<a></a:a>",
	"<a></A>", "<a><b></a></b>", "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>",
}

// xmlStricter: documents encoding/xml accepts but XML 1.0 does not, which
// the scanner refuses (see xmlscan.go): the reason it gives.
var xmlStricter = []struct{ body, reason string }{
	{"<a x='1' x='2'/>", xmlDupAttr},
	{`<a xmlns:p="u" xmlns:q="u" p:x="1" q:x="2"/>`, xmlDupAttr},
	{`<a xmlns:p="u" xmlns:p="v"/>`, xmlDupAttr},
	{`<a xmlns="u" xmlns="u"/>`, xmlDupAttr},
	{"<a>&#xD800;</a>", xmlSurrogate},
	{"<a b='&#57343;'/>", xmlSurrogate},
	{"<a><!-- \x01 --></a>", xmlNotChar},
	{"<a><?pi \xff?></a>", xmlNotChar},
	{"<!DOCTYPE a [<!ENTITY e 'x'>]><a>x</a>", xmlDirective},
	{`<!DOCTYPE a [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><a/>`, xmlDirective},
	{"<!DOCTYPE a><!DOCTYPE a><a/>", xmlDirective},
	{"<a/><!DOCTYPE a>", xmlDirective},
	{"<a><!DOCTYPE a></a>", xmlDirective},
	{"<a><!ENTITY e 'x'></a>", xmlDirective},
	{"<!DOCTYPE a SYSTEM><a/>", xmlDirective},
	{"<!x><a/>", xmlDirective},
}

// compareXML reports how two documents differ, or "".
func compareXML(got, want *xmlDoc) string {
	if len(got.nodes) != len(want.nodes) {
		return fmt.Sprintf("%d nodes, want %d", len(got.nodes), len(want.nodes))
	}
	if string(got.text) != string(want.text) {
		return fmt.Sprintf("text %q, want %q", got.text, want.text)
	}
	for i := range got.nodes {
		g, w := got.nodes[i], want.nodes[i]
		if g.kind != w.kind || g.depth != w.depth || g.parent != w.parent || g.end != w.end ||
			g.textStart != w.textStart || got.value(int32(i)) != want.value(int32(i)) || g.attrEnd-g.attrStart != w.attrEnd-w.attrStart {
			return fmt.Sprintf("node %d: %+v, want %+v", i, g, w)
		}
		if g.kind == xmlElement && got.names[g.name] != want.names[w.name] {
			return fmt.Sprintf("node %d: name %q, want %q", i, got.names[g.name], want.names[w.name])
		}
		for k := range g.attrEnd - g.attrStart {
			ga, wa := got.attrs[g.attrStart+k], want.attrs[w.attrStart+k]
			if got.names[ga.name] != want.names[wa.name] || ga.value != wa.value {
				return fmt.Sprintf("node %d attribute %d: %q=%q, want %q=%q", i, k, got.names[ga.name], ga.value, want.names[wa.name], wa.value)
			}
		}
	}
	return ""
}

// TestXMLScanAgrees: the scanner builds what encoding/xml built, accepts
// and refuses what it did, and refuses what it accepted against XML 1.0.
func TestXMLScanAgrees(t *testing.T) {
	for _, body := range xmlWellFormed {
		want, err := referenceXML([]byte(body), 100, true)
		if err != nil {
			t.Errorf("the reference refuses %q: %v", body, err)
			continue
		}
		got, reason := scanXML([]byte(body), 100)
		if reason != "" {
			t.Errorf("%q refused: %s", body, reason)
			continue
		}
		if diff := compareXML(got, want); diff != "" {
			t.Errorf("%q: %s", body, diff)
		}
	}
	for _, body := range xmlMalformed {
		if _, err := referenceXML([]byte(body), 100, false); err == nil {
			t.Errorf("the reference accepts %q", body)
		}
		if _, reason := scanXML([]byte(body), 100); reason == "" {
			t.Errorf("%q accepted", body)
		}
	}
	for _, tt := range xmlStricter {
		if _, err := referenceXML([]byte(tt.body), 100, false); err != nil {
			t.Errorf("encoding/xml on %q: %v", tt.body, err)
		}
		// A surrogate is the one difference the reference does not check:
		// encoding/xml has already made it U+FFFD.
		if _, err := referenceXML([]byte(tt.body), 100, true); err == nil && tt.reason != xmlSurrogate {
			t.Errorf("the reference with XML 1.0's rules accepts %q", tt.body)
		}
		if _, reason := scanXML([]byte(tt.body), 100); reason != tt.reason {
			t.Errorf("%q: %q, want refused for %q", tt.body, reason, tt.reason)
		}
	}
}

// TestXMLScanDepth: the depth bound counts elements, the root being 1;
// markup in a CDATA section or a comment is not, though the skim that
// sizes the arrays counts it (and then lets them grow).
func TestXMLScanDepth(t *testing.T) {
	inert := "<a><![CDATA[" + strings.Repeat("<b>", 200) + "]]><!--" + strings.Repeat("<b>", 200) + "--><c/></a>"
	if doc, r := scanXML([]byte(inert), 2); r != "" || len(doc.nodes) != 4 || doc.value(0) != strings.Repeat("<b>", 200) {
		t.Errorf("markup in CDATA and a comment: %q", r)
	}
	for _, n := range []int{1, 2, 50} {
		deep := []byte(strings.Repeat("<a>", n) + strings.Repeat("</a>", n))
		if _, r := scanXML(deep, n); r != "" {
			t.Errorf("%d levels within a bound of %d: %s", n, n, r)
		}
		if _, r := scanXML(deep, n-1); r != xmlTooDeep {
			t.Errorf("%d levels within a bound of %d: %q", n, n-1, r)
		}
	}
}

// xmlNameDifference: encoding/xml checks names against XML 1.0's older
// tables of letters, the scanner against the fifth edition's ranges: for
// non-ASCII names the two may disagree on what is a name.
func xmlNameDifference(body string, reason string, refErr error) bool {
	for i := 0; i < len(body); i++ {
		if body[i] >= utf8.RuneSelf {
			return reason == xmlBadName || reason == xmlDirective ||
				refErr != nil && strings.Contains(refErr.Error(), "invalid XML name")
		}
	}
	return false
}

// FuzzXMLScan: on any body the scanner and the encoding/xml reference
// (with XML 1.0's rules where encoding/xml is laxer) both refuse, or both
// accept and build the same document; the only other outcomes are the
// documented ones: a reference to a surrogate (which encoding/xml turns
// into U+FFFD) and non-ASCII names.
func FuzzXMLScan(f *testing.F) {
	for _, b := range xmlWellFormed {
		f.Add(b)
	}
	for _, b := range xmlMalformed {
		f.Add(b)
	}
	for _, tt := range xmlStricter {
		f.Add(tt.body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got, reason := scanXML([]byte(body), 16)
		want, err := referenceXML([]byte(body), 16, true)
		switch {
		case reason == "" && err == nil:
			if diff := compareXML(got, want); diff != "" {
				t.Fatalf("%q: %s", body, diff)
			}
		case reason != "" && err != nil:
		case reason == xmlSurrogate && err == nil:
			if !strings.Contains(string(want.text), "\ufffd") && !strings.Contains(fmt.Sprint(want.attrs), "\ufffd") {
				t.Fatalf("%q: refused for a surrogate, but the reference has no U+FFFD", body)
			}
		case xmlNameDifference(body, reason, err):
		default:
			t.Fatalf("%q: the scanner says %q, the reference %v", body, reason, err)
		}
	})
}

// TestXMLScanMemory: whatever its shape, parsing a body allocates at most
// the factor of its size README.md gives, most of it the document itself
// (a 28-byte node per element or run of text, a 24-byte attribute, 32
// bytes and a hash slot per distinct name); encoding/xml allocated 35 to
// 90 times the body for these shapes.
func TestXMLScanMemory(t *testing.T) {
	const size = 1 << 20
	fill := func(prefix, unit, suffix string) []byte {
		n := (size - len(prefix) - len(suffix)) / len(unit)
		return []byte(prefix + strings.Repeat(unit, n) + suffix)
	}
	distinct := func(prefix, unit, suffix string) []byte {
		var b strings.Builder
		b.WriteString(prefix)
		for i := 0; b.Len() < size-len(suffix)-16; i++ {
			fmt.Fprintf(&b, unit, i)
		}
		b.WriteString(suffix)
		return []byte(b.String())
	}
	shapes := []struct {
		name   string
		body   []byte
		factor float64
	}{
		{"empty elements", fill("<a>", "<b/>", "</a>"), 7.5},
		{"elements with an end tag", fill("<a>", "<b></b>", "</a>"), 4.5},
		{"elements between text", fill("<a>", "x<b/>", "</a>"), 12},
		{"elements with an attribute", fill("<a>", "<b c='1'/>", "</a>"), 5.5},
		{"distinct attribute names", distinct("<a ", "b%x='' ", "/>"), 14.5},
		{"distinct element names", distinct("<a>", "<b%x/>", "</a>"), 14},
		{"repeated attributes", fill("<a><b ", "c='1' ", "/></a>"), 4.5},
		{"deep nesting", fill("<a>", "<b>", ""), 0.5},
		{"not XML: text without markup", fill("", "y", ""), 0.01},
		{"not XML: text around markup", fill("", "y", "<a/>"), 0.01},
		{"one text", fill("<a>", "y", "</a>"), 1.1},
		{"text of references", fill("<a>", "&#x10000;", "</a>"), 1.1},
		{"attribute values of references", fill("<a b='", "&amp;", "'/>"), 1.1},
	}
	for _, s := range shapes {
		t.Run(s.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, reason := scanXML(s.body, 1000)
			runtime.ReadMemStats(&after)
			ratio := float64(after.TotalAlloc-before.TotalAlloc) / float64(len(s.body))
			t.Logf("%d bytes (%q): %.2f× the body allocated", len(s.body), reason, ratio)
			if !raceDetector && ratio > s.factor {
				t.Errorf("parsing a %d-byte body allocated %.1f× its size, want at most %v×", len(s.body), ratio, s.factor)
			}
		})
	}
}
