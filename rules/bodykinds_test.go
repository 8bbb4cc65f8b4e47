package rules

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

const formType = "application/x-www-form-urlencoded"

// multipartBody builds a multipart/form-data body: fields, then one file.
func multipartBody(t testing.TB, fields map[string]string, fileField, fileName, fileType, content string) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, k := range []string{"title", "count", "note"} {
		if v, ok := fields[k]; ok {
			if err := w.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if fileField != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+fileField+`"; filename="`+fileName+`"`)
		if fileType != "" {
			h.Set("Content-Type", fileType)
		}
		part, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		part.Write([]byte(content))
	}
	w.Close()
	return buf.String(), w.FormDataContentType()
}

// TestBodyKindMatch runs one rule with a single match against requests, as
// TestMatch does, for the conditions on bodies that are not JSON and for
// comparisons.
func TestBodyKindMatch(t *testing.T) {
	backend := echoBackend(t)
	mp, mpType := multipartBody(t, map[string]string{"title": "Hello world", "count": "7"}, "avatar", "me.png", "image/png", "PNGDATA")
	mpNoType, mpNoTypeCT := multipartBody(t, map[string]string{"title": "x"}, "doc", "a.txt", "", "text")
	form := http.Header{"Content-Type": {formType}}
	order := `<?xml version="1.0"?>
<o:order xmlns:o="urn:orders" id="17" status="open">
  <o:item sku="A1"><qty>2</qty></o:item>
  <o:item sku="B2"><qty>5</qty></o:item>
  <note>rush <!-- c --> please</note>
</o:order>`
	xmlH := http.Header{"Content-Type": {"application/xml"}}
	past := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	future := time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
	tests := []struct {
		name   string
		match  string
		header http.Header
		body   string
		want   bool
	}{
		{"body_text contains with a glob", `{"body_text":"*order-42*"}`, nil, "the order-42 is here", true},
		{"body_text glob covers the whole body", `{"body_text":"order-42"}`, nil, "the order-42 is here", false},
		{"body_text regexp", `{"body_text":"~order-[0-9]+"}`, nil, "x order-9 y", true},
		{"body_text negated", `{"body_text":"!*secret*"}`, nil, "nothing to see", true},
		{"body_text negated fails on a match", `{"body_text":"!*secret*"}`, nil, "a secret", false},
		{"body_text case-insensitive equality", `{"body_text":"i:HELLO"}`, nil, "hello", true},
		{"body_text sees non-JSON bodies over lines", `{"body_text":"*line two*"}`, nil, "line one\nline two\n", true},
		{"body_text on an empty body", `{"body_text":"!?*"}`, nil, "", true},

		{"a form field matches", `{"form":{"user":"ann*"}}`, form, "user=anna&role=admin", true},
		{"a form field is unescaped", `{"form":{"q":"a b&c"}}`, form, "q=a+b%26c", true},
		{"a form field presence", `{"form":{"role":"*"}}`, form, "user=anna&role=", true},
		{"a form field absence", `{"form":{"role":"!*"}}`, form, "user=anna", true},
		{"a form field absence fails when present", `{"form":{"role":"!*"}}`, form, "role=x", false},
		{"any form value may match", `{"form":{"tag":"b"}}`, form, "tag=a&tag=b", true},
		{"a form condition fails on a JSON body, negated too", `{"form":{"role":"!*"}}`, http.Header{"Content-Type": {"application/json"}}, `{"a":1}`, false},
		{"a form condition fails without Content-Type", `{"form":{"user":"*"}}`, nil, "user=anna", false},
		{"a form condition inside not fails the rule on a wrong body", `{"not":{"form":{"user":"x"}}}`, nil, "user=anna", false},
		{"form reads multipart fields", `{"form":{"title":"Hello*","count":"num:>5"}}`, http.Header{"Content-Type": {mpType}}, mp, true},
		{"form skips multipart files", `{"form":{"avatar":"!*"}}`, http.Header{"Content-Type": {mpType}}, mp, true},

		{"a multipart file name", `{"multipart":{"avatar":{"filename":"*.png","content_type":"image/*"}}}`, http.Header{"Content-Type": {mpType}}, mp, true},
		{"a multipart file content", `{"multipart":{"avatar":{"value":"PNG*"}}}`, http.Header{"Content-Type": {mpType}}, mp, true},
		{"a multipart wrong file name", `{"multipart":{"avatar":{"filename":"*.jpg"}}}`, http.Header{"Content-Type": {mpType}}, mp, false},
		{"a multipart field value", `{"multipart":{"title":{"value":"~world$"}}}`, http.Header{"Content-Type": {mpType}}, mp, true},
		{"a field has no file name", `{"multipart":{"title":{"filename":"!*"}}}`, http.Header{"Content-Type": {mpType}}, mp, true},
		{"a part without Content-Type has none", `{"multipart":{"doc":{"content_type":"!*"}}}`, http.Header{"Content-Type": {mpNoTypeCT}}, mpNoType, true},
		{"a missing part", `{"multipart":{"nope":{"value":"*"}}}`, http.Header{"Content-Type": {mpType}}, mp, false},
		{"multipart fails on a form body", `{"multipart":{"user":{"value":"!*"}}}`, form, "user=x", false},
		{"multipart fails on a truncated body", `{"multipart":{"title":{"value":"*"}}}`, http.Header{"Content-Type": {mpType}}, mp[:len(mp)/2], false},

		{"an xpath on an element", `{"xpath":{"/order/note":"rush*please"}}`, xmlH, order, true},
		{"an xpath on an attribute", `{"xpath":{"/order/@id":"17"}}`, xmlH, order, true},
		{"an xpath with prefixes by local name", `{"xpath":{"/x:order/x:item[@sku='B2']/qty":"5"}}`, xmlH, order, true},
		{"an xpath with a position", `{"xpath":{"//item[1]/@sku":"A1"}}`, xmlH, order, true},
		{"an xpath with last()", `{"xpath":{"//item[last()]/@sku":"B2"}}`, xmlH, order, true},
		{"an xpath with a child predicate", `{"xpath":{"//item[qty='5']/@sku":"B2"}}`, xmlH, order, true},
		{"an xpath with a comparison", `{"xpath":{"//qty":"num:>=5"}}`, xmlH, order, true},
		{"an xpath comparison on every node", `{"xpath":{"//qty":"!num:>5"}}`, xmlH, order, true},
		{"an xpath that selects nothing", `{"xpath":{"/order/missing":"*"}}`, xmlH, order, false},
		{"an xpath absence", `{"xpath":{"/order/missing":"!*"}}`, xmlH, order, true},
		{"a relative xpath starts at the document", `{"xpath":{"order/item/qty":"2"}}`, xmlH, order, true},
		{"an xpath fails on a non-XML body, negated too", `{"xpath":{"/a":"!*"}}`, nil, `{"a":1}`, false},
		{"an xpath fails on malformed XML", `{"xpath":{"/a":"*"}}`, nil, `<a><b></a>`, false},
		{"an xpath fails on two roots", `{"xpath":{"/a":"*"}}`, nil, `<a/><a/>`, false},
		{"an xpath text()", `{"xpath":{"/order/item/qty/text()":"2"}}`, xmlH, order, true},

		{"body_xml ignores whitespace, attribute order and prefixes", `{"body_xml":"<p:order xmlns:p=\"urn:orders\" status=\"open\" id=\"17\"><p:item sku=\"A1\"><qty>2</qty></p:item><p:item sku=\"B2\"><qty>5</qty></p:item><note>rush  please</note></p:order>"}`, xmlH, order, true},
		{"body_xml differs on a value", `{"body_xml":"<order xmlns=\"urn:orders\" id=\"18\" status=\"open\"/>"}`, xmlH, order, false},
		{"body_xml differs on a namespace", `{"body_xml":"<a xmlns=\"urn:x\"><b>1</b></a>"}`, nil, `<a xmlns="urn:y"><b>1</b></a>`, false},
		{"body_xml equal with a default namespace", `{"body_xml":"<a xmlns=\"urn:x\"><b> 1 </b></a>"}`, nil, "<x:a xmlns:x=\"urn:x\">\n  <x:b>1</x:b>\n</x:a>", true},
		{"body_xml differs on structure", `{"body_xml":"<a><b>1</b></a>"}`, nil, `<a><b>1</b><b/></a>`, false},

		{"a numeric header comparison", `{"headers":{"X-Count":"num:>=10"}}`, http.Header{"X-Count": {"12"}}, "", true},
		{"a numeric header comparison fails", `{"headers":{"X-Count":"num:>=10"}}`, http.Header{"X-Count": {"9.5"}}, "", false},
		{"a number that is not one", `{"headers":{"X-Count":"num:>=10"}}`, http.Header{"X-Count": {"lots"}}, "", false},
		{"a numeric range", `{"headers":{"X-Count":"num:10..20"}}`, http.Header{"X-Count": {"20"}}, "", true},
		{"a negated range", `{"headers":{"X-Count":"!num:10..20"}}`, http.Header{"X-Count": {"21"}}, "", true},
		{"a length", `{"headers":{"X-Code":"len:<=3"}}`, http.Header{"X-Code": {"äbc"}}, "", true},
		{"a length range", `{"headers":{"X-Code":"len:4..8"}}`, http.Header{"X-Code": {"abc"}}, "", false},
		{"a time after an offset", `{"headers":{"X-At":"time:>now-1h"}}`, http.Header{"X-At": {future}}, "", true},
		{"a time before an offset", `{"headers":{"X-At":"time:<now-1h"}}`, http.Header{"X-At": {past}}, "", true},
		{"a time after an absolute time", `{"headers":{"X-At":"time:>2030-01-01T00:00:00Z"}}`, http.Header{"X-At": {past}}, "", false},
		{"a time window", `{"headers":{"X-At":"time:now-3h..now"}}`, http.Header{"X-At": {past}}, "", true},
		{"a time that is not one", `{"headers":{"X-At":"time:>now-1h"}}`, http.Header{"X-At": {"yesterday"}}, "", false},
		{"case-insensitive equality", `{"headers":{"X-Tenant":"i:ACME"}}`, http.Header{"X-Tenant": {"Acme"}}, "", true},
		{"case-insensitive equality is whole", `{"headers":{"X-Tenant":"i:ACME"}}`, http.Header{"X-Tenant": {"Acme-eu"}}, "", false},
		{"an escaped prefix is a glob", `{"headers":{"X-Tenant":"\\i:acme"}}`, http.Header{"X-Tenant": {"i:acme"}}, "", true},
		{"a query comparison", `{"query":{"page":"num:<3"}}`, nil, "", false},
		{"a JSON body comparison", `{"body":{"total":"num:>100"}}`, nil, `{"total":150.5}`, true},
		{"a JSON body comparison on array elements", `{"body":{"items.#.qty":"num:>=5"}}`, nil, `{"items":[{"qty":1},{"qty":5}]}`, true},
		{"a cookie comparison", `{"cookies":{"v":"num:2..3"}}`, http.Header{"Cookie": {"v=3"}}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, `{"rules":[{"name":"r","match":`+tt.match+`,"response":{"status":418}}]}`, nil)
			res, body := serve(e, backendRequest(t, "POST", backend.URL+"/x?page=5", tt.body, tt.header))
			matched := res.StatusCode == http.StatusTeapot
			if matched != tt.want {
				t.Fatalf("matched = %v, want %v (status %d, body %s)", matched, tt.want, res.StatusCode, body)
			}
			if !matched {
				if got := decodeEcho(t, body); got.Body != tt.body {
					t.Errorf("the backend got body %q, want %q", got.Body, tt.body)
				}
			}
		})
	}
}

