package state

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a store in a Redis server that several gateway replicas share.
// Every change is one Lua script (EVALSHA, EVAL when the server does not
// have it yet) or one MULTI/EXEC transaction, so that no replica ever
// reads, changes and writes back what another changed in between: a PATCH
// reads the item, merges in Go and writes it back only if it is still what
// was read (compare-and-set, retried). Every command is bounded by the
// store's timeout; a server that cannot be reached or does not answer in
// time is an UnavailableError, never a fallback to the gateway's memory.
//
// Keys, under the store's prefix P: P+"scenarios", P+"variables" and
// P+"counters" are hashes by name; a data set S is P+"set:S:items" (a hash
// id -> JSON), P+"set:S:order" (a sorted set of ids, by creation) and
// P+"set:S:meta" (init, seq: the last generated id, oseq, bytes).
type Redis struct {
	name   string
	limits Limits
	prefix string
	client *redis.Client

	mu     sync.Mutex
	defs   definitions
	seeded map[string]bool // data sets this process knows are initialised
}

// go-redis logs its connection failures through a logger of its own, to
// the process's standard error; the engine answers and logs them instead.
// go-redis is linked by this plugin only, so its logger is the plugin's.
func init() { redis.SetLogger(quietLogger{}) }

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// NewRedis returns a store for a redis:// (or rediss://) URL. It does not
// connect yet: the first command does.
func NewRedis(name string, limits Limits, url, prefix string, timeout time.Duration) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	opt.Protocol = 2
	opt.DisableIdentity = true
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = timeout, timeout, timeout, timeout
	opt.MaxRetries = 1
	opt.ContextTimeoutEnabled = true
	return &Redis{name: name, limits: limits, prefix: prefix, client: redis.NewClient(opt), seeded: map[string]bool{}}, nil
}

func (r *Redis) Name() string { return r.name }

func (r *Redis) Close() error { return r.client.Close() }

func (r *Redis) unavailable(err error) error {
	if err == nil {
		return nil
	}
	return &UnavailableError{Store: r.name, Err: err}
}

func (r *Redis) DefineScenario(owner, name, initial string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.defs.defineScenario(owner, name, initial)
}

func (r *Redis) DefineDataSet(owner, name, idField string, seed []Item) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.limits.fit(name, seed); err != nil {
		return err
	}
	return r.defs.defineDataSet(owner, name, idField, seed)
}

func (r *Redis) Scenario(ctx context.Context, name string) (string, error) {
	s, err := r.client.HGet(ctx, r.prefix+"scenarios", name).Result()
	if errors.Is(err, redis.Nil) {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.defs.initial(name), nil
	}
	return s, r.unavailable(err)
}

var moveScenarioScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1]) or ARGV[2]
if ARGV[3] ~= '' and cur ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
return 1`)

func (r *Redis) MoveScenario(ctx context.Context, name, from, to string) (bool, error) {
	r.mu.Lock()
	initial := r.defs.initial(name)
	r.mu.Unlock()
	n, err := moveScenarioScript.Run(ctx, r.client, []string{r.prefix + "scenarios"}, name, initial, from, to).Int64()
	return n == 1, r.unavailable(err)
}

func (r *Redis) ResetScenarios(ctx context.Context, names []string) error {
	if names == nil {
		return r.unavailable(r.client.Del(ctx, r.prefix+"scenarios").Err())
	}
	return r.unavailable(r.client.HDel(ctx, r.prefix+"scenarios", names...).Err())
}

func (r *Redis) Variable(ctx context.Context, name string) (string, error) {
	s, err := r.client.HGet(ctx, r.prefix+"variables", name).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return s, r.unavailable(err)
}

var setVariableScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return -2 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`)

func (r *Redis) SetVariable(ctx context.Context, name, value string) error {
	if int64(len(value)) > r.limits.MaxBytes {
		return &FullError{Set: "variable " + strconv.Quote(name), Limit: "max_bytes " + strconv.FormatInt(r.limits.MaxBytes, 10)}
	}
	n, err := setVariableScript.Run(ctx, r.client, []string{r.prefix + "variables"}, name, value, r.limits.MaxItems).Int64()
	if err != nil {
		return r.unavailable(err)
	}
	if n == -2 {
		return &FullError{Set: "the variables", Limit: "max_items " + strconv.Itoa(r.limits.MaxItems)}
	}
	return nil
}

