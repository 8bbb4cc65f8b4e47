package config

import (
	"fmt"
	"strings"
	"time"
)

// DefaultReloadInterval is how often a rules_file is polled when
// reload_interval is not set.
const DefaultReloadInterval = 2 * time.Second

// MinReloadInterval is the shortest reload_interval.
const MinReloadInterval = 100 * time.Millisecond

// The durations of a configuration are decoded here, once, into typed
// values beside their text: the engine runs on the values, the linter
// compares them with the endpoint's timeout, and neither parses the text
// again.

func parseDelay(s string) (DelayRange, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	min, err := time.ParseDuration(strings.TrimSpace(lo))
	if err != nil || min < 0 || min > MaxDelay {
		return DelayRange{}, fmt.Errorf("must be a duration from 0 to 1h such as \"250ms\" or a range such as \"100ms-400ms\", got %q", s)
	}
	d := DelayRange{Min: min, Max: min}
	if isRange {
		max, err := time.ParseDuration(strings.TrimSpace(hi))
		if err != nil || max < min || max > MaxDelay {
			return DelayRange{}, fmt.Errorf("must be a duration such as \"250ms\" or a range such as \"100ms-400ms\" whose end is not before its start and at most 1h, got %q", s)
		}
		d.Max = max
	}
	return d, nil
}

func parseTimeout(s string) (time.Duration, error) {
	t, err := time.ParseDuration(s)
	if err != nil || t <= 0 {
		return 0, fmt.Errorf("must be a positive duration such as \"2s\", got %q", s)
	}
	return t, nil
}

func parseReloadInterval(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < MinReloadInterval {
		return 0, fmt.Errorf("must be a duration of at least 100ms such as \"2s\", got %q", s)
	}
	return d, nil
}

// MinStatsLogInterval is the shortest stats_log_interval.
const MinStatsLogInterval = time.Second

func parseStatsLogInterval(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < MinStatsLogInterval {
		return 0, fmt.Errorf("must be a duration of at least 1s such as \"1m\", got %q", s)
	}
	return d, nil
}