// TestBodyKindConfigErrors: bad comparisons, XPaths outside the subset and
// malformed XML are located configuration errors.
func TestBodyKindConfigErrors(t *testing.T) {
	tests := []struct{ match, want string }{
		{`{"headers":{"X-N":"num:>=ten"}}`, `rules[0].match.headers["X-N"]: bad comparison "num:>=ten": "ten" is not a number`},
		{`{"query":{"n":"!num:5..1"}}`, `rules[0].match.query["n"]: bad comparison "!num:5..1": the range "5..1" is empty`},
		{`{"cookies":{"n":"len:-1"}}`, `rules[0].match.cookies["n"]: bad comparison "len:-1": "-1" is not a length`},
		{`{"body":{"at":"time:<tomorrow"}}`, `rules[0].match.body["at"]: bad comparison "time:<tomorrow": "tomorrow" is not a time`},
		{`{"form":{"at":"time:<now-1y"}}`, `rules[0].match.form["at"]: bad comparison "time:<now-1y"`},
		{`{"path":"len:5"}`, `rules[0].match.path: bad pattern "len:5": a comparison does not apply to a path`},
		{`{"xpath":{"count(//a)":"1"}}`, `rules[0].match.xpath["count(//a)"]: bad XPath "count(//a)": at 0: unsupported function count()`},
		{`{"xpath":{"/a | /b":"1"}}`, `bad XPath "/a | /b": at 3: unsupported union (|)`},
		{`{"xpath":{"/child::a":"1"}}`, `unsupported axis child::`},
		{`{"xpath":{"/a[@b!='c']":"1"}}`, `unsupported operator != in a predicate`},
		{`{"xpath":{"/a/@b/c":"1"}}`, `@attr and text() must be the last step`},
		{`{"xpath":{"/a[b/c='1']":"1"}}`, `unsupported path inside a predicate`},
		{`{"xpath":{"/a[0]":"1"}}`, `a position is a whole number from 1`},
		{`{"xpath":{"/a[@b='1' and @c='2']":"1"}}`, `unsupported boolean operator and in a predicate`},
		{`{"xpath":{"/a/android()":"1"}}`, `unsupported function android()`},
		{`{"xpath":{"$x/a":"1"}}`, `unsupported variable ($)`},
		{`{"xpath":{"":"1"}}`, `the expression is empty`},
		{`{"xpath":{"/a":"num:x"}}`, `rules[0].match.xpath["/a"]: bad comparison`},
		{`{"body_xml":"<a><b></a>"}`, `rules[0].match.body_xml: is not a well-formed XML document`},
		{`{"multipart":{"f":{}}}`, `rules[0].match.multipart["f"]: must set value, filename or content_type`},
		{`{"multipart":{"f":{"name":"x"}}}`, `rules[0].match.multipart["f"].name: unknown field`},
		{`{"multipart":{"f":{"filename":"num:x"}}}`, `rules[0].match.multipart["f"].filename: bad comparison`},
		{`{"body_text":""}`, `rules[0].match.body_text: must not be empty`},
		{`{"multipart":{"":{"value":"x"}}}`, `rules[0].match.multipart[""]: a multipart condition needs a part name`},
	}
	for _, tt := range tests {
		t.Run(tt.match, func(t *testing.T) {
			_, err := New(nil, decodeJSON(t, `{"rules":[{"match":`+tt.match+`,"response":{}}]}`), Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestBodyTemplateAccessors: .Form.Get, .Form.Values, .XPath and
// .BodyText read the body in templates; a body of another kind gives "".
func TestBodyTemplateAccessors(t *testing.T) {
	mp, mpType := multipartBody(t, map[string]string{"title": "Hi", "note": "n"}, "f", "a.txt", "text/plain", "file")
	tests := []struct {
		name, template string
		header         http.Header
		body, want     string
	}{
		{"a form field", `{{ .Form.Get "user" }}`, http.Header{"Content-Type": {formType}}, "user=ann+b&x=1", "ann b"},
		{"form values", `{{ range .Form.Values "t" }}[{{ . }}]{{ end }}`, http.Header{"Content-Type": {formType}}, "t=1&t=2", "[1][2]"},
		{"a multipart field", `{{ .Form.Get "title" }}/{{ .Form.Get "f" }}`, http.Header{"Content-Type": {mpType}}, mp, "Hi/"},
		{"a form field of another body", `{{ .Form.Get "user" }}`, nil, `user=ann`, ""},
		{"an xpath", `{{ .XPath "/order/@id" }}-{{ .XPath "//item[2]" }}`, nil, `<order id="7"><item>a</item><item>b</item></order>`, "7-b"},
		{"an xpath inside range", `{{ range .Form.Values "t" }}{{ $.XPath "/a" }}{{ end }}`, nil, `<a>1</a>`, ""},
		{"an xpath of another body", `[{{ .XPath "/a" }}]`, nil, `{"a":1}`, "[]"},
		{"the body as text", `{{ .BodyText }}`, nil, "plain \xff text", "plain \uFFFD text"},
		{"a computed xpath", `{{ .XPath (printf "/order/item[%d]" 2) }}`, nil, `<order id="7"><item>a</item><item>b</item></order>`, "b"},
		// before, each of a computed expression's 1 000 steps was a pass
		// over the document: 6 s on a 1 MiB body
		{"a computed xpath of too many steps", `{{ .XPath (repeat 9 "//a/..") }}`, nil, `<a/>`, `{"error":"response template failed","rule":"r"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, `{"rules":[{"name":"r","response":{"body_template":`+jsonString(tt.template)+`}}]}`, nil)
			_, got := serve(e, backendRequest(t, "POST", "http://backend/x", tt.body, tt.header))
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	_, err := New(nil, decodeJSON(t, `{"rules":[{"response":{"body_template":"{{ .XPath \"sum(/a)\" }}"}}]}`), Options{})
	if err == nil || !strings.Contains(err.Error(), `rules[0].response.body_template: bad template "{{ .XPath \"sum(/a)\" }}": bad XPath "sum(/a)": at 0: unsupported function sum()`) {
		t.Errorf("a bad XPath literal in a template gives %v", err)
	}
}

// TestTemplateReadsOfBodies: what templates read of bodies is recorded
// for the linter.
func TestTemplateReadsOfBodies(t *testing.T) {
	checked, err := Check(decodeJSON(t, `{"rules":[{"response":{"body_template":"{{ .Form.Get \"a\" }}{{ .XPath \"/x\" }}{{ .BodyText }}"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	reads := checked.Templates[0].Reads
	if !slices.Equal(reads.Form, []string{"a"}) || !slices.Equal(reads.XPath, []string{"/x"}) || !reads.BodyText {
		t.Errorf("reads = %+v", reads)
	}
	checked, err = Check(decodeJSON(t, `{"rules":[{"match":{"form":{"a":"*"},"xpath":{"/x":"1"},"body_text":"*","body_xml":"<a/>","multipart":{"f":{"value":"*"}}},"response":{}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range checked.Conditions {
		got = append(got, c.Of+":"+c.Name+"@"+c.At.String())
	}
	want := []string{`body_text:@rules[0].match.body_text`, `form:a@rules[0].match.form["a"]`, `multipart:f@rules[0].match.multipart["f"]`, `xpath:/x@rules[0].match.xpath["/x"]`, `body_xml:@rules[0].match.body_xml`}
	if !slices.Equal(got, want) {
		t.Errorf("conditions = %q, want %q", got, want)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// FuzzBodies: any Content-Type and body against rules on forms, multipart
// parts, XML and text never panics, and the backend gets the body intact.
func FuzzBodies(f *testing.F) {
	mp, mpType := multipartBody(f, map[string]string{"title": "t"}, "f", "a.png", "image/png", "x")
	f.Add(mpType, []byte(mp))
	f.Add(formType, []byte("a=1&b=%zz&c"))
	f.Add("application/xml", []byte(`<a x="1"><b>2</b><b>3</b></a>`))
	f.Add("multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--"))
	e := newEngine(f, `{"max_body_depth": 32, "rules":[
		{"name":"form","match":{"form":{"a":"num:>=1","title":"*"}},"response":{"body_template":"{{ .Form.Get \"a\" }}"}},
		{"name":"parts","match":{"multipart":{"f":{"filename":"*.png","content_type":"!text/*"}}},"response":{}},
		{"name":"xpath","match":{"xpath":{"//b[last()]":"num:>2","/a/@x":"*"}},"response":{"body_template":"{{ .XPath \"//b[1]\" }}"}},
		{"name":"xml","match":{"not":{"body_xml":"<a x='1'><b>2</b></a>"}},"response":{}},
		{"name":"text","match":{"body_text":"~(?s)^.{0,3}$"},"response":{"body_template":"{{ .BodyText }}"}}]}`, nil)
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		req := &http.Request{
			Method: "POST", URL: &url.URL{Scheme: "http", Host: "backend.invalid", Path: "/"},
			Header: http.Header{"Content-Type": {contentType}}, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		}
		x := &exchange{}
		x.reset(req, e.bodyLimits)
		if r := e.current.Load().find(x); r != nil {
			var buf bytes.Buffer
			if a, ok := x.set.actionOf(r).(interface{ templateSets() []*templateSet }); ok {
				for _, s := range a.templateSets() {
					if s == nil || len(s.names) == 0 {
						continue
					}
					bt := s.bind(x)
					bt.execute(&buf, 0)
					s.release(bt)
				}
			}
		}
		replayed := []byte{}
		if rc := x.body.replay(); rc != nil {
			replayed, _ = io.ReadAll(rc)
		}
		if !bytes.Equal(replayed, body) {
			t.Fatalf("the backend would get %q instead of %q", replayed, body)
		}
	})
}

// TestFormFieldLimit: a form with more than maxFormFields fields is not
// evaluated, whatever Go built the gateway.
func TestFormFieldLimit(t *testing.T) {
	e := newEngine(t, `{"rules":[{"match":{"form":{"a":"1"}},"response":{"status":418}}]}`, nil)
	for _, tt := range []struct {
		fields int
		want   int
	}{{maxFormFields, 418}, {maxFormFields + 1, 200}} {
		body := "a=1" + strings.Repeat("&b=", tt.fields-1)
		req := backendRequest(t, "POST", "http://backend.invalid/", body, http.Header{"Content-Type": {formType}})
		res, _ := serve(e, req)
		if tt.want == 418 && res.StatusCode != 418 || tt.want != 418 && res.StatusCode == 418 {
			t.Errorf("%d fields: status %d", tt.fields, res.StatusCode)
		}
	}
}

// TestMultipartPartLimit: a multipart body of more parts than a form has
// fields is not evaluated, as a form of too many fields: before, a body of
// empty parts ("--x\r\n\r\n\r\n"…) allocated 125× its size.
func TestMultipartPartLimit(t *testing.T) {
	e := newEngine(t, `{"rules":[{"match":{"multipart":{"a":{"value":"1"}}},"response":{"status":418}}]}`, nil)
	for _, tt := range []struct {
		parts int
		want  int
	}{{maxFormFields, 418}, {maxFormFields + 1, 200}} {
		body := "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n" + strings.Repeat("--x\r\n\r\n\r\n", tt.parts-1) + "--x--\r\n"
		req := backendRequest(t, "POST", "http://backend.invalid/", body, http.Header{"Content-Type": {"multipart/form-data; boundary=x"}})
		res, _ := serve(e, req)
		if tt.want == 418 && res.StatusCode != 418 || tt.want != 418 && res.StatusCode == 418 {
			t.Errorf("%d parts: status %d", tt.parts, res.StatusCode)
		}
	}
}

// TestXPathNestedSelectionIsBounded: an expression selecting elements
// nested in each other reads each one's text, all of its descendants'
// text included: before, //item over <item> nested 990 deep around 1 MiB
// of text handed the pattern about a GiB (31 s for the regexp ~[xz]q).
// Past 8× the body the condition does not hold, negated or not.
func TestXPathNestedSelectionIsBounded(t *testing.T) {
	e := newEngine(t, `{"max_body_bytes":1048576,"rules":[
		{"name":"none","match":{"xpath":{"//item":"!*zzz*"}},"response":{"status":418}},
		{"name":"regexp","match":{"xpath":{"//item":"~[xz]q"}},"response":{"status":419}},
		{"name":"rest","response":{"status":204}}]}`, nil)
	const depth = 990
	// Without the bound the items' values add up to 990 times the text,
	// about 240 MB to read; with it, the "none" rule's negated condition
	// does not hold (it would answer 418 if every value were read), and
	// the request goes on to "rest".
	deep := strings.Repeat("<item>", depth) + strings.Repeat("y", 1<<18-16*depth) + strings.Repeat("</item>", depth)
	for _, tt := range []struct {
		name, body string
		want       int
	}{
		{"flat items", "<list><item>a</item><item>b</item></list>", 418},
		{"a few nested items", "<item>a<item>b<item>c</item></item></item>", 418},
		{"items nested deep around a huge text", deep, 204},
	} {
		req := backendRequest(t, "POST", "http://backend.invalid/", tt.body, http.Header{"Content-Type": {"application/xml"}})
		res, _ := serve(e, req)
		if res.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, res.StatusCode, tt.want)
		}
	}
}
