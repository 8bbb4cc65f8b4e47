package config

import (
	"strings"
	"time"
)

// State that rules share by name — scenarios, variables, counters and CRUD
// data sets — lives in a store. Every backend of a gateway process that
// names the same store shares it; with Redis, so do the gateway's
// replicas.

// Store defaults.
const (
	DefaultStoreName     = "default"
	DefaultStoreMaxItems = 10000
	DefaultStoreMaxBytes = 16 << 20
	DefaultStoreTimeout  = 500 * time.Millisecond
	DefaultRedisPrefix   = "krakend-rules:"
)

// Store configures where a backend's state lives. Without one, a backend
// uses the memory store "default", which every backend without a store
// shares.
type Store struct {
	// Name ("name") names the store: every backend that names it shares
	// it, and must give it the same settings. Default "default".
	Name string `json:"name"`

	// Redis ("redis") keeps the store in a Redis server, shared by every
	// gateway replica that names it: a URL "redis://[user:password@]host:port/db"
	// (or "rediss://" for TLS). Without it the store is in memory.
	Redis string `json:"redis"`

	// Prefix ("prefix") starts every Redis key of the store; default
	// "krakend-rules:". Only with redis.
	Prefix string `json:"prefix"`

	// Timeout ("timeout") bounds each Redis command (connecting included):
	// past it the request answers 503. A positive Go duration; default
	// "500ms". Only with redis.
	Timeout string `json:"timeout"`
	// TimeoutValue is Timeout decoded; 0 when it is not set.
	TimeoutValue time.Duration `json:"-"`

	// PersistFile ("persist_file") keeps a memory store across restarts:
	// it is reloaded from this file at start and saved to it within 200ms
	// of a change (a stop or a crash loses at most that much). Absolute, or relative to
	// the gateway's working directory. Not with redis.
	PersistFile string `json:"persist_file"`

	// MaxItems ("max_items") is the most items one data set holds, and the
	// most variables and the most counters the store holds; a write past it
	// answers 507. A positive integer; default 10000.
	MaxItems int64 `json:"max_items"`

	// MaxBytes ("max_bytes") is the most bytes of JSON one data set holds,
	// and the longest value of a variable; a write past it answers 507. A
	// positive integer; default 16777216 (16 MiB).
	MaxBytes int64 `json:"max_bytes"`
}

// Scenario is a rule's part in a named state machine shared by every
// backend of the gateway, as WireMock's scenarios: the rule applies only
// while the scenario is in State, and moves it to Next once it answered.
type Scenario struct {
	// Name ("name") names the scenario; required.
	Name string `json:"name"`

	// Initial ("initial") is the scenario's state until a rule moves it,
	// and after a reset; default "Started". Every rule that gives it must
	// give the same one.
	Initial string `json:"initial"`

	// State ("state") is the state the scenario must be in for the rule to
	// apply. Missing: any state.
	State string `json:"state"`

	// Next ("next") is the state the scenario moves to once the rule has
	// answered. Missing: it stays.
	Next string `json:"next"`
}

// Reset puts state back: scenarios in their initial state, data sets to
// their seed, variables and counters away. "*" alone means all of that
// kind (data sets: all those the rules of the store's backends define).
type Reset struct {
	// Scenarios ("scenarios") are the scenarios to reset; ["*"] for all.
	Scenarios []string `json:"scenarios"`

	// DataSets ("data_sets") are the data sets to put back to their seed.
	DataSets []string `json:"data_sets"`

	// Variables ("variables") are the variables and counters to remove;
	// ["*"] for all.
	Variables []string `json:"variables"`
}

// CRUD answers a REST collection from a named data set shared by every
// backend of the gateway: GET Path lists, POST Path creates, and GET, PUT,
// PATCH and DELETE Path/{id} read, replace, merge and delete one item.
type CRUD struct {
	// DataSet ("data_set") names the data set; required. Every rule that
	// names it, in any backend, uses the same items.
	DataSet string `json:"data_set"`

	// Path ("path") is the collection's path on the backend request, such
	// as "/users"; "/users/{id}" is then one item. Required.
	Path string `json:"path"`

	// IDField ("id_field") is the member of each item that holds its id;
	// default "id".
	IDField string `json:"id_field"`

	// Seed ("seed") is the data set's first content: a list of objects,
	// each with its id field. At most one of seed and seed_file.
	Seed any `json:"seed"`
	// HasSeed tells whether "seed" was set.
	HasSeed bool `json:"-"`

	// SeedFile ("seed_file") is a JSON file with the seed, a list of
	// objects: absolute, or relative to the gateway's working directory.
	SeedFile string `json:"seed_file"`
}

