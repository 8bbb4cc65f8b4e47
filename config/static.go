package config

import "strings"

// The strategies of a delegate's "static", named as in KrakenD's
// proxy/static: when its data is merged into the backend's answer.
const (
	StaticAlways     = "always"
	StaticSuccess    = "success"
	StaticErrored    = "errored"
	StaticComplete   = "complete"
	StaticIncomplete = "incomplete"
)

// StaticStrategies are the strategies a configuration may name, the default
// first.
var StaticStrategies = []string{StaticAlways, StaticSuccess, StaticErrored, StaticComplete, StaticIncomplete}

// Static is data merged into a delegated answer, like KrakenD's static
// proxy: each of its keys replaces the key of that name at the top of the
// backend's JSON object, or is added.
type Static struct {
	// Strategy ("strategy") says when Data is merged: "always" (the
	// default), "success" or "complete" (the backend answered 2xx),
	// "errored" or "incomplete" (it answered anything else). An answer that
	// is not a JSON object is left as it is, and a backend that could not
	// be reached answers as without static data.
	Strategy string `json:"strategy"`

	// Data ("data") is a JSON object, encoded once at load.
	Data map[string]any `json:"data"`
}

func decodeStatic(errs *Errors, loc Path, raw any) *Static {
	s := &Static{Strategy: StaticAlways}
	obj, ok := decodeObject[Static](errs, loc, raw,
		member{"strategy", func(loc Path, v any) {
			name := str(errs, loc, v)
			if _, isString := v.(string); !isString {
				return
			}
			for _, known := range StaticStrategies {
				if name == known {
					s.Strategy = name
					return
				}
			}
			errs.Add(loc, "must be %s or %s, got %q", strings.Join(StaticStrategies[:len(StaticStrategies)-1], ", "), StaticStrategies[len(StaticStrategies)-1], name)
		}},
		member{"data", func(loc Path, v any) {
			data, isObject := v.(map[string]any)
			if !isObject {
				errs.Add(loc, "must be an object, got %s", typeName(v))
				return
			}
			s.Data = data
		}},
	)
	if !ok {
		return nil
	}
	if _, set := obj["data"]; !set {
		errs.Add(loc.Field("data"), "is required: the object merged into the answer")
	}
	return s
}
