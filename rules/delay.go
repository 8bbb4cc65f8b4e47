package rules

import (
	"context"
	"math/rand/v2"
	"time"
)

// delay is a rule's "delay" (config.DelayRange): a fixed duration, or a
// uniform range.
type delay struct {
	min, max time.Duration
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