// UsesState tells whether the rule reads or changes shared state.
func (r *Rule) UsesState() bool {
	return r.Scenario != nil || r.Set != nil || r.Increment != nil || r.Reset != nil || r.CRUD != nil
}

func decodeStore(errs *Errors, loc Path, raw any) *Store {
	s := &Store{}
	obj, ok := decodeObject[Store](errs, loc, raw,
		member{"name", func(loc Path, v any) { s.Name = nonEmptyString(errs, loc, v) }},
		member{"redis", func(loc Path, v any) {
			if s.Redis = nonEmptyString(errs, loc, v); s.Redis != "" && !strings.HasPrefix(s.Redis, "redis://") && !strings.HasPrefix(s.Redis, "rediss://") {
				errs.Add(loc, "must be a redis:// or rediss:// URL, got %q", s.Redis)
			}
		}},
		member{"prefix", func(loc Path, v any) { s.Prefix = nonEmptyString(errs, loc, v) }},
		member{"timeout", func(loc Path, v any) {
			if s.Timeout = str(errs, loc, v); s.Timeout != "" {
				t, err := parseTimeout(s.Timeout)
				if err != nil {
					errs.Add(loc, "%v", err)
				}
				s.TimeoutValue = t
			}
		}},
		member{"persist_file", func(loc Path, v any) { s.PersistFile = nonEmptyString(errs, loc, v) }},
		member{"max_items", func(loc Path, v any) { positive(errs, loc, v, &s.MaxItems) }},
		member{"max_bytes", func(loc Path, v any) { positive(errs, loc, v, &s.MaxBytes) }},
	)
	if !ok {
		return nil
	}
	_, hasRedis := obj["redis"]
	for _, f := range []string{"prefix", "timeout"} {
		if _, set := obj[f]; set && !hasRedis {
			errs.Add(loc.Field(f), "goes with redis")
		}
	}
	if _, set := obj["persist_file"]; set && hasRedis {
		errs.Add(loc.Field("persist_file"), "is for a memory store: a redis store is kept by Redis")
	}
	return s
}

// StoreSettings returns the store's settings with their defaults.
func (c *Config) StoreSettings() Store {
	s := Store{Name: DefaultStoreName, MaxItems: DefaultStoreMaxItems, MaxBytes: DefaultStoreMaxBytes}
	if c.Store != nil {
		s = *c.Store
		if s.Name == "" {
			s.Name = DefaultStoreName
		}
		if s.MaxItems == 0 {
			s.MaxItems = DefaultStoreMaxItems
		}
		if s.MaxBytes == 0 {
			s.MaxBytes = DefaultStoreMaxBytes
		}
	}
	if s.Redis != "" {
		if s.Prefix == "" {
			s.Prefix = DefaultRedisPrefix
		}
		if s.TimeoutValue == 0 {
			s.TimeoutValue = DefaultStoreTimeout
		}
	}
	return s
}

func decodeScenario(errs *Errors, loc Path, raw any) *Scenario {
	s := &Scenario{}
	obj, ok := decodeObject[Scenario](errs, loc, raw,
		member{"name", func(loc Path, v any) { s.Name = nonEmptyString(errs, loc, v) }},
		member{"initial", func(loc Path, v any) { s.Initial = nonEmptyString(errs, loc, v) }},
		member{"state", func(loc Path, v any) { s.State = nonEmptyString(errs, loc, v) }},
		member{"next", func(loc Path, v any) { s.Next = nonEmptyString(errs, loc, v) }},
	)
	if !ok {
		return nil
	}
	if _, set := obj["name"]; !set {
		errs.Add(loc.Field("name"), "is required")
	}
	_, hasState := obj["state"]
	_, hasNext := obj["next"]
	if !hasState && !hasNext {
		errs.Add(loc, "sets neither state nor next: give the state the rule requires, the state it moves to, or both")
	}
	return s
}

