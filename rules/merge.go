package rules

import (
	"krakend-rules/config"
	"net/http"
	"net/http/httptest"
	"strconv"

	"github.com/tidwall/gjson"
)

// staticData is a delegate's "static": a JSON object merged into the
// backend's answer when its strategy says so, as KrakenD's static proxy
// merges its data into a backend's response: each key of the data
// replaces the backend's key of that name, at the top level, or is added.
type staticData struct {
	when    func(status int) bool
	members []byte // the data's members, encoded once: `"a":1,"b":[2]`
	keys    map[string]bool
}

// staticStrategies tell, from the backend's own status (before any status
// mapping), whether data is merged. Within one backend KrakenD's complete
// and incomplete come down to success and errored.
var staticStrategies = map[string]func(status int) bool{
	config.StaticAlways:     func(int) bool { return true },
	config.StaticSuccess:    isSuccess,
	config.StaticComplete:   isSuccess,
	config.StaticErrored:    func(status int) bool { return !isSuccess(status) },
	config.StaticIncomplete: func(status int) bool { return !isSuccess(status) },
}

func isSuccess(status int) bool { return status >= 200 && status < 300 }

func compileStatic(errs *config.Errors, loc config.Path, cfg *config.Static) *staticData {
	s := &staticData{when: staticStrategies[cfg.Strategy], keys: map[string]bool{}} // decoding let no other strategy through
	body := compileJSONBody(errs, newTemplateSet(), loc.Field("data"), cfg.Data)
	encoded, ok := body.static()
	if !ok {
		errs.Add(loc.Field("data"), "holds a template: static data is static")
		return s
	}
	s.members = encoded[1 : len(encoded)-1] // the object's braces off
	for k := range cfg.Data {
		s.keys[k] = true
	}
	return s
}

// apply merges the data into a backend's answer, when the strategy says so
// and the answer is a JSON object (no deeper than maxDepth), and sets its
// Content-Length; it reports whether it did. The merged answer is written
// into the spare room of rec's body when there is a recorder, so that
// writing it there copies nothing; otherwise into a new slice. One longer
// than limit is an errTooLarge.
func (s *staticData) apply(rec *httptest.ResponseRecorder, h http.Header, status int, body []byte, maxDepth int, limit int64) ([]byte, bool, error) {
	start := skipJSONSpace(body, 0)
	if !s.when(status) || start == len(body) || body[start] != '{' || !validJSON(body, maxDepth) {
		return body, false, nil
	}
	size := len(body) + len(s.members) + 1
	var merged []byte
	if rec != nil {
		rec.Body.Grow(size)
		merged = rec.Body.AvailableBuffer()
	} else {
		merged = make([]byte, 0, size)
	}
	merged = append(merged, '{')
	gjson.ParseBytes(body).ForEach(func(key, value gjson.Result) bool {
		if s.keys[key.Str] {
			return true
		}
		merged = append(merged, key.Raw...)
		merged = append(merged, ':')
		merged = append(merged, value.Raw...)
		merged = append(merged, ',')
		return true
	})
	if len(s.members) == 0 && len(merged) > 1 {
		merged = merged[:len(merged)-1] // the last comma
	}
	merged = append(merged, s.members...)
	merged = append(merged, '}')
	if int64(len(merged)) > limit {
		return nil, false, errTooLarge{limit}
	}
	h["Content-Length"] = []string{strconv.Itoa(len(merged))}
	return merged, true, nil
}
