package state

import (
	"context"
	"strconv"
	"sync"
)

// Memory is a store in the gateway's memory: shared by every backend of
// the process, bounded by its Limits, lost at restart unless persisted
// (see persist.go). One lock guards it; reads take it shared.
type Memory struct {
	name   string
	limits Limits

	mu        sync.RWMutex
	defs      definitions
	scenarios map[string]string
	variables map[string]string
	counters  map[string]int64
	sets      map[string]*memorySet

	persist *persister // nil when no persist_file
}

type memorySet struct {
	items map[string]*Item
	order []string // ids in creation order
	bytes int64
	seq   int64 // the last generated id
}

// NewMemory returns an empty memory store.
func NewMemory(name string, limits Limits) *Memory {
	return &Memory{
		name:      name,
		limits:    limits,
		scenarios: map[string]string{},
		variables: map[string]string{},
		counters:  map[string]int64{},
		sets:      map[string]*memorySet{},
	}
}

func (m *Memory) Name() string { return m.name }

func (m *Memory) DefineScenario(owner, name, initial string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.defs.defineScenario(owner, name, initial)
}

func (m *Memory) DefineDataSet(owner, name, idField string, seed []Item) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.limits.fit(name, seed); err != nil {
		return err
	}
	return m.defs.defineDataSet(owner, name, idField, seed)
}

func (m *Memory) Scenario(_ context.Context, name string) (string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if s, ok := m.scenarios[name]; ok {
		return s, nil
	}
	return m.defs.initial(name), nil
}

func (m *Memory) MoveScenario(_ context.Context, name, from, to string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.scenarios[name]
	if !ok {
		cur = m.defs.initial(name)
	}
	if from != "" && cur != from {
		return false, nil
	}
	m.scenarios[name] = to
	m.changed()
	return true, nil
}

func (m *Memory) ResetScenarios(_ context.Context, names []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if names == nil {
		clear(m.scenarios)
	}
	for _, n := range names {
		delete(m.scenarios, n)
	}
	m.changed()
	return nil
}

func (m *Memory) Variable(_ context.Context, name string) (string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.variables[name], nil
}

func (m *Memory) SetVariable(_ context.Context, name, value string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if int64(len(value)) > m.limits.MaxBytes {
		return &FullError{Set: "variable " + strconv.Quote(name), Limit: "max_bytes " + strconv.FormatInt(m.limits.MaxBytes, 10)}
	}
	if _, ok := m.variables[name]; !ok && len(m.variables) >= m.limits.MaxItems {
		return &FullError{Set: "the variables", Limit: "max_items " + strconv.Itoa(m.limits.MaxItems)}
	}
	m.variables[name] = value
	m.changed()
	return nil
}

func (m *Memory) Counter(_ context.Context, name string) (int64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.counters[name], nil
}

func (m *Memory) Increment(_ context.Context, name string, by int64) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.counters[name]; !ok && len(m.counters) >= m.limits.MaxItems {
		return 0, &FullError{Set: "the counters", Limit: "max_items " + strconv.Itoa(m.limits.MaxItems)}
	}
	m.counters[name] += by
	m.changed()
	return m.counters[name], nil
}

func (m *Memory) ResetVariables(_ context.Context, names []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if names == nil {
		clear(m.variables)
		clear(m.counters)
	}
	for _, n := range names {
		delete(m.variables, n)
		delete(m.counters, n)
	}
	m.changed()
	return nil
}

// defined tells whether a rule defines the data set. Reading one that no
// rule defines (a template naming it from the request) reads an empty set
// and keeps nothing, so that names cannot pile up; m.mu is held.
func (m *Memory) defined(name string) bool {
	_, ok := m.defs.sets[name]
	return ok
}

// set returns the data set, seeding it on first use; m.mu is held for
// writing.
func (m *Memory) set(name string) *memorySet {
	s, ok := m.sets[name]
	if !ok {
		s = &memorySet{items: map[string]*Item{}}
		s.seed(m.defs.dataSet(name).seed)
		m.sets[name] = s
	}
	return s
}

