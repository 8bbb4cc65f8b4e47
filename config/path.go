package config

import (
	"strconv"
	"strings"
)

// Path is where something is in a configuration: one step per level from
// the "krakend-rules" object (or from a rules_file's top level). It is data,
// never a string to parse back: the engine builds it while decoding and
// compiling, the linter walks it to place a finding in the file.
type Path []Step

// Step is one step of a Path: a field the configuration defines, a key the
// user chose (a header name, a query parameter, a gjson path), or an
// element of a list.
type Step struct {
	Kind  StepKind
	Name  string // the field or the key
	Index int    // the element
}

// StepKind tells the steps apart: the key "3" and the element [3] are two
// different places.
type StepKind uint8

const (
	FieldStep StepKind = iota
	KeyStep
	ElementStep
)

// Field, Key and Index return the path one step further. They never share
// the receiver's backing array, so that two branches from one path stay
// apart.
func (p Path) Field(name string) Path {
	return append(p[:len(p):len(p)], Step{Kind: FieldStep, Name: name})
}
func (p Path) Key(k string) Path { return append(p[:len(p):len(p)], Step{Kind: KeyStep, Name: k}) }
func (p Path) Index(i int) Path  { return append(p[:len(p):len(p)], Step{Kind: ElementStep, Index: i}) }

// At is a path of fields, for the places one names in code:
// At("rules_file"), At("delegate", "timeout").
func At(fields ...string) Path {
	var p Path
	for _, f := range fields {
		p = p.Field(f)
	}
	return p
}

// String is the one spelling of a path, the one users read in logs and
// findings: rules[2].match.headers["X-Env"].
func (p Path) String() string {
	var b strings.Builder
	for _, s := range p {
		switch s.Kind {
		case FieldStep:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.Name)
		case KeyStep:
			b.WriteString("[" + strconv.Quote(s.Name) + "]")
		case ElementStep:
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
		}
	}
	return b.String()
}

// Rule is the index of the rule the path is in ("rules[i]…"), or -1.
func (p Path) Rule() int {
	if len(p) >= 2 && p[0].Kind == FieldStep && p[0].Name == "rules" && p[1].Kind == ElementStep {
		return p[1].Index
	}
	return -1
}

// Last is the path's last step, or the zero Step for the empty path.
func (p Path) Last() Step {
	if len(p) == 0 {
		return Step{}
	}
	return p[len(p)-1]
}
