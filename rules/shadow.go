package rules

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// shadowLogInterval is how often, at most, one rule logs a shadow
// difference: a drifted mock differs on every request, and one line now
// and then says so as well as thousands.
const shadowLogInterval = 10 * time.Second

// maxShadowDifferences bounds the paths one log line lists.
const maxShadowDifferences = 20

// shadow renders a mock for a delegated request and compares the structure
// of its JSON with the backend's answer, off the request's path: the
// client never waits for the comparison.
type shadow struct {
	response *response
	busy     atomic.Bool  // a comparison is running: skip, don't queue
	nextLog  atomic.Int64 // unix nanoseconds before which nothing is logged
}

// compare renders the mock now (the request's data is gone afterwards) and
// compares it with the backend's answer in the background.
func (s *shadow) compare(x *exchange, real []byte, log *logger) {
	if time.Now().UnixNano() < s.nextLog.Load() || !s.busy.CompareAndSwap(false, true) {
		return // nothing could be logged now, or a comparison is running
	}
	rule := x.ruleName()
	mock, err := s.response.bodyFor(x)
	if err != nil {
		s.busy.Store(false)
		log.Warning("rule", strconv.Quote(rule), "shadow: the mock could not be rendered:", err)
		return
	}
	real = append([]byte(nil), real...) // the answer's buffer goes back to its pool
	go func() {
		defer s.busy.Store(false)
		diffs := jsonDifferences(real, mock)
		if len(diffs) == 0 {
			return
		}
		now := time.Now().UnixNano()
		last := s.nextLog.Load()
		if now < last || !s.nextLog.CompareAndSwap(last, now+int64(shadowLogInterval)) {
			return
		}
		log.Warning("rule", strconv.Quote(rule), "shadow: the mock differs from the backend at", strings.Join(diffs, "; "))
	}()
}

// jsonDifferences lists where two JSON documents differ in structure:
// paths present in one only, and values whose type differs. Values
// themselves are not compared.
func jsonDifferences(real, mock []byte) []string {
	var r, m any
	if err := json.Unmarshal(real, &r); err != nil {
		return []string{"$ (the backend's answer is not JSON)"}
	}
	if err := json.Unmarshal(mock, &m); err != nil {
		return []string{"$ (the mock is not JSON)"}
	}
	var diffs []string
	structureDiff("$", r, m, &diffs)
	if len(diffs) > maxShadowDifferences {
		diffs = append(diffs[:maxShadowDifferences], fmt.Sprintf("and %d more", len(diffs)-maxShadowDifferences))
	}
	return diffs
}

func structureDiff(path string, real, mock any, diffs *[]string) {
	if len(*diffs) > maxShadowDifferences {
		return
	}
	if rt, mt := jsonType(real), jsonType(mock); rt != mt {
		*diffs = append(*diffs, fmt.Sprintf("%s (%s in the backend, %s in the mock)", path, rt, mt))
		return
	}
	switch r := real.(type) {
	case map[string]any:
		m := mock.(map[string]any)
		keys := make([]string, 0, len(r)+len(m))
		for k := range r {
			keys = append(keys, k)
		}
		for k := range m {
			if _, ok := r[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			rv, inReal := r[k]
			mv, inMock := m[k]
			p := path + "." + k
			switch {
			case !inMock:
				*diffs = append(*diffs, p+" (only in the backend)")
			case !inReal:
				*diffs = append(*diffs, p+" (only in the mock)")
			default:
				structureDiff(p, rv, mv, diffs)
			}
		}
	case []any:
		m := mock.([]any)
		for i := range min(len(r), len(m)) {
			structureDiff(path+"["+strconv.Itoa(i)+"]", r[i], m[i], diffs)
		}
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	default:
		return "null"
	}
}
