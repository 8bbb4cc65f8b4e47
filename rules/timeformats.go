package rules

import (
	"strings"
	"time"
)

// maxTimeLen bounds the text a time: comparison parses: the longest form
// it reads, RFC 3339 with nanoseconds and an offset, is 35 bytes; anything
// longer is not a time and is rejected before any layout is tried.
const maxTimeLen = 40

// parseTime reads the times a time: comparison understands, in its value
// and its absolute operands, trying at most two layouts picked by the
// text's shape:
//
//   - RFC 3339, with fractional seconds if any: 2026-11-30T10:00:00Z,
//     2026-11-30T10:00:00.5+01:00;
//   - RFC 3339 without a zone, read as UTC: 2026-11-30T10:00:00;
//   - a date alone, read as 00:00 UTC: 2026-11-30;
//   - RFC 1123 (HTTP dates): Mon, 30 Nov 2026 10:00:00 GMT (GMT or UTC),
//     or with a numeric zone, Mon, 30 Nov 2026 10:00:00 +0100.
//
// Spaces around the text are ignored.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) < len(time.DateOnly) || len(s) > maxTimeLen {
		return time.Time{}, false
	}
	var layout string
	switch {
	case s[0] < '0' || s[0] > '9': // a day name: RFC 1123
		layout = time.RFC1123Z
		if strings.HasSuffix(s, " GMT") || strings.HasSuffix(s, " UTC") {
			// Parsed with the zone as UTC: time.RFC1123 would read an
			// abbreviation by the gateway's local zone.
			s, layout = s[:len(s)-4], "Mon, 02 Jan 2006 15:04:05"
		}
	case len(s) == len(time.DateOnly):
		layout = time.DateOnly
	case hasZone(s):
		layout = time.RFC3339Nano
	default:
		layout = "2006-01-02T15:04:05.999999999"
	}
	t, err := time.Parse(layout, s)
	return t, err == nil
}

// hasZone tells whether an RFC 3339 text ends in a zone: Z or ±hh:mm.
func hasZone(s string) bool {
	last := s[len(s)-1]
	if last == 'Z' || last == 'z' {
		return true
	}
	return len(s) >= 6 && (s[len(s)-6] == '+' || s[len(s)-6] == '-') && s[len(s)-3] == ':'
}
