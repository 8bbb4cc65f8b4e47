package rules

import (
	"fmt"
)

// sanitizeHeaderValue makes a value the plugin writes into a header safe
// to send: control bytes (0x00-0x1F but horizontal tab, and 0x7F) become
// spaces. CR and LF would end the header line; the others make strict
// clients and Go's own transport reject the whole message (RFC 9110,
// section 5.5). A value comes from templates, which may copy anything a
// client sent.
func sanitizeHeaderValue(v string) string {
	i := controlByte(v)
	if i < 0 {
		return v
	}
	b := []byte(v)
	for ; i < len(b); i++ {
		if isControl(b[i]) {
			b[i] = ' '
		}
	}
	return string(b)
}

// controlByte returns the index of the first control byte in v, or -1.
func controlByte(v string) int {
	for i := 0; i < len(v); i++ {
		if isControl(v[i]) {
			return i
		}
	}
	return -1
}

// errControlByte says where a configured header value has a control byte.
func errControlByte(v string) error {
	i := controlByte(v)
	return fmt.Errorf("has the control character 0x%02X at byte %d: a header value cannot carry it", v[i], i)
}

func isControl(c byte) bool { return c < 0x20 && c != '\t' || c == 0x7F }
