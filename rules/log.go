package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// Logger is the part of the host's logger the engine uses; Lura's
// logging.Logger, which KrakenD hands to plugins, satisfies it.
type Logger interface {
	Debug(v ...any)
	Info(v ...any)
	Warning(v ...any)
	Error(v ...any)
}

// LogPrefix starts every line the plugin logs, as KrakenD's own plugins do.
const LogPrefix = "[PLUGIN: krakend-rules]"

// logger prefixes every line with LogPrefix and the backend's label, and
// makes a nil Logger safe. Each line goes to the host as one string,
// spaced as fmt.Sprintln spaces its operands: KrakenD's logger joins its
// arguments with fmt.Sprint, which puts no space between two strings.
// debug is false when there is nowhere to log, so the request path skips
// building lines.
type logger struct {
	l      Logger
	debug  bool
	prefix string
}

func newLogger(l Logger, label string) *logger {
	return &logger{l: l, debug: l != nil, prefix: LogPrefix + "[" + label + "]"}
}

func (g *logger) line(v []any) string {
	s := fmt.Sprintln(v...)
	return g.prefix + " " + s[:len(s)-1]
}

func (g *logger) Debug(v ...any) {
	if g.l != nil {
		g.l.Debug(g.line(v))
	}
}

func (g *logger) Info(v ...any) {
	if g.l != nil {
		g.l.Info(g.line(v))
	}
}

func (g *logger) Warning(v ...any) {
	if g.l != nil {
		g.l.Warning(g.line(v))
	}
}

func (g *logger) Error(v ...any) {
	if g.l != nil {
		g.l.Error(g.line(v))
	}
}

// Label names a backend's configuration in logs and in the linter's
// findings: its "label" when set, or else one made from what it holds —
// the name of its first rule and how many follow ("orders +2"), and its
// rules_file. A gateway hands each plugin instance only its own
// configuration, not the endpoint or the backend's URL, so this is what
// can tell two backends apart. Decode returns a Config even for an invalid
// configuration, so that one is named too.
func (c *Config) Label() string {
	if c == nil {
		return "no rules"
	}
	if strings.TrimSpace(c.LabelText) != "" {
		return c.LabelText
	}
	var parts []string
	if len(c.Rules) > 0 {
		name := c.Rules[0].Name
		if name == "" {
			name = "rule[0]"
		}
		if more := len(c.Rules) - 1; more > 0 {
			name += " +" + strconv.Itoa(more)
		}
		parts = append(parts, name)
	}
	if c.RulesFile != "" {
		parts = append(parts, c.RulesFile)
	}
	if len(parts) == 0 {
		return "no rules"
	}
	return strings.Join(parts, " and ")
}

// plural says n things: "1 rule", "2 rules".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}
