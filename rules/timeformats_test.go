package rules

import (
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		in   string
		want time.Time // zero: not a time
	}{
		{"2026-11-30T10:00:00Z", utc("2026-11-30T10:00:00Z")},
		{"2026-11-30T10:00:00.25+01:00", utc("2026-11-30T09:00:00.25Z")},
		{" 2026-11-30T10:00:00-05:30 ", utc("2026-11-30T15:30:00Z")},
		{"2026-11-30T10:00:00", utc("2026-11-30T10:00:00Z")},
		{"2026-11-30T10:00:00.123", utc("2026-11-30T10:00:00.123Z")},
		{"2026-11-30", utc("2026-11-30T00:00:00Z")},
		{"Mon, 30 Nov 2026 10:00:00 GMT", utc("2026-11-30T10:00:00Z")},
		{"Mon, 30 Nov 2026 10:00:00 UTC", utc("2026-11-30T10:00:00Z")},
		{"Mon, 30 Nov 2026 10:00:00 +0100", utc("2026-11-30T09:00:00Z")},
		{"Mon, 30 Nov 2026 10:00:00 EST", time.Time{}},
		{"Mon, 30 Nov 2026 10:00:00", time.Time{}},
		{"Monday, 30-Nov-26 10:00:00 GMT", time.Time{}},
		{"2026-13-30", time.Time{}},
		{"2026-11-30T25:00:00Z", time.Time{}},
		{"2026-11-30 10:00:00", time.Time{}},
		{"26-11-30", time.Time{}},
		{"", time.Time{}},
		{"now", time.Time{}},
		{"2026-11-30T10:00:00Z" + strings.Repeat("0", 30), time.Time{}},
		{strings.Repeat("9", 1<<20), time.Time{}},
	}
	for _, tt := range tests {
		got, ok := parseTime(tt.in)
		if ok != !tt.want.IsZero() || ok && !got.Equal(tt.want) {
			t.Errorf("parseTime(%.40q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
}

func TestTimeComparisonFormats(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"time:>2021-05-01T00:00:00Z", "Tue, 01 Jun 2021 10:00:00 GMT", true},
		{"time:>2021-05-01T00:00:00Z", "Thu, 01 Apr 2021 00:00:00 GMT", false},
		{"time:>2021-05-01T00:00:00Z", "2021-05-01T00:00:01", true},
		{"time:>2021-05-01T00:00:00Z", "2021-05-01", false},
		{"time:>=2021-05-01T00:00:00Z", "2021-05-01", true},
		{"time:2026-11-30", "2026-11-30T00:00:00Z", true},
		{"time:2026-01-01..2026-12-31", "Mon, 30 Nov 2026 10:00:00 GMT", true},
		{"time:<Thu, 01 Jan 2026 00:00:00 GMT", "2025-12-31T23:59:59", true},
	}
	for _, tt := range tests {
		p, err := compilePattern(valueGlobs, tt.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tt.pattern, err)
		}
		if got := p.match(tt.value); got != tt.want {
			t.Errorf("%s on %q = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-11-30T10:00:00Z", "2026-11-30T10:00:00", "2026-11-30", "Mon, 30 Nov 2026 10:00:00 GMT", "Mon, 30 Nov 2026 10:00:00 +0100", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseTime(s)
		if ok && len(strings.TrimSpace(s)) > maxTimeLen {
			t.Fatalf("%q: a text longer than %d bytes was read as %v", s, maxTimeLen, got)
		}
	})
}
