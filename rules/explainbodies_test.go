package rules

import (
	"net/http"
	"testing"
)

// Each non-JSON body condition says what it saw, or why the body could not
// be read as its kind.
func TestExplainSaysWhatBodiesOfEveryKindHeld(t *testing.T) {
	e := newEngine(t, `{"rules": [
	  {"name": "text", "match": {"path": "/text", "body_text": "~^order-[0-9]+$"}, "response": {"status": 201}},
	  {"name": "form", "match": {"path": "/form", "form": {"plan": "gold", "qty": "num:>=2"}}, "response": {"status": 201}},
	  {"name": "file", "match": {"path": "/upload", "multipart": {"doc": {"filename": "*.pdf"}}}, "response": {"status": 201}},
	  {"name": "xpath", "match": {"path": "/xml", "xpath": {"/order/item/@sku": "A-*"}}, "response": {"status": 201}},
	  {"name": "same-xml", "match": {"path": "/xml", "body_xml": "<order><item sku=\"B-1\"/></order>"}, "response": {"status": 202}}
	]}`, nil)
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	xml := http.Header{"Content-Type": {"application/xml"}}
	multipartHeader := http.Header{"Content-Type": {"multipart/form-data; boundary=XX"}}
	upload := "--XX\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XX--\r\n"
	tests := []struct {
		name, path, body string
		header           http.Header
		miss             string
	}{
		{"text", "/text", "order-x", nil, `rule "text": body_text "~^order-[0-9]+$" failed, saw "order-x"`},
		{"a form field", "/form", "plan=gold&qty=1", form, `rule "form": form.qty "num:>=2" failed, saw "1"`},
		{"not a form", "/form", "plan=gold", xml, `rule "form": form.plan "gold" failed, saw a body that is not a form (Content-Type "application/xml")`},
		{"a file name", "/upload", upload, multipartHeader, `rule "file": multipart.doc.filename "*.pdf" failed, saw "a.txt"`},
		{"an xpath value", "/xml", `<order><item sku="C-9"/></order>`, xml, `rule "xpath": xpath /order/item/@sku "A-*" failed, saw "C-9"`},
		{"not XML", "/xml", `<order>`, xml, `rule "xpath": xpath /order/item/@sku "A-*" failed, saw a body that is not XML, or nests deeper than max_body_depth`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := e.Explain(backendRequest(t, "POST", "http://b"+tt.path, tt.body, tt.header))
			near := ex.NearMisses()
			if len(near) == 0 || near[0].String() != tt.miss {
				t.Fatalf("near misses %q, want first %q", near, tt.miss)
			}
		})
	}
	// body_xml shows the body it compared.
	ex := e.Explain(backendRequest(t, "POST", "http://b/xml", `<order><item sku="A-1"/></order>`, xml))
	if ex.Rule != "xpath" {
		t.Fatalf("rule %q, want xpath", ex.Rule)
	}
	ex = e.Explain(backendRequest(t, "POST", "http://b/xml", `<order><item sku="C-1"/></order>`, xml))
	near := ex.NearMisses()
	if len(near) != 2 || near[1].String() != `rule "same-xml": body_xml failed, saw "<order><item sku=\"C-1\"/></order>"` {
		t.Fatalf("near misses %q", near)
	}
}
