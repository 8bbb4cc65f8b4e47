package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A comparison is a pattern that compares a value instead of matching its
// text: "num:>=10", "len:3..8", "time:>now-1h", "i:acme". It is a pattern
// like a glob, so it applies to every source a pattern does and a leading
// "!" negates it. A glob that starts with one of the prefixes is written
// with its first character escaped: "\num:1".
type comparison struct {
	kind comparisonKind
	op   comparisonOp
	// lo is the operand, or the low end of a range; hi the high end.
	lo, hi float64
	// loTime and hiTime are the operands of a time comparison; a relative
	// one ("now-1h") is an offset from the time of evaluation.
	loTime, hiTime timeOperand
	fold           string // the operand of "i:"
}

type comparisonKind uint8

const (
	numberComparison comparisonKind = iota + 1 // num: the value as a decimal number
	lengthComparison                           // len: the value's length in characters
	timeComparison                             // time: the value as a time (parseTime)
	foldComparison                             // i: equal ignoring case
)

type comparisonOp uint8

const (
	cmpEqual comparisonOp = iota
	cmpLess
	cmpLessEqual
	cmpGreater
	cmpGreaterEqual
	cmpRange // lo <= v <= hi
)

// timeOperand is an absolute time, or an offset from now.
type timeOperand struct {
	at       time.Time
	relative bool
	offset   time.Duration
}

func (t timeOperand) resolve(now time.Time) time.Time {
	if t.relative {
		return now.Add(t.offset)
	}
	return t.at
}

// comparisonPrefixes are what make a pattern a comparison.
var comparisonPrefixes = []struct {
	prefix string
	kind   comparisonKind
}{
	{"num:", numberComparison},
	{"len:", lengthComparison},
	{"time:", timeComparison},
	{"i:", foldComparison},
}

// isComparison tells whether a pattern (without its "!") is a comparison.
func isComparison(text string) (comparisonKind, string, bool) {
	for _, p := range comparisonPrefixes {
		if strings.HasPrefix(text, p.prefix) {
			return p.kind, text[len(p.prefix):], true
		}
	}
	return 0, "", false
}

// compileComparison parses what follows the prefix: "=v", "<v", "<=v",
// ">v", ">=v", "lo..hi" (inclusive) or a bare "v" (equal). "i:" takes its
// operand verbatim.
func compileComparison(kind comparisonKind, operand string) (*comparison, error) {
	c := &comparison{kind: kind}
	if kind == foldComparison {
		c.fold = operand
		return c, nil
	}
	rest := strings.TrimSpace(operand)
	switch {
	case strings.HasPrefix(rest, "<="):
		c.op, rest = cmpLessEqual, rest[2:]
	case strings.HasPrefix(rest, ">="):
		c.op, rest = cmpGreaterEqual, rest[2:]
	case strings.HasPrefix(rest, "<"):
		c.op, rest = cmpLess, rest[1:]
	case strings.HasPrefix(rest, ">"):
		c.op, rest = cmpGreater, rest[1:]
	case strings.HasPrefix(rest, "="):
		c.op, rest = cmpEqual, rest[1:]
	default:
		if lo, hi, ok := strings.Cut(rest, ".."); ok {
			c.op = cmpRange
			if err := c.operand(strings.TrimSpace(lo), &c.lo, &c.loTime); err != nil {
				return nil, err
			}
			if err := c.operand(strings.TrimSpace(hi), &c.hi, &c.hiTime); err != nil {
				return nil, err
			}
			if kind != timeComparison && c.lo > c.hi {
				return nil, fmt.Errorf("the range %q is empty: its low end is above its high end", operand)
			}
			if kind == timeComparison && c.loTime.relative == c.hiTime.relative &&
				c.loTime.resolve(time.Time{}).After(c.hiTime.resolve(time.Time{})) {
				return nil, fmt.Errorf("the range %q is empty: its start is after its end", operand)
			}
			return c, nil
		}
	}
	return c, c.operand(strings.TrimSpace(rest), &c.lo, &c.loTime)
}

func (c *comparison) operand(s string, num *float64, t *timeOperand) error {
	switch c.kind {
	case numberComparison:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%q is not a number (num: compares decimal numbers, such as num:>=10 or num:0.5..2)", s)
		}
		*num = f
	case lengthComparison:
		n, err := strconv.ParseUint(s, 10, 31)
		if err != nil {
			return fmt.Errorf("%q is not a length (len: compares a length in characters, such as len:<=8 or len:3..8)", s)
		}
		*num = float64(n)
	case timeComparison:
		op, err := parseTimeOperand(s)
		if err != nil {
			return err
		}
		*t = op
	}
	return nil
}

// parseTimeOperand reads a time (parseTime), "now", or "now" plus or minus
// a Go duration or a whole number of days ("now-1h", "now+30d").
func parseTimeOperand(s string) (timeOperand, error) {
	bad := fmt.Errorf("%q is not a time (time: takes a time such as 2026-01-01T00:00:00Z, 2026-01-01 or Thu, 01 Jan 2026 00:00:00 GMT, now, or an offset from now such as now-1h or now+30d)", s)
	rest, ok := strings.CutPrefix(s, "now")
	if !ok {
		at, ok := parseTime(s)
		if !ok {
			return timeOperand{}, bad
		}
		return timeOperand{at: at}, nil
	}
	if rest == "" {
		return timeOperand{relative: true}, nil
	}
	sign := time.Duration(1)
	switch rest[0] {
	case '-':
		sign = -1
	case '+':
	default:
		return timeOperand{}, bad
	}
	rest = rest[1:]
	var d time.Duration
	if days, ok := strings.CutSuffix(rest, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 16) // up to 179 years
		if err != nil {
			return timeOperand{}, bad
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(rest); err != nil || d < 0 || strings.HasPrefix(rest, "+") {
			return timeOperand{}, bad
		}
	}
	return timeOperand{relative: true, offset: sign * d}, nil
}

// holds compares one value. A value that is not of the comparison's kind
// (not a number, not a time) does not satisfy it.
func (c *comparison) holds(v string) bool {
	switch c.kind {
	case foldComparison:
		return strings.EqualFold(v, c.fold)
	case lengthComparison:
		return c.compare(float64(utf8.RuneCountInString(v)))
	case numberComparison:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return err == nil && !math.IsNaN(f) && c.compare(f)
	case timeComparison:
		t, ok := parseTime(v)
		if !ok {
			return false
		}
		now := time.Now()
		return c.compareTime(t, c.loTime.resolve(now), c.hiTime.resolve(now))
	}
	return false
}

func (c *comparison) compare(v float64) bool {
	switch c.op {
	case cmpLess:
		return v < c.lo
	case cmpLessEqual:
		return v <= c.lo
	case cmpGreater:
		return v > c.lo
	case cmpGreaterEqual:
		return v >= c.lo
	case cmpRange:
		return c.lo <= v && v <= c.hi
	}
	return v == c.lo
}

func (c *comparison) compareTime(v, lo, hi time.Time) bool {
	switch c.op {
	case cmpLess:
		return v.Before(lo)
	case cmpLessEqual:
		return !v.After(lo)
	case cmpGreater:
		return v.After(lo)
	case cmpGreaterEqual:
		return !v.Before(lo)
	case cmpRange:
		return !v.Before(lo) && !v.After(hi)
	}
	return v.Equal(lo)
}
