package rules

import (
	"encoding/json"
	"errors"
	"krakend-rules/state"
	"text/template"
)

// The template functions that read shared state (see state.go). Each reads
// the store when it runs, so an answer shows the state as it is then; a
// store that cannot be reached makes the answer a 503.
func (b *boundTemplates) stateFuncs(m template.FuncMap) {
	// variable is a variable's value; "" when it was never set.
	m["variable"] = func(name string) (string, error) {
		return b.x.store.Variable(b.x.req.Context(), name)
	}
	// counterValue is a counter's value; 0 when it was never incremented.
	m["counterValue"] = func(name string) (int64, error) {
		return b.x.store.Counter(b.x.req.Context(), name)
	}
	// scenarioState is the scenario's state.
	m["scenarioState"] = func(name string) (string, error) {
		return b.x.store.Scenario(b.x.req.Context(), name)
	}
	// items is a data set's items, decoded: {{ len (items "users") }},
	// {{ range items "users" }}{{ .name }}{{ end }}, {{ json (items "users") }}.
	m["items"] = func(set string) ([]any, error) {
		list, err := b.x.store.List(b.x.req.Context(), set)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(list))
		for i, it := range list {
			if out[i], err = decodeItem(it); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	// item is one item of a data set, decoded; nil when there is none:
	// {{ (item "users" (index .Segments 1)).name }}.
	m["item"] = func(set, id string) (any, error) {
		it, err := b.x.store.Get(b.x.req.Context(), set, id)
		if errors.Is(err, state.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return decodeItem(it)
	}
}

func decodeItem(it *state.Item) (any, error) {
	var v map[string]any
	err := json.Unmarshal(it.JSON, &v)
	return v, err
}
