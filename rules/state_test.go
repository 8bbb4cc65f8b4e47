package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"krakend-rules/state"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// stateEngine loads a configuration whose stores come from reg, as a
// backend of a gateway whose other backends use reg too.
func stateEngine(t testing.TB, reg *state.Registry, cfg string) *Engine {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e, err := New(ctx, decodeJSON(t, cfg), Options{Registry: reg})
	if err != nil {
		t.Fatalf("config rejected: %v", err)
	}
	return e
}

type call struct {
	e              *Engine
	method, path   string
	body           string
	status         int
	want           string // the body, exactly; "" to skip
	header, hvalue string
}

func run(t *testing.T, calls []call) {
	t.Helper()
	for i, c := range calls {
		var h http.Header
		if c.body != "" {
			h = http.Header{"Content-Type": {"application/json"}}
		}
		res, body := serve(c.e, backendRequest(t, c.method, "http://backend"+c.path, c.body, h))
		if res.StatusCode != c.status || (c.want != "" && body != c.want) {
			t.Errorf("call %d: %s %s: got %d %s, want %d %s", i, c.method, c.path, res.StatusCode, body, c.status, c.want)
		}
		if c.header != "" && res.Header.Get(c.header) != c.hvalue {
			t.Errorf("call %d: %s %s: %s is %q, want %q", i, c.method, c.path, c.header, res.Header.Get(c.header), c.hvalue)
		}
	}
}

func TestScenarioSharedByTwoBackends(t *testing.T) {
	reg := &state.Registry{}
	add := stateEngine(t, reg, `{"rules": [
		{"name": "add-first", "scenario": {"name": "todo", "state": "Started", "next": "one item"},
		 "response": {"status": 201, "body": {"added": "{{ body \"title\" }}"}}},
		{"name": "add-more", "scenario": {"name": "todo", "next": "full"},
		 "response": {"status": 201, "body": {"added": "more"}}}]}`)
	list := stateEngine(t, reg, `{"rules": [
		{"name": "empty", "scenario": {"name": "todo", "state": "Started"}, "response": {"body": []}},
		{"name": "one", "scenario": {"name": "todo", "state": "one item"}, "response": {"body": ["buy milk"]}},
		{"name": "state", "response": {"body": {"state": "{{ scenarioState \"todo\" }}"}}}]}`)
	reset := stateEngine(t, reg, `{"rules": [{"name": "reset", "reset": {"scenarios": ["*"]}, "response": {"status": 204}}]}`)
	run(t, []call{
		{e: list, method: "GET", path: "/todo", status: 200, want: `[]`},
		{e: add, method: "POST", path: "/todo", body: `{"title":"buy milk"}`, status: 201, want: `{"added":"buy milk"}`},
		{e: list, method: "GET", path: "/todo", status: 200, want: `["buy milk"]`},
		{e: add, method: "POST", path: "/todo", body: `{"title":"x"}`, status: 201, want: `{"added":"more"}`},
		{e: list, method: "GET", path: "/todo", status: 200, want: `{"state":"full"}`},
		{e: reset, method: "POST", path: "/reset", status: 204},
		{e: list, method: "GET", path: "/todo", status: 200, want: `[]`},
	})
}

