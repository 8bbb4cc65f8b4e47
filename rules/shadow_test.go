package rules

import (
	"bytes"
	"krakend-rules/config"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestAShadowComparisonSkipsAnswersOverTheBound: an answer longer than
// max_shadow_bytes is served but not compared, and a warning says so.
func TestAShadowComparisonSkipsAnswersOverTheBound(t *testing.T) {
	big := `{"pad":"` + strings.Repeat("x", 2000) + `"}`
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(big))
	}))
	defer backend.Close()
	log := &testLogger{}
	e := newEngine(t, `{"max_shadow_bytes":1000,"rules":[{"name":"orders","delegate":{"shadow":{"body":{"other":1}}}}]}`, log)
	for range 3 {
		if res, body := serve(e, backendRequest(t, "GET", backend.URL+"/", "", nil)); res.StatusCode != 200 || body != big {
			t.Fatalf("the client did not get the real answer: %d", res.StatusCode)
		}
	}
	log.contains(t, "WARNING", `rule "orders" shadow: the backend's answer (2010 bytes) is longer than max_shadow_bytes (1000), so it is not compared`)
	log.mu.Lock()
	defer log.mu.Unlock()
	if n := strings.Count(strings.Join(log.lines, "\n"), "shadow:"); n != 1 {
		t.Errorf("%d shadow lines for 3 requests within the rate limit, want 1", n)
	}
}

// TestShadowComparisonMemory: comparing the structure of two JSON
// documents costs a bounded share of their size, whatever their shape; a
// decoded comparison costs many times it.
func TestShadowComparisonMemory(t *testing.T) {
	const size = 1 << 20
	keys := manyKeys(size)
	shapes := map[string][2][]byte{
		"many keys":                 {keys, bytes.Replace(keys, []byte(`"k1"`), []byte(`"q1"`), 1)},
		"a long array of numbers":   {[]byte("[" + strings.Repeat("1,", size/2-1) + "1]"), []byte("[" + strings.Repeat("2,", size/2-1) + "2]")},
		"an array of small objects": {[]byte("[" + strings.Repeat(`{"a":1},`, size/8-1) + `{"a":1}]`), []byte("[" + strings.Repeat(`{"a":2},`, size/8-1) + `{"b":1}]`)},
		"deep":                      {[]byte(strings.Repeat(`{"a":`, 1000) + "1" + strings.Repeat("}", 1000)), []byte(strings.Repeat(`{"a":`, 1000) + `"x"` + strings.Repeat("}", 1000))},
	}
	for name, docs := range shapes {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			diffs := jsonDifferences(docs[0], docs[1], config.DefaultMaxBodyDepth)
			runtime.ReadMemStats(&after)
			allocated := after.TotalAlloc - before.TotalAlloc
			ratio := float64(allocated) / float64(len(docs[0]))
			t.Logf("%d bytes: %.2f× allocated; %d differences", len(docs[0]), ratio, len(diffs))
			if !raceDetector && ratio > 3 && allocated > 256<<10 { // a deep small document costs its path, a few hundred KiB at most
				t.Errorf("comparing %d bytes allocated %d (%.1f×), want at most 3×", len(docs[0]), allocated, ratio)
			}
		})
	}
	deep := jsonDifferences(shapes["deep"][0], shapes["deep"][1], config.DefaultMaxBodyDepth)
	if want := "$" + strings.Repeat(".a", 1000) + " (number in the backend, string in the mock)"; len(deep) != 1 || deep[0] != want {
		t.Errorf("deep: %.80q", deep)
	}
}

func TestJSONDifferencesWalkWhatADecoderSees(t *testing.T) {
	tests := []struct{ real, mock, want string }{
		{`{"a":1,"a":"x"}`, `{"a":"y"}`, ``}, // the last of a repeated name counts
		{`{"\u0061":1}`, `{"a":2}`, ``},      // names compare decoded
		{`{"a":[1,{"b":[]}]}`, `{"a":[1,{"b":{}}]}`, `$.a[1].b (array in the backend, object in the mock)`},
		{` [ 1 , "x" ] `, `[1,2,3]`, `$[1] (string in the backend, number in the mock)`},
		{`{"b":1,"a":1}`, `{"c":1,"a":true}`, `$.a (number in the backend, boolean in the mock)|$.b (only in the backend)|$.c (only in the mock)`},
		{`{"s":"a,\"}]b"}`, `{"s":"x","t":1}`, `$.t (only in the mock)`},
		{strings.Repeat("[", 1001) + strings.Repeat("]", 1001), `[]`, `$ (the backend's answer is not JSON, or nests deeper than max_body_depth)`},
	}
	for _, tt := range tests {
		if got := strings.Join(jsonDifferences([]byte(tt.real), []byte(tt.mock), config.DefaultMaxBodyDepth), "|"); got != tt.want {
			t.Errorf("%.40s vs %.40s: got %q, want %q", tt.real, tt.mock, got, tt.want)
		}
	}
	many := "{" + strings.Repeat(`"x":1,`, 30)
	for i := range 30 {
		many += `"k` + strconv.Itoa(i) + `":1,`
	}
	many = strings.TrimSuffix(many, ",") + "}"
	if got := jsonDifferences([]byte(many), []byte(`{}`), config.DefaultMaxBodyDepth); len(got) != maxShadowDifferences+1 || got[maxShadowDifferences] != "and 11 more" {
		t.Errorf("31 differences listed as %d lines ending %q", len(got), got[len(got)-1])
	}
}
