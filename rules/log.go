package rules

import (
	"fmt"
	"strconv"
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

// Debug hands the host a line that is formatted only if it is printed: a
// gateway logging at INFO or above drops DEBUG lines, and the engine logs
// one for every request.
func (g *logger) Debug(v ...any) {
	if g.l != nil {
		g.l.Debug(lazyLine{g, v})
	}
}

// lazyLine is a log line formatted when the host prints it.
type lazyLine struct {
	g *logger
	v []any
}

func (l lazyLine) String() string { return l.g.line(l.v) }

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

// plural says n things: "1 rule", "2 rules".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}
