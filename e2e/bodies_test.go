package e2e

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

// TestRequestBodiesThroughTheGateway: form, multipart, XML and text
// conditions, their template accessors and comparisons on a header, a
// query parameter and a JSON body, through the real gateway. The
// endpoints forward Content-Type beside the other headers they list:
// without it no body is a form.
func TestRequestBodiesThroughTheGateway(t *testing.T) {
	backend := newBackend(t, nil)
	g := startGateway(t, config(
		endpoint("POST", "/form", backend.url, "/form", []string{"Content-Type", "X-Tenant"}, nil, `{"debug_header":true,"rules":[
			{"name":"login","match":{"form":{"user":"ann*","remember":"!*"},"headers":{"X-Tenant":"i:ACME"}},
			 "response":{"status":201,"body":{"user":"{{ .Form.Get \"user\" }}"}}}]}`),
		endpoint("POST", "/form-no-ct", backend.url, "/form", []string{"X-Tenant"}, nil, `{"rules":[
			{"name":"login","match":{"form":{"user":"*"}},"response":{"status":201}}]}`),
		endpoint("POST", "/upload", backend.url, "/upload", []string{"Content-Type"}, nil, `{"debug_header":true,"rules":[
			{"name":"png","match":{"multipart":{"avatar":{"filename":"*.png","content_type":"image/png","value":"len:<=16"}},"form":{"title":"num:>=2"}},
			 "response":{"status":201,"body":{"title":"{{ .Form.Get \"title\" }}"}}}]}`),
		endpoint("POST", "/soap", backend.url, "/soap", []string{"Content-Type"}, nil, `{"debug_header":true,"rules":[
			{"name":"big","match":{"xpath":{"/s:Envelope/s:Body/GetOrder/id":"num:>100","//item[@sku='A1']/qty":"*"}},
			 "response":{"headers":{"Content-Type":"application/xml"},"body_template":"<order id=\"{{ .XPath \"//GetOrder/id\" }}\"/>"}},
			{"name":"exact","match":{"body_xml":"<ping xmlns=\"urn:p\"><n>1</n></ping>"},"response":{"body":{"pong":true}}},
			{"name":"text","match":{"body_text":"~(?i)hello"},"response":{"body":{"text":"{{ .BodyText }}"}}}]}`),
		endpoint("POST", "/cmp", backend.url, "/cmp", []string{"Content-Type", "X-Count", "X-Since"}, []string{"page"}, `{"debug_header":true,"rules":[
			{"name":"cmp","match":{"headers":{"X-Count":"num:10..20","X-Since":"time:>now-1h"},"query":{"page":"!num:>5"},"body":{"order.total":"num:>=100","order.code":"len:4"}},
			 "response":{"body":{"rule":"{{ .Rule }}"}}}]}`),
	))

	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Tenant": {"acme"}}
	expect(t, "a form", g.do("POST", "/form", form, strings.NewReader("user=anna+b&x=1")), 201, `{"user":"anna b"}`, "X-Krakend-Rule", "login")
	expect(t, "a form with a field that must be absent", g.do("POST", "/form", form, strings.NewReader("user=anna&remember=1")), 200, `{"backend":true}`, "X-Krakend-Rule", "delegated")
	expect(t, "a JSON body is no form", g.do("POST", "/form", http.Header{"Content-Type": {"application/json"}, "X-Tenant": {"acme"}}, strings.NewReader(`{"user":"anna"}`)), 200, `{"backend":true}`)
	expect(t, "a form without Content-Type forwarded", g.do("POST", "/form-no-ct", form, strings.NewReader("user=anna")), 200, `{"backend":true}`)
	delegated := map[string]bool{}
	for _, r := range backend.received() {
		delegated[string(r.body)] = true
	}
	for _, b := range []string{"user=anna&remember=1", `{"user":"anna"}`, "user=anna"} {
		if !delegated[b] {
			t.Errorf("the backend never got the body %q intact (got %v)", b, delegated)
		}
	}

	upload := func(name, fileType, content, title string) (http.Header, *bytes.Buffer) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		w.WriteField("title", title)
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="avatar"; filename="`+name+`"`)
		h.Set("Content-Type", fileType)
		p, _ := w.CreatePart(h)
		p.Write([]byte(content))
		w.Close()
		return http.Header{"Content-Type": {w.FormDataContentType()}}, &buf
	}
	h, body := upload("me.png", "image/png", "PNGDATA", "3")
	expect(t, "a multipart upload", g.do("POST", "/upload", h, body), 201, `{"title":"3"}`, "X-Krakend-Rule", "png")
	h, body = upload("me.gif", "image/gif", "GIFDATA", "3")
	expect(t, "a multipart upload of another type", g.do("POST", "/upload", h, body), 200, `{"backend":true}`)
	h, body = upload("me.png", "image/png", strings.Repeat("x", 17), "3")
	expect(t, "a multipart upload too long for len:<=16", g.do("POST", "/upload", h, body), 200, `{"backend":true}`)

	xml := http.Header{"Content-Type": {"text/xml"}}
	envelope := func(id string) *strings.Reader {
		return strings.NewReader(`<?xml version="1.0"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
  <GetOrder xmlns="urn:orders"><id>` + id + `</id><item sku="A1"><qty>2</qty></item></GetOrder>
</soap:Body></soap:Envelope>`)
	}
	expect(t, "an XPath", g.do("POST", "/soap", xml, envelope("101")), 200, `<order id="101"/>`, "X-Krakend-Rule", "big", "Content-Type", "application/xml")
	expect(t, "an XPath comparison that fails", g.do("POST", "/soap", xml, envelope("99")), 200, `{"backend":true}`)
	expect(t, "equal XML", g.do("POST", "/soap", xml, strings.NewReader("<p:ping xmlns:p='urn:p'>\n  <p:n> 1 </p:n>\n</p:ping>")), 200, `{"pong":true}`, "X-Krakend-Rule", "exact")
	expect(t, "the body as text", g.do("POST", "/soap", http.Header{"Content-Type": {"text/plain"}}, strings.NewReader("say HELLO")), 200, `{"text":"say HELLO"}`, "X-Krakend-Rule", "text")

	since := time.Now().Add(-10 * time.Minute).UTC().Format(time.RFC3339)
	order := `{"order":{"total":150.5,"code":"AB12"}}`
	jsonH := func(count, at string) http.Header {
		return http.Header{"Content-Type": {"application/json"}, "X-Count": {count}, "X-Since": {at}}
	}
	expect(t, "comparisons", g.do("POST", "/cmp?page=2", jsonH("15", since), strings.NewReader(order)), 200, `{"rule":"cmp"}`)
	expect(t, "a header out of range", g.do("POST", "/cmp?page=2", jsonH("21", since), strings.NewReader(order)), 200, `{"backend":true}`)
	expect(t, "a time too old", g.do("POST", "/cmp?page=2", jsonH("15", "2020-01-01T00:00:00Z"), strings.NewReader(order)), 200, `{"backend":true}`)
	expect(t, "a negated query comparison", g.do("POST", "/cmp?page=6", jsonH("15", since), strings.NewReader(order)), 200, `{"backend":true}`)
	expect(t, "a body below the bound", g.do("POST", "/cmp", jsonH("15", since), strings.NewReader(`{"order":{"total":99,"code":"AB12"}}`)), 200, `{"backend":true}`)
}
