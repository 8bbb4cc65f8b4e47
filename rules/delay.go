package rules

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// delay is a compiled "delay": a fixed duration, or a uniform range.
type delay struct {
	min, max time.Duration
}

func compileDelay(s string) (delay, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	min, err := time.ParseDuration(strings.TrimSpace(lo))
	if err != nil || min < 0 {
		return delay{}, fmt.Errorf("must be a duration such as \"250ms\" or a range such as \"100ms-400ms\", got %q", s)
	}
	d := delay{min: min, max: min}
	if isRange {
		max, err := time.ParseDuration(strings.TrimSpace(hi))
		if err != nil || max < min {
			return delay{}, fmt.Errorf("must be a duration such as \"250ms\" or a range such as \"100ms-400ms\" whose end is not before its start, got %q", s)
		}
		d.max = max
	}
	return d, nil
}

// wait sleeps for the delay, or until ctx ends; it reports whether the whole
// delay passed.
func (d delay) wait(ctx context.Context) bool {
	n := d.min
	if d.max > d.min {
		n += time.Duration(rand.Int64N(int64(d.max-d.min) + 1))
	}
	if n <= 0 {
		return true
	}
	t := time.NewTimer(n)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