func (r *Redis) Counter(ctx context.Context, name string) (int64, error) {
	n, err := r.client.HGet(ctx, r.prefix+"counters", name).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, r.unavailable(err)
}

var incrementScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return {0, 0} end
return {1, redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])}`)

func (r *Redis) Increment(ctx context.Context, name string, by int64) (int64, error) {
	res, err := incrementScript.Run(ctx, r.client, []string{r.prefix + "counters"}, name, by, r.limits.MaxItems).Int64Slice()
	if err != nil {
		return 0, r.unavailable(err)
	}
	if len(res) != 2 || res[0] == 0 {
		return 0, &FullError{Set: "the counters", Limit: "max_items " + strconv.Itoa(r.limits.MaxItems)}
	}
	return res[1], nil
}

func (r *Redis) ResetVariables(ctx context.Context, names []string) error {
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if names == nil {
			p.Del(ctx, r.prefix+"variables", r.prefix+"counters")
			return nil
		}
		p.HDel(ctx, r.prefix+"variables", names...)
		p.HDel(ctx, r.prefix+"counters", names...)
		return nil
	})
	return r.unavailable(err)
}

func (r *Redis) keys(set string) []string {
	base := r.prefix + "set:" + set + ":"
	return []string{base + "items", base + "order", base + "meta"}
}

var seedScript = redis.NewScript(`
if ARGV[1] == '0' and redis.call('HSETNX', KEYS[3], 'init', 1) == 0 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
local bytes = 0
local n = 0
for i = 3, #ARGV, 2 do
  n = n + 1
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i+1])
  redis.call('ZADD', KEYS[2], n, ARGV[i])
  bytes = bytes + #ARGV[i+1]
end
redis.call('HSET', KEYS[3], 'init', 1, 'seq', ARGV[2], 'oseq', n, 'bytes', bytes)
return 1`)

// seed loads the data set's seed: always when force, else only when no
// replica has initialised the data set yet.
func (r *Redis) seed(ctx context.Context, set string, force bool) error {
	r.mu.Lock()
	if r.seeded[set] && !force {
		r.mu.Unlock()
		return nil
	}
	if _, defined := r.defs.sets[set]; !defined && !force {
		// No rule defines it (a template names it from the request):
		// nothing to seed, and nothing written or kept for the name.
		r.mu.Unlock()
		return nil
	}
	def := r.defs.dataSet(set)
	r.mu.Unlock()
	args := []any{"0", 0}
	if force {
		args[0] = "1"
	}
	var seq int64
	for _, it := range def.seed {
		args = append(args, it.ID, it.JSON)
		if n, err := strconv.ParseInt(it.ID, 10, 64); err == nil && n > seq {
			seq = n
		}
	}
	args[1] = seq
	if err := seedScript.Run(ctx, r.client, r.keys(set), args...).Err(); err != nil {
		return r.unavailable(err)
	}
	r.mu.Lock()
	r.seeded[set] = true
	r.mu.Unlock()
	return nil
}

func (r *Redis) List(ctx context.Context, set string) ([]*Item, error) {
	if err := r.seed(ctx, set, false); err != nil {
		return nil, err
	}
	k := r.keys(set)
	var ids *redis.StringSliceCmd
	var all *redis.MapStringStringCmd
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		ids = p.ZRange(ctx, k[1], 0, -1)
		all = p.HGetAll(ctx, k[0])
		return nil
	})
	if err != nil {
		return nil, r.unavailable(err)
	}
	out := make([]*Item, 0, len(ids.Val()))
	items := all.Val()
	for _, id := range ids.Val() {
		if j, ok := items[id]; ok {
			out = append(out, ItemFromStored(id, []byte(j)))
		}
	}
	return out, nil
}

func (r *Redis) Get(ctx context.Context, set, id string) (*Item, error) {
	if err := r.seed(ctx, set, false); err != nil {
		return nil, err
	}
	j, err := r.client.HGet(ctx, r.keys(set)[0], id).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, r.unavailable(err)
	}
	return ItemFromStored(id, j), nil
}

var nextIDScript = redis.NewScript(`
while true do
  local n = redis.call('HINCRBY', KEYS[2], 'seq', 1)
  if redis.call('HEXISTS', KEYS[1], tostring(n)) == 0 then return n end
end`)

var createScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return -1 end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return -2 end
local b = tonumber(redis.call('HGET', KEYS[3], 'bytes') or '0')
if b + #ARGV[2] > tonumber(ARGV[4]) then return -3 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], redis.call('HINCRBY', KEYS[3], 'oseq', 1), ARGV[1])
redis.call('HINCRBY', KEYS[3], 'bytes', #ARGV[2])
return 1`)