func decodeReset(errs *Errors, loc Path, raw any) *Reset {
	r := &Reset{}
	obj, ok := decodeObject[Reset](errs, loc, raw,
		member{"scenarios", func(loc Path, v any) { r.Scenarios = nameList(errs, loc, v, true) }},
		member{"data_sets", func(loc Path, v any) { r.DataSets = nameList(errs, loc, v, true) }},
		member{"variables", func(loc Path, v any) { r.Variables = nameList(errs, loc, v, true) }},
	)
	if ok && len(obj) == 0 {
		errs.Add(loc, "resets nothing: give scenarios, data_sets or variables")
	}
	return r
}

// nameList decodes a non-empty list of non-empty names, where "*" may
// stand alone for all.
func nameList(errs *Errors, loc Path, raw any, star bool) []string {
	list := stringList(errs, loc, raw)
	if l, ok := raw.([]any); ok && len(l) == 0 {
		errs.Add(loc, "must list at least one name")
	}
	for i, n := range list {
		if _, isString := raw.([]any)[i].(string); isString && n == "" {
			errs.Add(loc.Index(i), "must not be empty")
		}
		if n == "*" && (!star || len(list) > 1) {
			errs.Add(loc.Index(i), `"*" stands alone: it means all`)
		}
	}
	return list
}

// IsAll tells whether a reset list is ["*"].
func IsAll(names []string) bool { return len(names) == 1 && names[0] == "*" }

func decodeIncrement(errs *Errors, loc Path, raw any) map[string]int64 {
	obj, ok := raw.(map[string]any)
	if !ok {
		errs.Add(loc, "must be an object of counter names and integers, got %s", typeName(raw))
		return nil
	}
	if len(obj) == 0 {
		errs.Add(loc, "must name at least one counter")
	}
	out := make(map[string]int64, len(obj))
	for _, k := range SortedKeys(obj) {
		if k == "" {
			errs.Add(loc.Key(k), "a counter's name must not be empty")
		}
		if n, ok := integer(errs, loc.Key(k), obj[k]); ok {
			out[k] = n
		}
	}
	return out
}

func decodeSet(errs *Errors, loc Path, raw any) map[string]string {
	m := stringMap(errs, loc, raw)
	if obj, ok := raw.(map[string]any); ok {
		if len(obj) == 0 {
			errs.Add(loc, "must name at least one variable")
		}
		if _, empty := obj[""]; empty {
			errs.Add(loc.Key(""), "a variable's name must not be empty")
		}
	}
	return m
}

func decodeCRUD(errs *Errors, loc Path, raw any) *CRUD {
	c := &CRUD{}
	obj, ok := decodeObject[CRUD](errs, loc, raw,
		member{"data_set", func(loc Path, v any) { c.DataSet = nonEmptyString(errs, loc, v) }},
		member{"path", func(loc Path, v any) {
			c.Path = nonEmptyString(errs, loc, v)
			if c.Path != "" && (!strings.HasPrefix(c.Path, "/") || strings.HasSuffix(c.Path, "/") || strings.ContainsAny(c.Path, "*?[{~!")) {
				errs.Add(loc, "must be a literal path that starts with / and does not end with one, such as \"/users\", got %q", c.Path)
			}
		}},
		member{"id_field", func(loc Path, v any) { c.IDField = nonEmptyString(errs, loc, v) }},
		member{"seed", func(loc Path, v any) {
			c.Seed, c.HasSeed = v, true
			if _, isList := v.([]any); !isList {
				errs.Add(loc, "must be a list of objects, got %s", typeName(v))
			}
		}},
		member{"seed_file", func(loc Path, v any) { c.SeedFile = nonEmptyString(errs, loc, v) }},
	)
	if !ok {
		return c
	}
	for _, f := range []string{"data_set", "path"} {
		if _, set := obj[f]; !set {
			errs.Add(loc.Field(f), "is required")
		}
	}
	if c.IDField == "" {
		c.IDField = "id"
	}
	if c.HasSeed && c.SeedFile != "" {
		errs.Add(loc, "has both seed and seed_file: choose one")
	}
	return c
}
