package config

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// The delay distributions a rule's "delay" object may name.
const (
	DelayUniform   = "uniform"
	DelayLogNormal = "lognormal"
)

// MaxDelay bounds every delay: a longer one is a configuration error, and a
// log-normal draw never waits longer. One hour is past any gateway's
// endpoint timeout.
const MaxDelay = time.Hour

// LogNormalSigmas is how far above its median a log-normal delay without
// "max" may go: median·e^(4σ), past 99.996% of its draws. The cap keeps the
// longest wait known at load, for the linter and the endpoint timeout.
const LogNormalSigmas = 4

// DelayRange is a decoded "delay". Min and Max bound every wait. For
// Distribution "" (a fixed duration, Min == Max) or DelayUniform, a wait
// is drawn uniformly from [Min, Max]; for DelayLogNormal it is
// Median·e^(Sigma·N(0,1)), WireMock's "lognormal" delay, cut to Max.
type DelayRange struct {
	Min, Max     time.Duration
	Distribution string
	Median       time.Duration
	Sigma        float64
}

// String writes the delay as a configuration would, for messages.
func (d DelayRange) String() string {
	switch {
	case d.Distribution == DelayLogNormal:
		return fmt.Sprintf("lognormal (median %s, sigma %g, max %s)", d.Median, d.Sigma, d.Max)
	case d.Min == d.Max:
		return d.Min.String()
	default:
		return d.Min.String() + "-" + d.Max.String()
	}
}

// DelayObject is the object form of a rule's "delay": a distribution and
// its parameters.
type DelayObject struct {
	// Distribution ("distribution") is "uniform" (between Min and Max) or
	// "lognormal" (Median and Sigma, at most Max).
	Distribution string `json:"distribution"`

	// Min ("min") is the shortest uniform wait, a Go duration; default 0.
	Min string `json:"min"`

	// Max ("max") is the longest wait, a Go duration: required for
	// "uniform"; for "lognormal" the draws are cut to it, default
	// median·e^(4·sigma).
	Max string `json:"max"`

	// Median ("median") is the median of a log-normal wait, a positive Go
	// duration such as "80ms".
	Median string `json:"median"`

	// Sigma ("sigma") is the standard deviation of the wait's logarithm,
	// from 0 to 4: 0.1 keeps draws close to the median, 1 spreads them
	// widely.
	Sigma *float64 `json:"sigma"`
}

// decodeDelay decodes a "delay": a duration, a uniform range "100ms-400ms",
// or a DelayObject.
func decodeDelay(errs *Errors, loc Path, raw any) DelayRange {
	if s, ok := raw.(string); ok {
		d, err := parseDelay(s)
		if err != nil {
			errs.Add(loc, "%v", err)
		}
		return d
	}
	if _, ok := raw.(map[string]any); !ok {
		errs.Add(loc, "must be a duration such as \"250ms\", a range such as \"100ms-400ms\" or an object such as {\"distribution\": \"lognormal\", \"median\": \"80ms\", \"sigma\": 0.4}, got %s", typeName(raw))
		return DelayRange{}
	}
	var o DelayObject
	duration := func(loc Path, v any) time.Duration {
		s := str(errs, loc, v)
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if _, isString := v.(string); isString && (err != nil || d < 0 || d > MaxDelay) {
			errs.Add(loc, "must be a duration from 0 to 1h such as \"250ms\", got %q", s)
			return 0
		}
		return d
	}
	var d DelayRange
	var hasMax bool
	obj, ok := decodeObject[DelayObject](errs, loc, raw,
		member{"distribution", func(loc Path, v any) {
			o.Distribution = str(errs, loc, v)
			if _, isString := v.(string); isString && o.Distribution != DelayUniform && o.Distribution != DelayLogNormal {
				errs.Add(loc, "must be %q or %q, got %q", DelayUniform, DelayLogNormal, o.Distribution)
			}
		}},
		member{"min", func(loc Path, v any) { d.Min = duration(loc, v) }},
		member{"max", func(loc Path, v any) { d.Max, hasMax = duration(loc, v), true }},
		member{"median", func(loc Path, v any) { d.Median = duration(loc, v) }},
		member{"sigma", func(loc Path, v any) {
			if f, isNumber := v.(float64); !isNumber || f < 0 || f > 4 {
				errs.Add(loc, "must be a number from 0 to 4, got %s", describe(v))
			} else {
				o.Sigma = &f
				d.Sigma = f
			}
		}},
	)
	if !ok {
		return DelayRange{}
	}
	d.Distribution = o.Distribution
	has := func(name string) bool { _, set := obj[name]; return set }
	switch o.Distribution {
	case "":
		if !has("distribution") {
			errs.Add(loc.Field("distribution"), "is required: %q or %q", DelayUniform, DelayLogNormal)
		}
	case DelayUniform:
		for _, name := range []string{"median", "sigma"} {
			if has(name) {
				errs.Add(loc.Field(name), "goes with the lognormal distribution")
			}
		}
		switch {
		case !hasMax:
			errs.Add(loc.Field("max"), "is required for a uniform delay")
		case d.Max < d.Min:
			errs.Add(loc.Field("max"), "must not be before min (%s), got %s", d.Min, d.Max)
		}
	case DelayLogNormal:
		if has("min") {
			errs.Add(loc.Field("min"), "goes with the uniform distribution")
		}
		if !has("median") {
			errs.Add(loc.Field("median"), "is required for a lognormal delay")
		} else if d.Median <= 0 && has("median") {
			errs.Add(loc.Field("median"), "must be a positive duration")
		}
		if !has("sigma") {
			errs.Add(loc.Field("sigma"), "is required for a lognormal delay")
		}
		d.Min = 0
		if !hasMax {
			longest := float64(d.Median) * math.Exp(LogNormalSigmas*d.Sigma)
			d.Max = time.Duration(min(longest, float64(MaxDelay))).Round(time.Millisecond)
		} else if d.Max < d.Median {
			errs.Add(loc.Field("max"), "must not be below the median (%s), got %s", d.Median, d.Max)
		}
	}
	return d
}

// describe shows a value in an error: numbers as they are, others by type.
func describe(v any) string {
	if f, ok := v.(float64); ok {
		return fmt.Sprint(f)
	}
	return typeName(v)
}