func (s *memorySet) seed(seed []Item) {
	clear(s.items)
	s.order, s.bytes, s.seq = s.order[:0], 0, 0
	for i := range seed {
		it := seed[i]
		s.items[it.ID] = &it
		s.order = append(s.order, it.ID)
		s.bytes += int64(len(it.JSON))
		if n, err := strconv.ParseInt(it.ID, 10, 64); err == nil && n > s.seq {
			s.seq = n
		}
	}
}

func (m *Memory) List(_ context.Context, name string) ([]*Item, error) {
	m.mu.RLock()
	s, ok := m.sets[name]
	if ok {
		defer m.mu.RUnlock()
		out := make([]*Item, len(s.order))
		for i, id := range s.order {
			out[i] = s.items[id]
		}
		return out, nil
	}
	m.mu.RUnlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.defined(name) {
		return []*Item{}, nil
	}
	s = m.set(name)
	out := make([]*Item, len(s.order))
	for i, id := range s.order {
		out[i] = s.items[id]
	}
	return out, nil
}

func (m *Memory) Get(_ context.Context, name, id string) (*Item, error) {
	m.mu.RLock()
	if s, ok := m.sets[name]; ok {
		it := s.items[id]
		m.mu.RUnlock()
		if it == nil {
			return nil, ErrNotFound
		}
		return it, nil
	}
	m.mu.RUnlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.defined(name) {
		return nil, ErrNotFound
	}
	if it := m.set(name).items[id]; it != nil {
		return it, nil
	}
	return nil, ErrNotFound
}

func (m *Memory) Create(_ context.Context, name string, object []byte) (*Item, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.set(name)
	it, err := NewItem(object, m.defs.dataSet(name).idField, func() string {
		for {
			s.seq++
			if id := strconv.FormatInt(s.seq, 10); s.items[id] == nil {
				return id
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if s.items[it.ID] != nil {
		return nil, ErrExists
	}
	if err := m.fits(name, s, 1, int64(len(it.JSON))); err != nil {
		return nil, err
	}
	s.items[it.ID] = it
	s.order = append(s.order, it.ID)
	s.bytes += int64(len(it.JSON))
	m.changed()
	return it, nil
}

func (m *Memory) fits(name string, s *memorySet, more int, bytes int64) error {
	if len(s.items)+more > m.limits.MaxItems {
		return &FullError{Set: "data set " + strconv.Quote(name), Limit: "max_items " + strconv.Itoa(m.limits.MaxItems)}
	}
	if s.bytes+bytes > m.limits.MaxBytes {
		return &FullError{Set: "data set " + strconv.Quote(name), Limit: "max_bytes " + strconv.FormatInt(m.limits.MaxBytes, 10)}
	}
	return nil
}

func (m *Memory) Update(_ context.Context, name, id string, fn func(old []byte) ([]byte, error)) (*Item, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.set(name)
	old := s.items[id]
	if old == nil {
		return nil, ErrNotFound
	}
	b, err := fn(old.JSON)
	if err != nil {
		return nil, err
	}
	it := ItemFromStored(id, b)
	if err := m.fits(name, s, 0, int64(len(b)-len(old.JSON))); err != nil {
		return nil, err
	}
	s.items[id] = it
	s.bytes += int64(len(b) - len(old.JSON))
	m.changed()
	return it, nil
}

func (m *Memory) Delete(_ context.Context, name, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.set(name)
	old := s.items[id]
	if old == nil {
		return ErrNotFound
	}
	delete(s.items, id)
	for i, oid := range s.order {
		if oid == id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	s.bytes -= int64(len(old.JSON))
	m.changed()
	return nil
}

func (m *Memory) ResetDataSet(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.set(name).seed(m.defs.dataSet(name).seed)
	m.changed()
	return nil
}

// changed tells the persister, if any, that there is something to save;
// m.mu is held.
func (m *Memory) changed() {
	if m.persist != nil {
		m.persist.mark()
	}
}

func (m *Memory) Close() error {
	if m.persist != nil {
		return m.persist.stop()
	}
	return nil
}

func (m *Memory) DataSets() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.defs.dataSetNames()
}
