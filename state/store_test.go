package state

import (
	"context"
	"errors"
	"fmt"
	"krakend-rules/internal/redistest"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var limits = Limits{MaxItems: 100000, MaxBytes: 64 << 20}

// stores returns a fresh store of each kind, memory and Redis (on a
// redis-server started for the test).
func stores(t *testing.T, l Limits) map[string]Store {
	srv := redistest.Start(t)
	r, err := NewRedis("r", l, srv.URL(0), "test:", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return map[string]Store{"memory": NewMemory("m", l), "redis": r}
}

func TestStoreSemantics(t *testing.T) {
	ctx := context.Background()
	for kind, s := range stores(t, Limits{MaxItems: 3, MaxBytes: 100}) {
		t.Run(kind, func(t *testing.T) {
			seed := []Item{*mustItem(t, `{"id":1,"a":"x"}`), *mustItem(t, `{"id":"k","a":"y"}`)}
			if err := s.DefineDataSet("o1", "set", "id", seed); err != nil {
				t.Fatal(err)
			}
			if err := s.DefineDataSet("o2", "set", "id", []Item{*mustItem(t, `{"id":2}`)}); err == nil {
				t.Error("another owner's different seed was accepted")
			}
			if err := s.DefineDataSet("o2", "set", "id", nil); err != nil {
				t.Errorf("another owner's use without a seed: %v", err)
			}
			list, err := s.List(ctx, "set")
			if err != nil || len(list) != 2 || list[0].ID != "1" || list[1].ID != "k" {
				t.Fatalf("List = %v, %v", list, err)
			}
			it, err := s.Create(ctx, "set", []byte(`{"b":true}`))
			if err != nil || it.ID != "2" || string(it.JSON) != `{"b":true,"id":2}` {
				t.Fatalf("Create = %+v, %v", it, err)
			}
			if _, err := s.Create(ctx, "set", []byte(`{"id":"k"}`)); !errors.Is(err, ErrExists) {
				t.Errorf("a taken id: %v", err)
			}
			var full *FullError
			if _, err := s.Create(ctx, "set", []byte(`{}`)); !errors.As(err, &full) || full.Limit != "max_items 3" {
				t.Errorf("past max_items: %v", err)
			}
			if _, err := s.Update(ctx, "set", "k", func(old []byte) ([]byte, error) {
				return Merge(old, []byte(`{"c":"`+strings.Repeat("x", 90)+`"}`), "id")
			}); !errors.As(err, &full) {
				t.Errorf("past max_bytes: %v", err)
			}
			it, err = s.Update(ctx, "set", "k", func(old []byte) ([]byte, error) { return Merge(old, []byte(`{"a":null,"z":1}`), "id") })
			if err != nil || string(it.JSON) != `{"id":"k","z":1}` {
				t.Errorf("Update = %+v, %v", it, err)
			}
			if err := s.Delete(ctx, "set", "1"); err != nil {
				t.Error(err)
			}
			if err := s.Delete(ctx, "set", "1"); !errors.Is(err, ErrNotFound) {
				t.Errorf("second delete: %v", err)
			}
			if _, err := s.Get(ctx, "set", "1"); !errors.Is(err, ErrNotFound) {
				t.Errorf("get deleted: %v", err)
			}
			if err := s.ResetDataSet(ctx, "set"); err != nil {
				t.Fatal(err)
			}
			if list, _ := s.List(ctx, "set"); len(list) != 2 {
				t.Errorf("after reset: %d items", len(list))
			}

			if err := s.DefineScenario("o1", "sc", "empty"); err != nil {
				t.Fatal(err)
			}
			if st, _ := s.Scenario(ctx, "sc"); st != "empty" {
				t.Errorf("initial state %q", st)
			}
			if ok, _ := s.MoveScenario(ctx, "sc", "other", "x"); ok {
				t.Error("moved from a state it is not in")
			}
			if ok, _ := s.MoveScenario(ctx, "sc", "empty", "one"); !ok {
				t.Error("did not move")
			}
			if st, _ := s.Scenario(ctx, "sc"); st != "one" {
				t.Errorf("state %q", st)
			}
			s.ResetScenarios(ctx, nil)
			if st, _ := s.Scenario(ctx, "sc"); st != "empty" {
				t.Errorf("after reset: %q", st)
			}

			s.SetVariable(ctx, "v", "1")
			if n, _ := s.Increment(ctx, "c", 5); n != 5 {
				t.Errorf("Increment = %d", n)
			}
			s.ResetVariables(ctx, []string{"v"})
			if v, _ := s.Variable(ctx, "v"); v != "" {
				t.Errorf("after reset v = %q", v)
			}
			if n, _ := s.Counter(ctx, "c"); n != 5 {
				t.Errorf("counter c = %d", n)
			}
		})
	}
}

func mustItem(t *testing.T, j string) *Item {
	it, err := NewItem([]byte(j), "id", func() string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// TestConcurrentLoadLosesNothing: 16 goroutines, each with a store of its
// own over the same state (for Redis: its own client, as a gateway
// replica has), mix reads and writes; every increment, creation and merge
// is counted at the end.
func TestConcurrentLoadLosesNothing(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	mem := NewMemory("m", limits)
	kinds := map[string]func(i int) Store{
		"memory": func(int) Store { return mem },
		"redis": func(int) Store {
			r, err := NewRedis("r", limits, srv.URL(1), "load:", 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			return r
		},
	}
	for kind, open := range kinds {
		t.Run(kind, func(t *testing.T) {
			const workers, each = 16, 100
			replicas := make([]Store, workers)
			for i := range replicas {
				replicas[i] = open(i)
				replicas[i].DefineDataSet("o", "load", "id", []Item{*mustItem(t, `{"id":"shared"}`)})
			}
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s := replicas[w]
					for i := range each {
						if _, err := s.Increment(ctx, "hits", 1); err != nil {
							errs <- err
							return
						}
						if _, err := s.Create(ctx, "load", []byte(fmt.Sprintf(`{"w":%d,"i":%d}`, w, i))); err != nil {
							errs <- err
							return
						}
						if _, err := s.Update(ctx, "load", "shared", func(old []byte) ([]byte, error) {
							return Merge(old, []byte(`{"w`+strconv.Itoa(w)+`":`+strconv.Itoa(i)+`}`), "id")
						}); err != nil {
							errs <- err
							return
						}
						if _, err := s.Get(ctx, "load", "shared"); err != nil {
							errs <- err
							return
						}
						if i%10 == 0 {
							if _, err := s.List(ctx, "load"); err != nil {
								errs <- err
								return
							}
						}
						s.MoveScenario(ctx, "flip", "", strconv.Itoa(i))
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			s := replicas[0]
			if n, _ := s.Counter(ctx, "hits"); n != workers*each {
				t.Errorf("hits = %d, want %d: increments were lost", n, workers*each)
			}
			list, _ := s.List(ctx, "load")
			if len(list) != workers*each+1 {
				t.Errorf("%d items, want %d: creations were lost", len(list), workers*each+1)
			}
			ids := map[string]bool{}
			for _, it := range list {
				if ids[it.ID] {
					t.Errorf("id %s given twice", it.ID)
				}
				ids[it.ID] = true
			}
			shared, _ := s.Get(ctx, "load", "shared")
			for w := range workers {
				want := fmt.Sprintf(`"w%d":%d`, w, each-1)
				if !contains(string(shared.JSON), want) {
					t.Errorf("worker %d's last merge was lost: %s", w, shared.JSON)
				}
			}
		})
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestMemoryPersists(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.json")
	m, err := NewPersistedMemory("p", limits, path)
	if err != nil {
		t.Fatal(err)
	}
	m.DefineDataSet("o", "users", "id", []Item{*mustItem(t, `{"id":1}`)})
	m.Create(ctx, "users", []byte(`{"name":"x"}`))
	m.MoveScenario(ctx, "s", "", "two")
	m.Increment(ctx, "c", 3)
	m.SetVariable(ctx, "v", "hello")
	if err := m.Close(); err != nil { // saves
		t.Fatal(err)
	}
	m2, err := NewPersistedMemory("p", limits, path)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	m2.DefineDataSet("o", "users", "id", []Item{*mustItem(t, `{"id":1}`)})
	list, _ := m2.List(ctx, "users")
	if len(list) != 2 || string(list[1].JSON) != `{"id":2,"name":"x"}` {
		t.Errorf("reloaded items: %v", list)
	}
	it, _ := m2.Create(ctx, "users", []byte(`{}`))
	if it.ID != "3" {
		t.Errorf("the id sequence restarted: %s", it.ID)
	}
	if st, _ := m2.Scenario(ctx, "s"); st != "two" {
		t.Errorf("scenario %q", st)
	}
	if n, _ := m2.Counter(ctx, "c"); n != 3 {
		t.Errorf("counter %d", n)
	}
	if v, _ := m2.Variable(ctx, "v"); v != "hello" {
		t.Errorf("variable %q", v)
	}
}

func TestRedisUnreachableIsAnError(t *testing.T) {
	r, err := NewRedis("gone", limits, "redis://127.0.0.1:1/0", "x:", 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var un *UnavailableError
	if _, err := r.Get(context.Background(), "s", "1"); !errors.As(err, &un) || un.Store != "gone" {
		t.Errorf("Get = %v", err)
	}
	if _, err := r.Increment(context.Background(), "c", 1); !errors.As(err, &un) {
		t.Errorf("Increment = %v", err)
	}
}

// TestRedisSilentServerIsBounded: a server that accepts connections and
// never answers costs a command at most about twice the store's timeout
// (one retry), never a hang.
func TestRedisSilentServerIsBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	r, err := NewRedis("silent", limits, "redis://"+ln.Addr().String()+"/0", "x:", 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	start := time.Now()
	var un *UnavailableError
	if _, err := r.Increment(context.Background(), "c", 1); !errors.As(err, &un) {
		t.Errorf("Increment = %v", err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("took %v with a 200ms timeout", d)
	}
}

// TestReadingUndefinedDataSetsKeepsNothing: a template reading a data set
// its request names ({{ items (.Query.Get "s") }}) reads an empty set for
// a name no rule defines, and keeps nothing of it: before, each name was a
// set kept for the process's life in memory, or keys written to Redis.
func TestReadingUndefinedDataSetsKeepsNothing(t *testing.T) {
	ctx := context.Background()
	for kind, s := range stores(t, limits) {
		t.Run(kind, func(t *testing.T) {
			if err := s.DefineDataSet("o", "known", "id", []Item{*mustItem(t, `{"id":1}`)}); err != nil {
				t.Fatal(err)
			}
			for i := range 50 {
				name := "undefined" + strconv.Itoa(i)
				if list, err := s.List(ctx, name); err != nil || len(list) != 0 {
					t.Fatalf("List %s = %v, %v", name, list, err)
				}
				if _, err := s.Get(ctx, name, "1"); !errors.Is(err, ErrNotFound) {
					t.Fatalf("Get %s: %v", name, err)
				}
			}
			if list, err := s.List(ctx, "known"); err != nil || len(list) != 1 {
				t.Fatalf("List known = %v, %v", list, err)
			}
			switch s := s.(type) {
			case *Memory:
				if len(s.sets) != 1 {
					t.Errorf("%d sets kept, want only the defined one", len(s.sets))
				}
			case *Redis:
				keys, err := s.client.Keys(ctx, "test:set:*").Result()
				if err != nil || len(keys) != 3 || len(s.seeded) != 1 {
					t.Errorf("keys %v (%v), %d seeded: want only the defined set's", keys, err, len(s.seeded))
				}
			}
		})
	}
}