func TestScenarioMovesOnceUnderConcurrency(t *testing.T) {
	reg := &state.Registry{}
	e := stateEngine(t, reg, `{"rules": [
		{"name": "first", "scenario": {"name": "race", "state": "Started", "next": "taken"}, "response": {"body": "first"}},
		{"name": "others", "response": {"body": "other"}}]}`)
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, body := serve(e, backendRequest(t, "GET", "http://backend/x", "", nil))
			if body == `"first"` {
				mu.Lock()
				firsts++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firsts != 1 {
		t.Errorf("%d requests moved the scenario from Started, want exactly 1", firsts)
	}
}

func TestVariablesAndCounters(t *testing.T) {
	reg := &state.Registry{}
	w := stateEngine(t, reg, `{"rules": [{"name": "login", "set": {"user": "{{ body \"user\" }}"}, "increment": {"logins": 1},
		"response": {"body": {"n": "{{ counterValue \"logins\" }}"}}}]}`)
	r := stateEngine(t, reg, `{"rules": [
		{"name": "logout", "match": {"methods": ["DELETE"]}, "reset": {"variables": ["user"]}, "increment": {"logins": -1}, "response": {"status": 204}},
		{"name": "who", "response": {"body": {"user": "{{ variable \"user\" }}", "logins": "{{ counterValue \"logins\" }}"}}}]}`)
	run(t, []call{
		{e: r, method: "GET", path: "/me", status: 200, want: `{"logins":"0","user":""}`},
		{e: w, method: "POST", path: "/login", body: `{"user":"ann"}`, status: 200, want: `{"n":"1"}`},
		{e: w, method: "POST", path: "/login", body: `{"user":"bob"}`, status: 200, want: `{"n":"2"}`},
		{e: r, method: "GET", path: "/me", status: 200, want: `{"logins":"2","user":"bob"}`},
		{e: r, method: "DELETE", path: "/me", status: 204},
		{e: r, method: "GET", path: "/me", status: 200, want: `{"logins":"1","user":""}`},
	})
}

const usersSeed = `[{"id": 1, "name": "Ann", "role": "admin", "age": 41}, {"id": 2, "name": "Bob", "role": "user", "age": 29}, {"id": 3, "name": "Cid", "role": "user", "age": 35}]`

func TestCRUD(t *testing.T) {
	reg := &state.Registry{}
	// Two backends: the collection and one item, as KrakenD's
	// POST /users and GET /users/{id} endpoints are.
	coll := stateEngine(t, reg, `{"rules": [{"name": "users", "crud": {"data_set": "users", "path": "/users", "seed": `+usersSeed+`}}]}`)
	one := stateEngine(t, reg, `{"rules": [
		{"name": "reset", "match": {"path": "/reset"}, "reset": {"data_sets": ["users"]}, "response": {"status": 204}},
		{"name": "user", "crud": {"data_set": "users", "path": "/users"}},
		{"name": "names", "match": {"path": "/names"}, "response": {"body_template": "{{ range items \"users\" }}{{ .name }};{{ end }}"}},
		{"name": "name", "match": {"path": "/name/*"}, "response": {"body": {"name": "{{ (item \"users\" (index .Segments 1)).name }}"}}}]}`)
	run(t, []call{
		{e: coll, method: "GET", path: "/users", status: 200, header: "X-Total-Count", hvalue: "3",
			want: `[{"age":41,"id":1,"name":"Ann","role":"admin"},{"age":29,"id":2,"name":"Bob","role":"user"},{"age":35,"id":3,"name":"Cid","role":"user"}]`},
		{e: one, method: "GET", path: "/users/2", status: 200, want: `{"age":29,"id":2,"name":"Bob","role":"user"}`},
		{e: one, method: "GET", path: "/users/9", status: 404, want: `{"error":"no item with this id","rule":"user","data_set":"users","id":"9"}`},
		{e: coll, method: "GET", path: "/users?role=user&_sort=-age", status: 200, header: "X-Total-Count", hvalue: "2",
			want: `[{"age":35,"id":3,"name":"Cid","role":"user"},{"age":29,"id":2,"name":"Bob","role":"user"}]`},
		{e: coll, method: "GET", path: "/users?_sort=age&_page=2&_limit=2", status: 200, header: "X-Total-Count", hvalue: "3",
			want: `[{"age":41,"id":1,"name":"Ann","role":"admin"}]`},
		{e: coll, method: "GET", path: "/users?_sort=name&_order=desc&_limit=1", status: 200, want: `[{"age":35,"id":3,"name":"Cid","role":"user"}]`},
		{e: coll, method: "GET", path: "/users?_page=0", status: 400},
		{e: coll, method: "GET", path: "/users?_sort=" + strings.Repeat("age,", 16), status: 200, header: "X-Total-Count", hvalue: "3"},
		// before, each comparison read every field: _sort=age,age,… of a
		// long URL cost minutes
		{e: coll, method: "GET", path: "/users?_sort=" + strings.Repeat("age,", 17), status: 400,
			want: `{"error":"_sort takes at most 16 fields","rule":"users","data_set":"users"}`},
		{e: coll, method: "POST", path: "/users", body: `{"name":"Dee"}`, status: 201, want: `{"id":4,"name":"Dee"}`, header: "Location", hvalue: "/users/4"},
		{e: coll, method: "POST", path: "/users", body: `{"id":"ed","name":"Ed"}`, status: 201, want: `{"id":"ed","name":"Ed"}`},
		{e: coll, method: "POST", path: "/users", body: `{"id":"ed","name":"Ed2"}`, status: 409, want: `{"error":"an item with this id exists already","rule":"users","data_set":"users","id":"ed"}`},
		// a client's id is escaped in Location: before, a CR LF or a NUL
		// went into the header line as it was
		{e: coll, method: "POST", path: "/users", body: `{"id":"a b\r\nX-Injected: 1\u0000"}`, status: 201, header: "Location", hvalue: "/users/a%20b%0D%0AX-Injected:%201%00"},
		{e: one, method: "DELETE", path: "/users/a%20b%0D%0AX-Injected:%201%00", status: 204},
		{e: coll, method: "POST", path: "/users", body: `[1,2]`, status: 400, want: `{"error":"the body must be a JSON object","rule":"users","data_set":"users"}`},
		{e: coll, method: "POST", path: "/users", body: `{"name":`, status: 400},
		{e: one, method: "PUT", path: "/users/ed", body: `{"name":"Edward","id":"zzz"}`, status: 200, want: `{"id":"ed","name":"Edward"}`},
		{e: one, method: "PATCH", path: "/users/1", body: `{"age":42,"role":null,"tags":{"a":1}}`, status: 200, want: `{"age":42,"id":1,"name":"Ann","tags":{"a":1}}`},
		{e: one, method: "PATCH", path: "/users/77", body: `{"age":1}`, status: 404},
		{e: one, method: "DELETE", path: "/users/2", status: 204},
		{e: one, method: "DELETE", path: "/users/2", status: 404},
		{e: one, method: "POST", path: "/users/1", body: `{}`, status: 405, header: "Allow", hvalue: "GET, PUT, PATCH, DELETE"},
		{e: coll, method: "DELETE", path: "/users", status: 405, header: "Allow", hvalue: "GET, POST"},
		{e: one, method: "GET", path: "/names", status: 200, want: `Ann;Cid;Dee;Edward;`},
		{e: one, method: "GET", path: "/name/3", status: 200, want: `{"name":"Cid"}`},
		{e: coll, method: "GET", path: "/users", status: 200, header: "X-Total-Count", hvalue: "4"},
		{e: one, method: "POST", path: "/reset", status: 204},
		{e: coll, method: "GET", path: "/users", status: 200, header: "X-Total-Count", hvalue: "3"},
		{e: coll, method: "POST", path: "/users", body: `{"name":"Dee"}`, status: 201, want: `{"id":4,"name":"Dee"}`},
	})
}

// TestCRUDPagingExtremes: _page and _limit up to the largest int page
// past the end, never out of a slice's bounds.
func TestCRUDPagingExtremes(t *testing.T) {
	coll := stateEngine(t, &state.Registry{}, `{"rules": [{"name": "users", "crud": {"data_set": "users", "path": "/users", "seed": `+usersSeed+`}}]}`)
	const maxInt = "9223372036854775807"
	var calls []call
	for _, q := range []string{
		"_page=2&_limit=" + maxInt,
		"_page=" + maxInt + "&_limit=" + maxInt,
		"_page=" + maxInt,
		"_page=4611686018427387904&_limit=2",
		"_page=3&_limit=4611686018427387904",
	} {
		calls = append(calls, call{e: coll, method: "GET", path: "/users?" + q, status: 200, want: "[]", header: "X-Total-Count", hvalue: "3"})
	}
	calls = append(calls, call{e: coll, method: "GET", path: "/users?_page=1&_limit=" + maxInt, status: 200, header: "X-Total-Count", hvalue: "3"},
		call{e: coll, method: "GET", path: "/users?_page=9223372036854775808", status: 400})
	run(t, calls)
}

// TestCRUDFilterManyValues: 4 000 alternatives for one field, two of
// which match, find exactly those two items. What they cost is
// BenchmarkCRUDFilterValues's: the values are looked up in a set, not
// compared one by one.
func TestCRUDFilterManyValues(t *testing.T) {
	coll := filterEngine(t, 4000)
	res, _ := serve(coll, backendRequest(t, "GET", filterTarget(4000), "", nil))
	if res.StatusCode != 200 || res.Header.Get(TotalCountHeader) != "2" {
		t.Fatalf("status %d, %s items", res.StatusCode, res.Header.Get(TotalCountHeader))
	}
}

// filterEngine serves the collection /d of items {"id":i,"n":i}.
func filterEngine(t testing.TB, items int) *Engine {
	seed := make([]string, items)
	for i := range seed {
		seed[i] = fmt.Sprintf(`{"id":%d,"n":%d}`, i, i)
	}
	return stateEngine(t, &state.Registry{}, `{"rules": [{"name": "c", "crud": {"data_set": "d", "path": "/d", "seed": [`+strings.Join(seed, ",")+`]}}]}`)
}

// filterTarget asks for the items whose n is one of values alternatives,
// of which only 7 and 3999 exist.
func filterTarget(values int) string {
	return "http://backend/d?" + strings.Repeat("n=x&", values-2) + "n=7&n=3999"
}

func TestStoreLimits(t *testing.T) {
	reg := &state.Registry{}
	e := stateEngine(t, reg, `{"store": {"name": "small", "max_items": 2, "max_bytes": 40}, "rules": [
		{"name": "c", "match": {"path": "/things{,/**}"}, "crud": {"data_set": "things", "path": "/things"}},
		{"name": "v", "set": {"a": "{{ .Query.Get \"v\" }}"}, "response": {"status": 204}}]}`)
	run(t, []call{
		{e: e, method: "POST", path: "/things", body: `{}`, status: 201},
		{e: e, method: "POST", path: "/things", body: `{"x":"0123456789012345678901234"}`, status: 507,
			want: `{"error":"data set \"things\" is full: max_bytes 40","rule":"c"}`},
		{e: e, method: "POST", path: "/things", body: `{}`, status: 201},
		{e: e, method: "POST", path: "/things", body: `{}`, status: 507, want: `{"error":"data set \"things\" is full: max_items 2","rule":"c"}`},
		{e: e, method: "GET", path: "/v?v=" + strings.Repeat("x", 41), status: 507},
		{e: e, method: "GET", path: "/v?v=short", status: 204},
	})
}

func TestStoreSettingsMustAgree(t *testing.T) {
	reg := &state.Registry{}
	stateEngine(t, reg, `{"store": {"name": "s", "max_items": 5}, "rules": []}`)
	_, err := New(context.Background(), decodeJSON(t, `{"store": {"name": "s", "max_items": 6}, "rules": []}`), Options{Registry: reg})
	if err == nil || !strings.HasPrefix(err.Error(), `store: store "s" is configured differently by another backend`) {
		t.Errorf("got %v", err)
	}
	stateEngine(t, reg, `{"rules": [{"crud": {"data_set": "d", "path": "/d", "seed": [{"id": 1}]}}]}`)
	_, err = New(context.Background(), decodeJSON(t, `{"rules": [{"crud": {"data_set": "d", "path": "/d", "seed": [{"id": 2}]}}]}`), Options{Registry: reg})
	if err == nil || !strings.Contains(err.Error(), `rules[0].crud.data_set: data set "d" is seeded differently`) {
		t.Errorf("got %v", err)
	}
}

// TestRedisUnreachable: a store that cannot be reached answers 503 naming
// the store, within its timeout, and never falls back to memory.
func TestRedisUnreachable(t *testing.T) {
	reg := &state.Registry{}
	e := stateEngine(t, reg, `{"store": {"name": "gone", "redis": "redis://127.0.0.1:1/0", "timeout": "200ms"}, "rules": [
		{"name": "c", "crud": {"data_set": "users", "path": "/users"}},
		{"name": "s", "match": {"path": "/s"}, "scenario": {"name": "x", "state": "Started"}, "response": {"body": 1}},
		{"name": "t", "match": {"path": "/t"}, "response": {"body": "{{ variable \"v\" }}"}}]}`)
	start := time.Now()
	run(t, []call{
		{e: e, method: "GET", path: "/users/1", status: 503, want: `{"error":"store unavailable","rule":"c","store":"gone"}`},
		{e: e, method: "GET", path: "/s", status: 503, want: `{"error":"store unavailable","rule":"s","store":"gone"}`},
		{e: e, method: "GET", path: "/t", status: 503, want: `{"error":"store unavailable","rule":"t","store":"gone"}`},
	})
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestStateUnderConcurrentLoad mixes reads and writes of every kind from
// 16 goroutines against two backends sharing a memory store, and counts:
// no increment, creation or merge is lost.
func TestStateUnderConcurrentLoad(t *testing.T) {
	reg := &state.Registry{}
	const rules = `
		{"name": "inc", "match": {"path": "/inc"}, "increment": {"hits": 1}, "response": {"status": 204}},
		{"name": "hits", "match": {"path": "/hits"}, "response": {"body": "{{ counterValue \"hits\" }}"}},`
	a := stateEngine(t, reg, `{"rules": [`+rules+`
		{"name": "c", "crud": {"data_set": "load", "path": "/load", "seed": [{"id": "shared", "n": 0}]}}]}`)
	b := stateEngine(t, reg, `{"rules": [`+rules+`
		{"name": "c", "crud": {"data_set": "load", "path": "/load"}}]}`)
	const workers, each = 16, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				e := a
				if (w+i)%2 == 0 {
					e = b
				}
				reqs := []struct{ m, p, b string }{
					{"GET", "/inc", ""},
					{"POST", "/load", fmt.Sprintf(`{"w":%d,"i":%d}`, w, i)},
					{"PATCH", "/load/shared", fmt.Sprintf(`{"w%d":%d}`, w, i)},
					{"GET", "/load/shared", ""},
					{"GET", "/load?_limit=5", ""},
					{"GET", "/hits", ""},
				}
				for _, r := range reqs {
					res, body := serve(e, backendRequest(t, r.m, "http://backend"+r.p, r.b, nil))
					if res.StatusCode >= 300 {
						t.Errorf("%s %s: %d %s", r.m, r.p, res.StatusCode, body)
					}
				}
			}
		}()
	}
	wg.Wait()
	_, hits := serve(b, backendRequest(t, "GET", "http://backend/hits", "", nil))
	if hits != strconv.Quote(strconv.Itoa(workers*each)) {
		t.Errorf("hits = %s, want %d", hits, workers*each)
	}
	res, _ := serve(b, backendRequest(t, "GET", "http://backend/load", "", nil))
	if n := res.Header.Get("X-Total-Count"); n != strconv.Itoa(workers*each+1) {
		t.Errorf("%s items, want %d", n, workers*each+1)
	}
	_, shared := serve(b, backendRequest(t, "GET", "http://backend/load/shared", "", nil))
	var got map[string]any
	if err := json.Unmarshal([]byte(shared), &got); err != nil {
		t.Fatal(err)
	}
	for w := range workers {
		if got["w"+strconv.Itoa(w)] != float64(each-1) {
			t.Errorf("the merge of worker %d was lost: %s", w, shared)
		}
	}
}

