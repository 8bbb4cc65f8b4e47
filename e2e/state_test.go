package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"krakend-rules/internal/redistest"
)

// stateExample reads a krakend.json of examples/state/, checks that the
// README shows it whole, and returns it with its self-references pointed
// at the gateway.
func stateExample(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "examples", "state", name))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```json\n"+string(raw)+"```\n") {
		t.Errorf("README.md does not show examples/state/%s as it is", name)
	}
	return strings.ReplaceAll(string(raw), "127.0.0.1:8080", "GATEWAY")
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

func (g *gateway) send(method, path, body string) answer {
	g.t.Helper()
	if body == "" {
		return g.do(method, path, nil, nil)
	}
	return g.do(method, path, jsonHeader, strings.NewReader(body))
}

// TestStateTodoScenario runs the README's to-do list scenario: three
// endpoints, three backends, one scenario.
func TestStateTodoScenario(t *testing.T) {
	g := startGateway(t, stateExample(t, "todo.json"))
	for round := range 2 {
		expect(t, "the list at first", g.get("/todo/items"), 200, `{"items":["Buy milk"]}`)
		expect(t, "adding", g.send("POST", "/todo/items", `{}`), 201, `{"added":"Cancel newspaper subscription"}`)
		expect(t, "the list after", g.get("/todo/items"), 200, `{"items":["Buy milk","Cancel newspaper subscription"]}`)
		expect(t, "adding again", g.send("POST", "/todo/items", `{}`), 409, `{"error":"the list is full"}`)
		expect(t, fmt.Sprint("reset ", round), g.send("POST", "/todo/reset", ""), 204, "")
	}
}

// TestStateUsersCRUD runs the README's users CRUD: the collection and its
// items are different endpoints, and so different plugin instances, over
// one data set.
func TestStateUsersCRUD(t *testing.T) {
	g := startGateway(t, stateExample(t, "users.json"))
	expect(t, "the seed", g.get("/users"), 200, `[{"id":1,"name":"Ann","role":"admin"},{"id":2,"name":"Bob","role":"user"}]`, "X-Total-Count", "2")
	expect(t, "create", g.send("POST", "/users", `{"name":"Cid","role":"user"}`), 201, `{"id":3,"name":"Cid","role":"user"}`, "Location", "/users/3")
	expect(t, "create with an id", g.send("POST", "/users", `{"id":"dee","name":"Dee","role":"admin"}`), 201, `{"id":"dee","name":"Dee","role":"admin"}`)
	expect(t, "a taken id", g.send("POST", "/users", `{"id":1}`), 409, `{"error":"an item with this id exists already","rule":"users","data_set":"users","id":"1"}`)
	expect(t, "not an object", g.send("POST", "/users", `"x"`), 400, `{"error":"the body must be a JSON object","rule":"users","data_set":"users"}`)
	expect(t, "read it through another endpoint", g.get("/users/3"), 200, `{"id":3,"name":"Cid","role":"user"}`)
	expect(t, "filter and sort", g.get("/users?role=admin&_sort=-name"), 200, `[{"id":"dee","name":"Dee","role":"admin"},{"id":1,"name":"Ann","role":"admin"}]`, "X-Total-Count", "2")
	expect(t, "a page", g.get("/users?_page=2&_limit=3"), 200, `[{"id":"dee","name":"Dee","role":"admin"}]`, "X-Total-Count", "4")
	expect(t, "patch", g.send("PATCH", "/users/2", `{"role":"admin","email":"bob@example.com"}`), 200, `{"email":"bob@example.com","id":2,"name":"Bob","role":"admin"}`)
	expect(t, "delete", g.send("DELETE", "/users/1", ""), 204, "")
	expect(t, "gone", g.get("/users/1"), 404, `{"error":"no item with this id","rule":"user","data_set":"users","id":"1"}`)
	expect(t, "a template reads the data set", g.get("/users/2/greeting"), 200, `{"greetings":"1","hello":"Bob","last":"2"}`)
	expect(t, "and the counter", g.get("/users/3/greeting"), 200, `{"greetings":"2","hello":"Cid","last":"3"}`)
}

// TestStateTwoReplicasShareRedis runs the README's two-replica set-up: two
// gateways with one krakend.json and a real redis-server; a write through
// one is read through the other, a concurrent load through both loses no
// update, and when Redis goes away both answer 503 at once.
func TestStateTwoReplicasShareRedis(t *testing.T) {
	srv := redistest.Start(t)
	cfg := strings.ReplaceAll(stateExample(t, "replicas.json"), "redis://127.0.0.1:6379/0", srv.URL(0))
	a, b := startGateway(t, cfg), startGateway(t, cfg)
	expect(t, "create through a", a.send("POST", "/orders", `{"item":"book"}`), 201, `{"id":1,"item":"book"}`)
	expect(t, "read through b", b.get("/orders/1"), 200, `{"id":1,"item":"book"}`)
	expect(t, "create through b", b.send("POST", "/orders", `{"item":"pen"}`), 201, `{"id":2,"item":"pen"}`)
	expect(t, "read through a", a.get("/orders/2"), 200, `{"id":2,"item":"pen"}`)
	expect(t, "stats through a", a.get("/stats"), 200, `{"created":"2","stored":"2"}`)

	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := a
			if w%2 == 1 {
				g = b
			}
			for i := range each {
				if r := g.send("POST", "/orders", fmt.Sprintf(`{"w":%d,"i":%d}`, w, i)); r.status != 201 {
					t.Errorf("POST: %d %s", r.status, r.body)
				}
				if r := g.get("/stats"); r.status != 200 {
					t.Errorf("stats: %d %s", r.status, r.body)
				}
			}
		}()
	}
	wg.Wait()
	n := 2 + workers*each
	expect(t, "no order and no count lost", b.get("/stats"), 200, fmt.Sprintf(`{"created":"%d","stored":"%d"}`, n, n))

	srv.Stop()
	start := time.Now()
	expect(t, "redis gone, a", a.get("/orders/1"), 503, `{"error":"store unavailable","rule":"order","store":"shared"}`)
	expect(t, "redis gone, b", b.send("POST", "/orders", `{}`), 503, `{"error":"store unavailable","rule":"orders","store":"shared"}`)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the 503s took %v", d)
	}
}

