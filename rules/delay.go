package rules

import (
	"context"
	"krakend-rules/config"
	"math"
	"math/rand/v2"
	"time"
)

// delay is a rule's "delay" (config.DelayRange): a fixed duration, a
// uniform range, or a log-normal draw, always within [min, max].
type delay struct {
	min, max time.Duration
	median   float64 // of a log-normal delay, in nanoseconds; 0 for uniform
	sigma    float64
}

func compileDelay(d config.DelayRange) *delay {
	out := &delay{min: d.Min, max: d.Max}
	if d.Distribution == config.DelayLogNormal {
		out.median, out.sigma = float64(d.Median), d.Sigma
	}
	return out
}

// draw returns one wait.
func (d *delay) draw() time.Duration {
	if d.median > 0 {
		n := d.median * math.Exp(d.sigma*rand.NormFloat64())
		if n >= float64(d.max) {
			return d.max
		}
		return max(time.Duration(n), d.min)
	}
	n := d.min
	if d.max > d.min {
		n += time.Duration(rand.Int64N(int64(d.max-d.min) + 1))
	}
	return n
}

// wait sleeps for the delay, or until ctx ends; it reports whether the whole
// delay passed.
func (d *delay) wait(ctx context.Context) bool {
	n := d.draw()
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
