package config

import "strings"

// Mode is how a rule (or a fallback) chooses among its responses.
type Mode string

// The modes: in order, cycling; at random; in order, then the last one
// forever.
const (
	ModeSequence Mode = "sequence"
	ModeRandom   Mode = "random"
	ModeStick    Mode = "stick"
)

// Modes are the modes a configuration may name, the default first: the
// decoder checks against them and the schema's enum lists them.
var Modes = []Mode{ModeSequence, ModeRandom, ModeStick}

// decodeMode decodes a mode; "" is the default, ModeSequence.
func decodeMode(errs *Errors, loc Path, v any) Mode {
	s := str(errs, loc, v)
	if s == "" {
		return ""
	}
	for _, m := range Modes {
		if Mode(s) == m {
			return m
		}
	}
	names := make([]string, len(Modes))
	for i, m := range Modes {
		names[i] = string(m)
	}
	errs.Add(loc, "must be %s, got %q", strings.Join(names[:len(names)-1], ", ")+" or "+names[len(names)-1], s)
	return ""
}