func TestScenarioInitialStatesMustAgree(t *testing.T) {
	reg := &state.Registry{}
	stateEngine(t, reg, `{"rules": [{"scenario": {"name": "s", "initial": "empty", "state": "empty"}, "response": {"body": 1}}]}`)
	_, err := New(context.Background(), decodeJSON(t, `{"rules": [{"scenario": {"name": "s", "initial": "full", "next": "empty"}, "response": {"body": 1}}]}`), Options{Registry: reg})
	if err == nil || !strings.HasPrefix(err.Error(), `rules[0].scenario.initial: scenario "s" starts in "full" here and in "empty" in backend`) {
		t.Errorf("got %v", err)
	}
}

// TestStoreReleasedWhenContextEnds: the last engine using a store gives
// it back when its context ends (the gateway's shutdown), which closes it.
func TestStoreReleasedWhenContextEnds(t *testing.T) {
	reg := &state.Registry{}
	dir := t.TempDir()
	cfg := `{"store": {"name": "p", "persist_file": "` + dir + `/s.json"}, "rules": [{"increment": {"n": 1}, "response": {"status": 204}}]}`
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	e1, err := New(ctx1, decodeJSON(t, cfg), Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(ctx2, decodeJSON(t, cfg), Options{Registry: reg}); err != nil {
		t.Fatal(err)
	}
	serve(e1, backendRequest(t, "GET", "http://backend/x", "", nil))
	cancel1()
	cancel2()
	// The store, saved when it closes, is in the file; a new engine on the
	// same registry makes a new store from it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		e3, err := New(context.Background(), decodeJSON(t, cfg), Options{Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		if e3.store != e1.store {
			if n, _ := e3.store.Counter(context.Background(), "n"); n != 1 {
				t.Errorf("counter %d after the store closed and was reloaded", n)
			}
			return
		}
		reg.Release(e3.store)
		if time.Now().After(deadline) {
			t.Fatal("the store was never released")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
