package rules

import (
	"encoding/json"
	"krakend-rules/config"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzStaticMerge merges fixed data into any backend answer: the result is
// the answer untouched, or, for a JSON object, a valid JSON object whose
// data keys hold the data's values and whose other keys the backend's.
func FuzzStaticMerge(f *testing.F) {
	for _, seed := range []string{`{}`, `{"a":1}`, `{"degraded":false,"x":[1,{"y":2}]}`, `[1]`, `"s"`, `{"a":`, ` {"a" : 1 } `, `{"a":1,"a":2}`, "{\"\\u0061\":1}", `{"a":[[[[[[1]]]]]]}`} {
		f.Add([]byte(seed), 200)
	}
	var errs config.Errors
	s := compileStatic(&errs, nil, &config.Static{Strategy: config.StaticAlways, Data: map[string]any{"degraded": true, "a": "static"}})
	if errs.Err() != nil {
		f.Fatal(errs.Err())
	}
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		original := string(body)
		h := http.Header{}
		var rec *httptest.ResponseRecorder
		if status%2 == 0 {
			rec = httptest.NewRecorder()
		}
		out, changed, err := s.apply(rec, h, status, body, 5, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != original {
			t.Fatal("the backend's answer was modified in place")
		}
		if !changed {
			if string(out) != original || h.Get("Content-Length") != "" {
				t.Fatal("an answer left as it is changed")
			}
			return
		}
		var merged map[string]any
		if err := json.Unmarshal(out, &merged); err != nil {
			t.Fatalf("merging %q gave invalid JSON %q: %v", body, out, err)
		}
		if merged["degraded"] != true || merged["a"] != "static" {
			t.Fatalf("merging %q gave %q", body, out)
		}
		var backend map[string]any
		if json.Unmarshal(body, &backend) == nil {
			for k, v := range backend {
				if k != "a" && k != "degraded" && !jsonEqual(merged[k], v) {
					t.Fatalf("merging %q lost %q: %q", body, k, out)
				}
			}
		}
	})
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
