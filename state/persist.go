package state

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// A memory store with a persist_file saves its content to that file within
// PersistInterval of a change (at most once per interval however many
// changes come), tries once more when it closes (the gateway's shutdown,
// which may exit before that save ends), and reloads it when the store is
// created. A crash or a stop loses at most the last interval's changes. The file is
// written whole to a temporary file beside it and renamed over it, so it
// is never half written.

// PersistInterval is how often a changed memory store is saved.
const PersistInterval = 200 * time.Millisecond

// MaxPersistFileBytes bounds the file a memory store reloads.
const MaxPersistFileBytes = 256 << 20

type snapshot struct {
	Scenarios map[string]string      `json:"scenarios"`
	Variables map[string]string      `json:"variables"`
	Counters  map[string]int64       `json:"counters"`
	DataSets  map[string]snapshotSet `json:"data_sets"`
}

type snapshotSet struct {
	Seq   int64             `json:"seq"`
	IDs   []string          `json:"ids"`
	Items []json.RawMessage `json:"items"`
}

type persister struct {
	path  string
	m     *Memory
	dirty chan struct{}
	done  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
	err   error // the last save's error, under m.mu
}

// NewPersistedMemory returns a memory store loaded from path (empty when
// the file does not exist yet) and saved there while it changes.
func NewPersistedMemory(name string, limits Limits, path string) (*Memory, error) {
	m := NewMemory(name, limits)
	if err := m.load(path); err != nil {
		return nil, err
	}
	p := &persister{path: path, m: m, dirty: make(chan struct{}, 1), done: make(chan struct{})}
	m.persist = p
	p.wg.Add(1)
	go p.run()
	return m, nil
}

func (m *Memory) load(path string) error {
	info, err := os.Stat(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if info.Size() > MaxPersistFileBytes {
		return fmt.Errorf("%s is larger than %d bytes", path, MaxPersistFileBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var snap snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return fmt.Errorf("%s is not a saved store: %v", path, err)
	}
	for k, v := range snap.Scenarios {
		m.scenarios[k] = v
	}
	for k, v := range snap.Variables {
		m.variables[k] = v
	}
	for k, v := range snap.Counters {
		m.counters[k] = v
	}
	for name, ss := range snap.DataSets {
		if len(ss.IDs) != len(ss.Items) {
			return fmt.Errorf("%s: data set %q has %d ids for %d items", path, name, len(ss.IDs), len(ss.Items))
		}
		s := &memorySet{items: map[string]*Item{}, seq: ss.Seq}
		for i, id := range ss.IDs {
			s.items[id] = ItemFromStored(id, ss.Items[i])
			s.order = append(s.order, id)
			s.bytes += int64(len(ss.Items[i]))
		}
		m.sets[name] = s
	}
	return nil
}

// mark notes a change; m.mu is held.
func (p *persister) mark() {
	select {
	case p.dirty <- struct{}{}:
	default:
	}
}

func (p *persister) run() {
	defer p.wg.Done()
	t := time.NewTicker(PersistInterval)
	defer t.Stop()
	pending := false
	for {
		select {
		case <-p.done:
			select {
			case <-p.dirty:
				pending = true
			default:
			}
			if pending { // a store that never changed leaves its file alone
				p.save()
			}
			return
		case <-p.dirty:
			pending = true
		case <-t.C:
			if pending {
				pending = false
				p.save()
			}
		}
	}
}

func (p *persister) stop() error {
	p.once.Do(func() { close(p.done) })
	p.wg.Wait()
	p.m.mu.RLock()
	defer p.m.mu.RUnlock()
	return p.err
}

// Save writes the store now (tests, and the last save at close).
func (m *Memory) Save() error {
	if m.persist == nil {
		return nil
	}
	m.persist.save()
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.persist.err
}

func (p *persister) save() {
	m := p.m
	m.mu.RLock()
	snap := snapshot{Scenarios: m.scenarios, Variables: m.variables, Counters: m.counters, DataSets: map[string]snapshotSet{}}
	for name, s := range m.sets {
		ss := snapshotSet{Seq: s.seq, IDs: s.order, Items: make([]json.RawMessage, len(s.order))}
		for i, id := range s.order {
			ss.Items[i] = s.items[id].JSON
		}
		snap.DataSets[name] = ss
	}
	b, err := json.Marshal(snap)
	m.mu.RUnlock()
	if err == nil {
		err = writeFileAtomic(p.path, b)
	}
	m.mu.Lock()
	p.err = err
	m.mu.Unlock()
}

func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp"+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
