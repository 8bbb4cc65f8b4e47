package rules

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

// logger prefixes every line and makes a nil Logger safe. debug is false
// when there is nowhere to log, so the request path skips building lines.
type logger struct {
	l     Logger
	debug bool
}

func newLogger(l Logger) *logger { return &logger{l: l, debug: l != nil} }

func (g *logger) Debug(v ...any) {
	if g.l != nil {
		g.l.Debug(append([]any{LogPrefix}, v...)...)
	}
}

func (g *logger) Info(v ...any) {
	if g.l != nil {
		g.l.Info(append([]any{LogPrefix}, v...)...)
	}
}

func (g *logger) Warning(v ...any) {
	if g.l != nil {
		g.l.Warning(append([]any{LogPrefix}, v...)...)
	}
}

func (g *logger) Error(v ...any) {
	if g.l != nil {
		g.l.Error(append([]any{LogPrefix}, v...)...)
	}
}
