package rules

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
)

func answerOf(t *testing.T, e *Engine, target string) (int, map[string]string) {
	t.Helper()
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest("GET", "http://backend.invalid"+target, nil))
	var body map[string]string
	if w.Code == 200 {
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: %v: %s", target, err, w.Body.String())
		}
	}
	return w.Code, body
}

func TestSeedsMakeAnswersReproducible(t *testing.T) {
	one := newEngine(t, `{"rules":[{"match":{"path":"/c/*"},"response":{"seed":"{{ index .Segments 1 }}","body":{"name":"{{ fakeName }}","id":"{{ uuid }}"}}}]}`, nil)
	// Another rule before it, another field before "name", the same seed.
	moved := newEngine(t, `{"rules":[{"match":{"path":"/x"},"response":{}},{"match":{"path":"/c/*"},"response":{"seed":"{{ index .Segments 1 }}","headers":{"X-City":"{{ fakeCity }}"},"body":{"a":"{{ fakeCity }}","name":"{{ fakeName }}","id":"{{ uuid }}"}}}]}`, nil)
	_, a := answerOf(t, one, "/c/42")
	_, again := answerOf(t, one, "/c/42")
	_, other := answerOf(t, one, "/c/43")
	_, m := answerOf(t, moved, "/c/42")
	if a["name"] != again["name"] || a["id"] != again["id"] {
		t.Errorf("the same seed twice: %v then %v", a, again)
	}
	if a["id"] == other["id"] {
		t.Errorf("another seed, the same answer: %v", other)
	}
	if a["name"] != m["name"] || a["id"] != m["id"] {
		t.Errorf("a field added and the rule moved changed the others: %v then %v", a, m)
	}

	// Concurrent requests, through pooled bound templates, agree with the
	// answers given one at a time.
	want := map[string]map[string]string{}
	for i := range 10 {
		_, want[fmt.Sprint(i)] = answerOf(t, one, fmt.Sprintf("/c/%d", i))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := fmt.Sprint((i + g) % 10)
				w := httptest.NewRecorder()
				e := one
				e.ServeHTTP(w, httptest.NewRequest("GET", "http://backend.invalid/c/"+id, nil))
				var got map[string]string
				if json.Unmarshal(w.Body.Bytes(), &got) != nil || got["name"] != want[id]["name"] || got["id"] != want[id]["id"] {
					errs <- fmt.Sprintf("id %s: got %s, want %v", id, w.Body.String(), want[id])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}

	// An unseeded answer follows no seed of another request.
	plain := newEngine(t, `{"rules":[{"response":{"body":{"id":"{{ uuid }}"}}}]}`, nil)
	if _, x := answerOf(t, plain, "/"); x["id"] == "" {
		t.Error("no uuid")
	} else if _, y := answerOf(t, plain, "/"); x["id"] == y["id"] {
		t.Errorf("unseeded answers repeat: %v", x)
	}

	// A seed that fails to render fails the answer.
	failing := newEngine(t, `{"rules":[{"name":"f","response":{"seed":"{{ index .Segments 5 }}","body":{"n":"{{ fakeName }}"}}}]}`, nil)
	if code, _ := answerOf(t, failing, "/a"); code != 500 {
		t.Errorf("a failing seed: got %d, want 500", code)
	}
}