func (r *Redis) Create(ctx context.Context, set string, object []byte) (*Item, error) {
	if err := r.seed(ctx, set, false); err != nil {
		return nil, err
	}
	r.mu.Lock()
	idField := r.defs.dataSet(set).idField
	r.mu.Unlock()
	k := r.keys(set)
	// A generated id is free when generated, but a client may take it
	// before it is stored: then another is generated.
	for attempt := 0; ; attempt++ {
		var genErr error
		generated := false
		it, err := NewItem(object, idField, func() string {
			generated = true
			n, err := nextIDScript.Run(ctx, r.client, []string{k[0], k[2]}).Int64()
			genErr = err
			return strconv.FormatInt(n, 10)
		})
		if genErr != nil {
			return nil, r.unavailable(genErr)
		}
		if err != nil {
			return nil, err
		}
		n, err := createScript.Run(ctx, r.client, k, it.ID, it.JSON, r.limits.MaxItems, r.limits.MaxBytes).Int64()
		if err != nil {
			return nil, r.unavailable(err)
		}
		switch {
		case n == -1 && generated && attempt < 3:
			continue
		case n == -1:
			return nil, ErrExists
		case n == -2:
			return nil, &FullError{Set: "data set " + strconv.Quote(set), Limit: "max_items " + strconv.Itoa(r.limits.MaxItems)}
		case n == -3:
			return nil, &FullError{Set: "data set " + strconv.Quote(set), Limit: "max_bytes " + strconv.FormatInt(r.limits.MaxBytes, 10)}
		}
		return it, nil
	}
}

var replaceScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return -4 end
if cur ~= ARGV[2] then return -5 end
local b = tonumber(redis.call('HGET', KEYS[3], 'bytes') or '0')
if b - #cur + #ARGV[3] > tonumber(ARGV[4]) then return -3 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[3], 'bytes', #ARGV[3] - #cur)
return 1`)

// maxUpdateAttempts bounds the compare-and-set loop of Update under
// contention on one item; between two attempts a writer that lost waits a
// random while that grows with its attempts (at most maxUpdateBackoff), so
// that contenders spread out instead of colliding again. The request's own
// deadline bounds it too.
const (
	maxUpdateAttempts = 100
	maxUpdateBackoff  = 5 * time.Millisecond
)

// ErrContention: an item changed under an update more than
// maxUpdateAttempts times in a row (503).
var ErrContention = errors.New("the item changed under every attempt to update it")

func (r *Redis) Update(ctx context.Context, set, id string, fn func(old []byte) ([]byte, error)) (*Item, error) {
	k := r.keys(set)
	for attempt := range maxUpdateAttempts {
		if attempt > 0 {
			wait := time.Duration(rand.Int64N(int64(min(time.Duration(attempt)*200*time.Microsecond, maxUpdateBackoff))))
			select {
			case <-ctx.Done():
				return nil, r.unavailable(ctx.Err())
			case <-time.After(wait):
			}
		}
		old, err := r.Get(ctx, set, id)
		if err != nil {
			return nil, err
		}
		b, err := fn(old.JSON)
		if err != nil {
			return nil, err
		}
		n, err := replaceScript.Run(ctx, r.client, k, id, old.JSON, b, r.limits.MaxBytes).Int64()
		if err != nil {
			return nil, r.unavailable(err)
		}
		switch n {
		case -4:
			return nil, ErrNotFound
		case -5:
			continue
		case -3:
			return nil, &FullError{Set: "data set " + strconv.Quote(set), Limit: "max_bytes " + strconv.FormatInt(r.limits.MaxBytes, 10)}
		}
		return ItemFromStored(id, b), nil
	}
	return nil, r.unavailable(ErrContention)
}

var deleteScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[3], 'bytes', -#cur)
return 1`)

func (r *Redis) Delete(ctx context.Context, set, id string) error {
	if err := r.seed(ctx, set, false); err != nil {
		return err
	}
	n, err := deleteScript.Run(ctx, r.client, r.keys(set), id).Int64()
	if err != nil {
		return r.unavailable(err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

func (r *Redis) ResetDataSet(ctx context.Context, set string) error {
	return r.seed(ctx, set, true)
}

func (r *Redis) DataSets() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.defs.dataSetNames()
}
