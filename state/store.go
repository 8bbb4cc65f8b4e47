// Package state holds what rules share by name across every backend of a
// gateway process (and, with Redis, across gateway replicas): scenario
// states, variables, counters and CRUD data sets. A Store is either in
// memory (bounded, optionally persisted to a file) or in Redis; stores are
// shared through a Registry, by name.
package state

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// Item is one stored element of a data set: its JSON object, and its
// length as a header value, prepared once so that serving it allocates
// nothing. An Item is never changed once stored.
type Item struct {
	ID     string
	JSON   []byte
	Length []string // strconv.Itoa(len(JSON)), as a header value
}

// Store is what the engine needs of a state store. Every method is atomic
// on its own: two replicas or goroutines never lose each other's updates.
type Store interface {
	// Name is the store's configured name, for error answers and logs.
	Name() string

	// Define registers what a configuration says about the store's
	// content: scenarios' initial states and data sets' seeds. It does no
	// input or output. The same name defined twice differently by two
	// owners is an error; one owner may redefine its own (a reloaded
	// rules_file).
	DefineScenario(owner, name, initial string) error
	DefineDataSet(owner, name, idField string, seed []Item) error

	Scenario(ctx context.Context, name string) (string, error)
	// MoveScenario moves the scenario to the state to when it is in the
	// state from (from "" means any state), atomically, and tells whether
	// it did: of two requests that find a scenario in one state, only one
	// moves it.
	MoveScenario(ctx context.Context, name, from, to string) (bool, error)
	// ResetScenarios puts the named scenarios (all of them when names is
	// nil) back in their initial state.
	ResetScenarios(ctx context.Context, names []string) error

	Variable(ctx context.Context, name string) (string, error)
	SetVariable(ctx context.Context, name, value string) error
	Counter(ctx context.Context, name string) (int64, error)
	Increment(ctx context.Context, name string, by int64) (int64, error)
	// ResetVariables removes the named variables and counters (all when
	// names is nil).
	ResetVariables(ctx context.Context, names []string) error

	// List returns a data set's items in the order they were created.
	List(ctx context.Context, set string) ([]*Item, error)
	// Get returns the item with that id, or ErrNotFound.
	Get(ctx context.Context, set, id string) (*Item, error)
	// Create stores a new item. An object without the data set's id
	// field gets one (the next integer that no item of the data set has);
	// an object with an id taken already fails with ErrExists.
	Create(ctx context.Context, set string, object []byte) (*Item, error)
	// Update replaces the item with fn's result, atomically: fn sees the
	// item as stored and may run again if another writer changed it in
	// between. ErrNotFound when there is no such item.
	Update(ctx context.Context, set, id string, fn func(old []byte) ([]byte, error)) (*Item, error)
	// Delete removes the item; ErrNotFound when there is none.
	Delete(ctx context.Context, set, id string) error
	// DataSets names the data sets the process's configurations define.
	DataSets() []string
	// ResetDataSet puts the data set back to its seed.
	ResetDataSet(ctx context.Context, set string) error

	// Close releases the store's connections and goroutines, saving a
	// persisted memory store one last time.
	Close() error
}

// Errors a Store returns. Each maps to one documented answer.
var (
	// ErrNotFound: no item with that id (404).
	ErrNotFound = errors.New("not found")
	// ErrExists: an item with that id exists already (409).
	ErrExists = errors.New("an item with this id exists already")
)

// FullError says that a write would take a data set (or the variables)
// past the store's max_items or max_bytes (507).
type FullError struct {
	Set   string
	Limit string // "max_items 1000", "max_bytes 1048576"
}

func (e *FullError) Error() string {
	return fmt.Sprintf("%s is full: %s", e.Set, e.Limit)
}

// UnavailableError says that the store could not be reached or did not
// answer in time (503). The engine never falls back to another store.
type UnavailableError struct {
	Store string
	Err   error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("store %q unavailable: %v", e.Store, e.Err)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Limits bound a store.
type Limits struct {
	// MaxItems is the most items one data set holds, and the most
	// variables and counters the store holds.
	MaxItems int
	// MaxBytes is the most bytes of JSON one data set holds, and the
	// longest value a variable holds.
	MaxBytes int64
}

// fit tells whether a seed fits a data set within the limits.
func (l Limits) fit(name string, seed []Item) error {
	if len(seed) > l.MaxItems {
		return &FullError{Set: "data set " + strconv.Quote(name), Limit: "max_items " + strconv.Itoa(l.MaxItems)}
	}
	var n int64
	for _, it := range seed {
		n += int64(len(it.JSON))
	}
	if n > l.MaxBytes {
		return &FullError{Set: "data set " + strconv.Quote(name), Limit: "max_bytes " + strconv.FormatInt(l.MaxBytes, 10)}
	}
	return nil
}

// DefaultStoreName is the name of the store of a configuration that names
// none.
const DefaultStoreName = "default"

// definitions are the scenarios and data sets configurations defined,
// shared by both kinds of store.
type definitions struct {
	scenarios map[string]definition[string]
	sets      map[string]definition[dataSetDef]
}

type definition[T any] struct {
	owner string
	value T
}

type dataSetDef struct {
	idField string
	seed    []Item
}

func (d *definitions) defineScenario(owner, name, initial string) error {
	if d.scenarios == nil {
		d.scenarios = map[string]definition[string]{}
	}
	if old, ok := d.scenarios[name]; ok && old.owner != owner && old.value != initial {
		return fmt.Errorf("scenario %q starts in %q here and in %q in %s: one scenario has one initial state", name, initial, old.value, old.owner)
	}
	d.scenarios[name] = definition[string]{owner, initial}
	return nil
}

func (d *definitions) defineDataSet(owner, name, idField string, seed []Item) error {
	if d.sets == nil {
		d.sets = map[string]definition[dataSetDef]{}
	}
	def := dataSetDef{idField, seed}
	if old, ok := d.sets[name]; ok && old.owner != owner {
		if old.value.idField != idField {
			return fmt.Errorf("data set %q has the id field %q here and %q in %s", name, idField, old.value.idField, old.owner)
		}
		if seed == nil {
			return nil // a rule that only uses the data set keeps its seed
		}
		if old.value.seed != nil && !sameSeed(old.value.seed, seed) {
			return fmt.Errorf("data set %q is seeded differently in %s: give the seed once, or the same seed everywhere", name, old.owner)
		}
	}
	d.sets[name] = definition[dataSetDef]{owner, def}
	return nil
}

func (d *definitions) dataSetNames() []string {
	names := make([]string, 0, len(d.sets))
	for n := range d.sets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (d *definitions) initial(name string) string {
	if def, ok := d.scenarios[name]; ok {
		return def.value
	}
	return DefaultInitialState
}

func (d *definitions) dataSet(name string) dataSetDef {
	def, ok := d.sets[name]
	if !ok {
		return dataSetDef{idField: "id"}
	}
	return def.value
}

// DefaultInitialState is a scenario's state until a rule moves it, unless
// its rules name another: "Started", as in WireMock.
const DefaultInitialState = "Started"

func sameSeed(a, b []Item) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || string(a[i].JSON) != string(b[i].JSON) {
			return false
		}
	}
	return true
}
