package config

import (
	"errors"
	"fmt"
	"sort"
)

// Location is where something is in a backend's configuration: the file (a
// rules_file; "" for the "krakend-rules" object itself) and the path in it.
type Location struct {
	File string
	At   Path
}

// String spells a location as users read it: rules[2].match.path, or
// rules_file(mocks/rules.json).rules[0].name inside a rules_file.
func (l Location) String() string {
	loc := l.At.String()
	if l.File != "" {
		loc = "rules_file(" + l.File + ")" + dotted(loc)
	}
	return loc
}

// Error is one problem in a configuration, with where it is. It is the one
// error type of configurations: the engine reports it, the plugin logs it,
// the linter places it in the file.
type Error struct {
	Location
	Problem string
}

func (e *Error) Error() string {
	if loc := e.Location.String(); loc != "" {
		return loc + ": " + e.Problem
	}
	return e.Problem
}

func dotted(loc string) string {
	if loc == "" || loc[0] == '[' {
		return loc
	}
	return "." + loc
}

// Errors gathers every problem of a configuration, so that they are all
// reported at once, in the order they were found.
type Errors []*Error

// Add records a problem at a path of the object being decoded.
func (l *Errors) Add(at Path, format string, args ...any) {
	*l = append(*l, &Error{Location: Location{At: at}, Problem: fmt.Sprintf(format, args...)})
}

// Err returns the problems as one error (nil when there are none), ordered
// by rule so that the problems of one rule stand together.
func (l Errors) Err() error {
	if len(l) == 0 {
		return nil
	}
	sorted := append(Errors(nil), l...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].At.Rule() < sorted[j].At.Rule() })
	errs := make([]error, len(sorted))
	for i, e := range sorted {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// InFile sets the file of every problem: they are about a rules_file.
func (l Errors) InFile(name string) Errors {
	for _, e := range l {
		e.File = name
	}
	return l
}

// List returns the configuration problems err holds, one by one: the one
// place that unwraps a joined error. An error that is not a configuration
// problem becomes one with no location.
func List(err error) Errors {
	if err == nil {
		return nil
	}
	var all []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		all = j.Unwrap()
	} else {
		all = []error{err}
	}
	var out Errors
	for _, e := range all {
		var ce *Error
		if errors.As(e, &ce) {
			out = append(out, ce)
		} else {
			out = append(out, &Error{Problem: e.Error()})
		}
	}
	return out
}

// Join merges the problems of several passes into one error, ordered by
// rule.
func Join(errs ...error) error {
	var all Errors
	for _, err := range errs {
		all = append(all, List(err)...)
	}
	return all.Err()
}

// Field, Key and Index return the location one step further, in the same
// file.
func (l Location) Field(name string) Location { return Location{l.File, l.At.Field(name)} }
func (l Location) Key(k string) Location      { return Location{l.File, l.At.Key(k)} }
func (l Location) Index(i int) Location       { return Location{l.File, l.At.Index(i)} }
