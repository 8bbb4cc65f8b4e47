package rules

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// TestBodyKindsCostBoundedMemory: whatever shape a form, multipart or XML
// body has, evaluating it allocates a bounded multiple of its size (the
// factors README.md gives), and a body nested too deep stops early.
func TestBodyKindsCostBoundedMemory(t *testing.T) {
	const size = 1 << 20
	e := newEngine(t, `{"max_body_bytes":1048576,"max_body_depth":1000,"rules":[
		{"name":"form","match":{"form":{"a":"x*"}},"response":{"status":418}},
		{"name":"parts","match":{"multipart":{"a":{"filename":"*.png"}}},"response":{"status":419}},
		{"name":"xpath","match":{"xpath":{"//b[last()]/@c":"1"}},"response":{"status":420}},
		{"name":"rest","response":{"status":204}}]}`, nil)
	fill := func(prefix, unit, suffix string) []byte {
		n := (size - len(prefix) - len(suffix)) / len(unit)
		return []byte(prefix + strings.Repeat(unit, n) + suffix)
	}
	var form bytes.Buffer
	for i := 0; i < maxFormFields; i++ {
		fmt.Fprintf(&form, "k%x=%s&", i, strings.Repeat("v", size/maxFormFields-8))
	}
	var parts bytes.Buffer
	for parts.Len() < size-200 {
		fmt.Fprintf(&parts, "--x\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nv\r\n")
	}
	parts.WriteString("--x--\r\n")
	emptyParts := strings.Repeat("--x\r\n\r\n\r\n", (size-10)/10) + "--x--\r\n"
	var attrs bytes.Buffer // each attribute named differently
	attrs.WriteString("<a><b ")
	for i := 0; attrs.Len() < size-20; i++ {
		fmt.Fprintf(&attrs, "c%x='1' ", i)
	}
	attrs.WriteString("/></a>")
	shapes := []struct {
		name, contentType string
		body              []byte
		factor            float64
	}{
		{"a form of the most fields", formType, form.Bytes(), 3},
		{"a form of one huge field", formType, fill("a=", "y", ""), 4},
		{"many multipart parts", "multipart/form-data; boundary=x", parts.Bytes(), 50},
		{"many empty multipart parts", "multipart/form-data; boundary=x", []byte(emptyParts), 50},
		// XML: the parse (xmlscan_test.go's TestXMLScanMemory) and the
		// XPath's evaluation, which here selects every element.
		{"many tiny XML elements", "application/xml", fill("<a>", "<b/>", "</a>"), 20},
		{"many XML attributes", "application/xml", attrs.Bytes(), 16},
		{"XML too deep", "application/xml", fill("", "<b>", ""), 2},
		{"a huge XML text", "application/xml", fill("<a><b c='1'>", "y", "</b></a>"), 2.5},
	}
	for _, s := range shapes {
		t.Run(s.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "http://backend.invalid/", bytes.NewReader(s.body))
			req.Header.Set("Content-Type", s.contentType)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			res, _ := serve(e, req)
			runtime.ReadMemStats(&after)
			allocated := after.TotalAlloc - before.TotalAlloc
			ratio := float64(allocated) / float64(len(s.body))
			t.Logf("%d bytes: status %d, %.2f× the body allocated", len(s.body), res.StatusCode, ratio)
			if !raceDetector && ratio > s.factor {
				t.Errorf("evaluating a %d-byte body allocated %.1f× its size, want at most %v×", len(s.body), ratio, s.factor)
			}
		})
	}
}
