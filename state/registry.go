package state

import (
	"fmt"
	"sync"
	"time"
)

// Settings configure a store; every backend that names the store must give
// the same ones.
type Settings struct {
	Name        string
	URL         string // "" for memory; redis://… or rediss://…
	Prefix      string // Redis keys' prefix
	PersistFile string // memory only
	Limits      Limits
	Timeout     time.Duration // Redis only: bounds each command
}

// Registry holds the stores of a process by name. KrakenD loads the
// plugin once per process and builds one engine per backend: the
// engines share state by using one Registry, Default.
type Registry struct {
	// DryRun makes every store a plain memory store that keeps nothing
	// (no Redis connection, no persist_file read or written) and keeps
	// released stores: the linter checks each backend's settings and
	// definitions against the others' without touching anything.
	DryRun bool

	mu     sync.Mutex
	stores map[string]*entry
}

type entry struct {
	settings Settings
	store    Store
	users    int
}

// Default is the registry of the process.
var Default = &Registry{}

// Acquire returns the store named by settings, creating it on first use.
// A store named again with other settings is an error. Each Acquire is
// balanced by a Release; the last one closes the store.
func (g *Registry) Acquire(s Settings) (Store, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stores == nil {
		g.stores = map[string]*entry{}
	}
	if e, ok := g.stores[s.Name]; ok {
		if e.settings != s {
			return nil, fmt.Errorf("store %q is configured differently by another backend (%s): every backend that names a store must give it the same settings", s.Name, describe(e.settings))
		}
		e.users++
		return e.store, nil
	}
	var st Store
	var err error
	switch {
	case g.DryRun:
		st = NewMemory(s.Name, s.Limits)
	case s.URL != "":
		st, err = NewRedis(s.Name, s.Limits, s.URL, s.Prefix, s.Timeout)
	case s.PersistFile != "":
		st, err = NewPersistedMemory(s.Name, s.Limits, s.PersistFile)
	default:
		st = NewMemory(s.Name, s.Limits)
	}
	if err != nil {
		return nil, err
	}
	g.stores[s.Name] = &entry{settings: s, store: st, users: 1}
	return st, nil
}

// Release gives back a store Acquire returned; the last release closes it.
func (g *Registry) Release(st Store) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.stores[st.Name()]
	if !ok || e.store != st || g.DryRun {
		return nil
	}
	if e.users--; e.users > 0 {
		return nil
	}
	delete(g.stores, st.Name())
	return st.Close()
}

func describe(s Settings) string {
	where := "memory"
	if s.URL != "" {
		where = "redis"
	} else if s.PersistFile != "" {
		where = "memory persisted to " + s.PersistFile
	}
	return fmt.Sprintf("%s, max_items %d, max_bytes %d", where, s.Limits.MaxItems, s.Limits.MaxBytes)
}
