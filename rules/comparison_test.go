package rules

import (
	"strings"
	"testing"
	"time"
)

func TestComparison(t *testing.T) {
	now := time.Now().UTC()
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339Nano) }
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"num:>10", "10.5", true},
		{"num:>10", "10", false},
		{"num:>=10", "10", true},
		{"num:<10", " 9 ", true},
		{"num:<=-1", "-1", true},
		{"num:=3", "3.0", true},
		{"num:3", "3e0", true},
		{"num:3", "three", false},
		{"num:3", "NaN", false},
		{"num:>0", "", false},
		{"num:-5..-1", "-3", true},
		{"num:1..2", "2", true},
		{"num:1..2", "2.01", false},
		{"num: >= 10 ", "11", true},
		{"!num:>10", "5", true},
		{"!num:>10", "11", false},
		{"!num:>10", "x", true},
		{"len:3", "abc", true},
		{"len:3", "äöü", true},
		{"len:<3", "abc", false},
		{"len:0", "", true},
		{"len:2..4", "abcd", true},
		{"time:>now-1h", at(-30 * time.Minute), true},
		{"time:>now-1h", at(-90 * time.Minute), false},
		{"time:<now+1d", at(23 * time.Hour), true},
		{"time:<now+1d", at(25 * time.Hour), false},
		{"time:>=2026-01-01T00:00:00Z", "2026-01-01T01:00:00+01:00", true},
		{"time:>2026-01-01T00:00:00Z", "2026-01-01T01:00:00+01:00", false},
		{"time:2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z", true},
		{"time:now-1h..now+1h", at(0), true},
		{"time:now-1h..now+1h", at(2 * time.Hour), false},
		{"time:now-1h30m..now", at(-time.Hour), true},
		{"time:<now", "2026-13-01T00:00:00Z", false},
		{"i:Straße", "STRASSE", false}, // simple folding only
		{"i:acme", "ACME", true},
		{"i:", "", true},
		{"i: a", "a", false}, // the operand is verbatim
		{`\i:a`, "i:a", true},
		{`\num:1`, "num:1", true},
	}
	for _, tt := range tests {
		p, err := compilePattern(valueGlobs, tt.pattern)
		if err != nil {
			t.Errorf("%q: %v", tt.pattern, err)
			continue
		}
		if got := p.matchOne(tt.value); got != tt.want {
			t.Errorf("%q on %q = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
	for _, bad := range []string{"num:", "num:>", "num:x", "num:2..1", "num:1..x", "num:inf", "len:1.5", "len:-1", "len:>=a",
		"time:now-", "time:now-1", "time:now-1x", "time:now--1h", "time:now+-1h", "time:yesterday", "time:2026-1-01", "time:Mon, 30 Nov 2026 10:00:00 EST",
		"time:now+1h..now-1h", "time:2027-01-01T00:00:00Z..2026-01-01T00:00:00Z", "time:now-99999d"} {
		if _, err := compilePattern(valueGlobs, bad); err == nil || !strings.HasPrefix(err.Error(), "bad comparison ") {
			t.Errorf("%q compiles: %v", bad, err)
		}
	}
}

// FuzzComparison: any pattern compiles or is refused with a reason, and a
// compiled one matches any value without panicking; negating it flips
// the outcome on one value.
func FuzzComparison(f *testing.F) {
	for _, p := range []string{"num:>=10", "num:1..2", "len:<=8", "time:>now-1h", "time:2026-01-01T00:00:00Z..now", "i:acme", "*", "~x"} {
		f.Add(p, "12")
		f.Add(p, "2026-06-01T00:00:00Z")
	}
	f.Fuzz(func(t *testing.T, src, value string) {
		p, err := compilePattern(valueGlobs, src)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "bad ") {
				t.Fatalf("%q: error %q", src, err)
			}
			return
		}
		got := p.matchOne(value)
		if p.cmp == nil || strings.HasPrefix(src, "!") || strings.HasPrefix(src, "time:") {
			return // "now" moves between two evaluations
		}
		neg, err := compilePattern(valueGlobs, "!"+src)
		if err != nil {
			t.Fatalf("%q compiles, %q does not: %v", src, "!"+src, err)
		}
		if neg.matchOne(value) == got {
			t.Fatalf("%q and its negation agree on %q", src, value)
		}
	})
}
