package config

import (
	"testing"
	"time"
)

func TestDurationsAreDecodedOnce(t *testing.T) {
	cfg, err := Decode(map[string]any{"rules_file": "r.json", "reload_interval": "250ms", "rules": []any{
		map[string]any{"delay": "100ms-400ms", "delegate": map[string]any{"timeout": "2s"}},
		map[string]any{"delay": "50ms", "response": map[string]any{}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ReloadEvery != 250*time.Millisecond || cfg.Rules[0].DelayRange != (DelayRange{Min: 100 * time.Millisecond, Max: 400 * time.Millisecond}) ||
		cfg.Rules[0].Delegate.TimeoutValue != 2*time.Second || cfg.Rules[1].DelayRange != (DelayRange{Min: 50 * time.Millisecond, Max: 50 * time.Millisecond}) {
		t.Errorf("decoded %v, %+v, %v, %+v", cfg.ReloadEvery, cfg.Rules[0].DelayRange, cfg.Rules[0].Delegate.TimeoutValue, cfg.Rules[1].DelayRange)
	}
	for _, bad := range []string{"soon", "400ms-100ms", "-5ms", "1s-", "10", "2h", "1s-61m"} {
		if _, err := parseDelay(bad); err == nil {
			t.Errorf("delay %q accepted", bad)
		}
	}
	for _, bad := range []string{"0s", "-1s", "soon"} {
		if _, err := parseTimeout(bad); err == nil {
			t.Errorf("timeout %q accepted", bad)
		}
	}
	for _, bad := range []string{"99ms", "soon"} {
		if _, err := parseReloadInterval(bad); err == nil {
			t.Errorf("reload_interval %q accepted", bad)
		}
	}
}