// TestStatePersistsAndSurvivesReloads: a memory store with a persist_file
// keeps its data sets across a gateway restart, and a rules_file reload
// that keeps the names keeps the state.
func TestStatePersistsAndSurvivesReloads(t *testing.T) {
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "rules.json")
	write := func(greeting string) {
		rules := `{"rules": [
			{"name": "hello", "match": {"path": "/notes/hello"}, "response": {"body": {"hello": "` + greeting + `"}}},
			{"name": "notes", "crud": {"data_set": "notes", "path": "/notes", "seed": [{"id": 1, "text": "seed"}]}}]}`
		if err := os.WriteFile(rulesFile, []byte(rules), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("one")
	persist := filepath.Join(dir, "state.json")
	plugin := `{"store": {"persist_file": "` + persist + `"}, "rules_file": "` + rulesFile + `", "reload_interval": "100ms"}`
	cfg := config(
		endpoint("POST", "/notes", "http://127.0.0.1:19", "/notes", []string{"Content-Type"}, nil, plugin),
		endpoint("GET", "/notes/{id}", "http://127.0.0.1:19", "/notes/{id}", nil, nil, plugin),
	)
	g := startGateway(t, cfg)
	expect(t, "create", g.send("POST", "/notes", `{"text":"kept"}`), 201, `{"id":2,"text":"kept"}`)
	expect(t, "before the reload", g.get("/notes/hello"), 200, `{"hello":"one"}`)
	time.Sleep(10 * time.Millisecond) // a new modification time for the file
	write("two")
	deadline := time.Now().Add(10 * time.Second)
	for g.get("/notes/hello").body != `{"hello":"two"}` && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	expect(t, "after the reload", g.get("/notes/hello"), 200, `{"hello":"two"}`)
	expect(t, "the item survived the reload", g.get("/notes/2"), 200, `{"id":2,"text":"kept"}`)
	// The store saves itself within 200ms of a change.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if b, _ := os.ReadFile(persist); strings.Contains(string(b), "kept") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the store was never saved to its persist_file")
		}
	}
	if err := g.stop(); err != nil {
		t.Fatal(err)
	}
	g2 := startGateway(t, cfg)
	expect(t, "the item survived the restart", g2.get("/notes/2"), 200, `{"id":2,"text":"kept"}`)
	expect(t, "the id sequence too", g2.send("POST", "/notes", `{"text":"next"}`), 201, `{"id":3,"text":"next"}`)
}

// withStore gives every krakend-rules object of a krakend.json the store.
func withStore(t *testing.T, cfg string, store map[string]any) string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(cfg), &v); err != nil {
		t.Fatal(err)
	}
	for _, ep := range v["endpoints"].([]any) {
		for _, be := range ep.(map[string]any)["backend"].([]any) {
			plugin := be.(map[string]any)["extra_config"].(map[string]any)["plugin/http-client"].(map[string]any)
			plugin["krakend-rules"].(map[string]any)["store"] = store
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestStateScenariosAndVariablesAcrossReplicas runs the to-do scenario and
// the users' greeting (a variable, a counter, a data set read by a
// template) on two gateways sharing Redis: each step through the other
// replica.
func TestStateScenariosAndVariablesAcrossReplicas(t *testing.T) {
	srv := redistest.Start(t)
	store := map[string]any{"name": "r", "redis": srv.URL(2)}
	todo := withStore(t, stateExample(t, "todo.json"), store)
	a, b := startGateway(t, todo), startGateway(t, todo)
	expect(t, "the list at first, b", b.get("/todo/items"), 200, `{"items":["Buy milk"]}`)
	expect(t, "adding through a", a.send("POST", "/todo/items", `{}`), 201, `{"added":"Cancel newspaper subscription"}`)
	expect(t, "the list after, b", b.get("/todo/items"), 200, `{"items":["Buy milk","Cancel newspaper subscription"]}`)
	expect(t, "adding again through b", b.send("POST", "/todo/items", `{}`), 409, `{"error":"the list is full"}`)
	expect(t, "reset through b", b.send("POST", "/todo/reset", ""), 204, "")
	expect(t, "the list after the reset, a", a.get("/todo/items"), 200, `{"items":["Buy milk"]}`)

	users := withStore(t, stateExample(t, "users.json"), store)
	c, d := startGateway(t, users), startGateway(t, users)
	expect(t, "create through c", c.send("POST", "/users", `{"name":"Cid"}`), 201, `{"id":3,"name":"Cid"}`)
	expect(t, "greet through d", d.get("/users/3/greeting"), 200, `{"greetings":"1","hello":"Cid","last":"3"}`)
	expect(t, "greet through c", c.get("/users/1/greeting"), 200, `{"greetings":"2","hello":"Ann","last":"1"}`)
}
