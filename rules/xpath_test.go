package rules

import (
	"slices"
	"strings"
	"testing"
)

const xpathDoc = `<?xml version="1.0"?>
<!DOCTYPE lib>
<lib xmlns="urn:lib" xmlns:b="urn:book">
  <b:book id="1" lang="en"><title>Go</title><year>2015</year><tag>x</tag><tag>y</tag></b:book>
  <b:book id="2"><title>XML &amp; you</title><year>2001</year><b:book id="3"><title>Nested</title></b:book></b:book>
  <shelf><![CDATA[<raw>]]> text <!-- gone --> more</shelf>
</lib>`

func TestXPath(t *testing.T) {
	doc, ok := parseXML([]byte(xpathDoc), 100)
	if !ok {
		t.Fatal("the test document does not parse")
	}
	tests := []struct {
		expr string
		want []string
	}{
		{"/lib/book/title", []string{"Go", "XML & you"}},
		{"lib/book/title", []string{"Go", "XML & you"}},
		{"//title", []string{"Go", "XML & you", "Nested"}},
		{"//book/@id", []string{"1", "2", "3"}},
		{"//book[@id='3']/title", []string{"Nested"}},
		{"//book[@lang]/year", []string{"2015"}},
		{"/lib/book[2]/year", []string{"2001"}},
		{"/lib/book[last()]/@id", []string{"2"}},
		{"//book[last()]/@id", []string{"2", "3"}},
		{"//book[1]/@id", []string{"1", "3"}},
		{"/lib/book[title='Go']/@id", []string{"1"}},
		{"/lib/book[tag='y'][1]/@id", []string{"1"}},
		{"/lib/book/tag[2]", []string{"y"}},
		{"/lib/book[year][2]/@id", []string{"2"}},
		{"/lib/x:book/title[.='Go']", []string{"Go"}},
		{"/lib/*:book/title", nil}, // "*:" is not in the subset: checked below
		{"/lib/*/title", []string{"Go", "XML & you"}},
		{"/lib/shelf", []string{"<raw> text  more"}},
		{"/lib/shelf/text()", []string{"<raw> text  more"}},
		{"//shelf[text()='<raw> text  more']/..", nil},
		{"/lib/book/title/..", nil},
		{"//title/../@id", []string{"1", "2", "3"}},
		{"/lib/book/.", nil},
		{"//book//title", []string{"Go", "XML & you", "Nested"}},
		{"/lib/book/@*", []string{"1", "en", "2"}},
		{"/", nil},
		{"/nope", []string{}},
		{"//book[@id='9']", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			e, err := compileXPath(tt.expr)
			if tt.expr == "/lib/*:book/title" {
				if err == nil {
					t.Fatal("*:name compiled")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := values(e, doc)
			if tt.want != nil && !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if ref := referenceXPath(e, doc); !slices.Equal(got, ref) {
				t.Errorf("got %q, the reference evaluator %q", got, ref)
			}
		})
	}
}

func values(e *xpathExpr, d *xmlDoc) []string {
	out := []string{}
	e.each(d, func(s string) bool { out = append(out, s); return true })
	return out
}

// referenceXPath evaluates an expression the slow, obvious way: every
// step looks at every node of the document and asks whether it is a child
// (or, after "//", a descendant) of a node of the context.
func referenceXPath(e *xpathExpr, d *xmlDoc) []string {
	in := make([]bool, len(d.nodes))
	in[0] = true
	isAncestorOrSelfIn := func(n int32, set []bool) bool {
		for ; n >= 0; n = d.nodes[n].parent {
			if set[n] {
				return true
			}
		}
		return false
	}
	for _, s := range e.steps {
		ctx := in
		if s.descendant {
			ctx = make([]bool, len(d.nodes))
			for i := range d.nodes {
				if d.nodes[i].kind != xmlText && isAncestorOrSelfIn(int32(i), in) {
					ctx[i] = true
				}
			}
		}
		next := make([]bool, len(d.nodes))
		switch s.axis {
		case axisSelf:
			copy(next, ctx)
		case axisParent:
			for i := range d.nodes {
				if ctx[i] && d.nodes[i].parent >= 0 {
					next[d.nodes[i].parent] = true
				}
			}
		case axisAttribute, axisText:
			var out []string
			for i := range d.nodes {
				n := &d.nodes[i]
				if s.axis == axisAttribute && ctx[i] {
					for _, a := range d.attrs[n.attrStart:n.attrEnd] {
						if s.name == "*" || d.local(a.name) == s.name {
							out = append(out, a.value)
						}
					}
				}
				if s.axis == axisText && n.kind == xmlText && n.parent >= 0 && ctx[n.parent] {
					out = append(out, d.value(int32(i)))
				}
			}
			if out == nil {
				return []string{}
			}
			return out
		case axisChild:
			for p := range d.nodes {
				if !ctx[p] {
					continue
				}
				var kids []int32
				for i := range d.nodes {
					n := &d.nodes[i]
					if n.parent == int32(p) && n.kind == xmlElement && (s.name == "*" || d.local(n.name) == s.name) {
						kids = append(kids, int32(i))
					}
				}
				for _, pr := range s.preds {
					var kept []int32
					for j, k := range kids {
						if d.holds(k, pr, j+1, len(kids)) {
							kept = append(kept, k)
						}
					}
					kids = kept
				}
				for _, k := range kids {
					next[k] = true
				}
			}
		}
		in = next
	}
	out := []string{}
	for i := range d.nodes {
		if in[i] {
			out = append(out, d.value(int32(i)))
		}
	}
	return out
}

// TestXMLBounds: a body nested deeper than the bound is not XML, and one
// within it is; malformed and non-UTF-8 documents are refused.
func TestXMLBounds(t *testing.T) {
	deep := strings.Repeat("<a>", 50) + strings.Repeat("</a>", 50)
	if _, ok := parseXML([]byte(deep), 50); !ok {
		t.Error("50 levels within a bound of 50 refused")
	}
	if _, ok := parseXML([]byte(deep), 49); ok {
		t.Error("50 levels within a bound of 49 accepted")
	}
	for _, bad := range []string{"", "text", "<a>", "<a></b>", "<a/><b/>", "<a/>x", `<?xml version="1.0" encoding="latin1"?><a/>`, "<a>&custom;</a>", "<a x='1' x='2'/>x"} {
		if _, ok := parseXML([]byte(bad), 100); ok {
			t.Errorf("%q parsed as XML", bad)
		}
	}
}

// FuzzXPath: any expression compiles or is refused; a compiled one
// evaluated on any document gives what the reference evaluator gives.
func FuzzXPath(f *testing.F) {
	for _, e := range []string{"/lib/book/title", "//book[@id='3']/title", "//book[last()]/@id", "/a/b[2]/..", "//*[.='x']", "//text()", "a//b[c='1'][1]/@*"} {
		f.Add(e, xpathDoc)
		f.Add(e, "<a><b><c>1</c><b c='1'>x</b></b><b/></a>")
	}
	f.Fuzz(func(t *testing.T, expr, body string) {
		e, err := compileXPath(expr)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "bad XPath ") {
				t.Fatalf("error %q", err)
			}
			return
		}
		doc, ok := parseXML([]byte(body), 64)
		if !ok {
			return
		}
		if got, ref := values(e, doc), referenceXPath(e, doc); !slices.Equal(got, ref) {
			t.Fatalf("%q on %q: got %q, the reference evaluator %q", expr, body, got, ref)
		}
	})
}
