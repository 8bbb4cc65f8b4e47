package rules

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Rule statistics are counted for the whole gateway process: one ruleStats
// per backend label and rule name, made when the rule is compiled and
// referenced from it, so that counting a request is a few atomic adds and
// no allocation. A rules_file reload compiles its rules again and finds
// the counters of the names it already had, which go on counting.

// outcome is what became of a request a rule matched; the zero value is
// an answer from the rule itself.
type outcome uint8

const (
	outcomeAnswered  outcome = iota // a response, responses or stats answered
	outcomeDelegated                // the backend's answer was passed back
	outcomeFallback                 // a fallback (or a recording) answered for the backend
	outcomeFailed                   // the plugin answered an error: backend failure, template failure, request ended
)

// ruleStats are one rule's counters.
// The backend's label and the rule's name are the registry's key, not
// kept here a second time. Only atomic integers: the registry's slabs of
// them are objects the garbage collector need not scan (a pointer here
// would have it scan every slab at every cycle).
type ruleStats struct {
	answered, delegated, fallback, failed atomic.Int64
	lastMatched                           atomic.Int64 // a time from sinceStatsEpoch; 0: never

	// inForce counts the rule sets in force that hold this rule: a rule no
	// set holds any more is not listed (its counts stay, should its name
	// come back).
	inForce atomic.Int64
}

// retire takes a rule set out of the statistics: it is no longer in force.
func (s *ruleSet) retire() {
	for _, r := range s.all() {
		s.statsOf(r).inForce.Add(-1)
	}
}

// statsEpoch is the process's reference for the times of last matches.
var statsEpoch = time.Now()

// sinceStatsEpoch is the request's time, as nanoseconds after statsEpoch
// plus one, so that 0 stays "never". Reading a clock would cost a static
// answer more than the rest of it: a request whose time was read already
// (by an active window, a template) gives its own, and the others the
// statsClock's, which is at most statsTick old.
func (x *exchange) sinceStatsEpoch() int64 {
	if !x.clock.IsZero() {
		return int64(x.clock.Sub(statsEpoch)) + 1
	}
	if now := statsClock.now.Load(); now != 0 {
		return now
	}
	return int64(time.Since(statsEpoch)) + 1
}

// statsTick is how often the statsClock is read.
const statsTick = 10 * time.Millisecond

// statsClock is a coarse clock, read every statsTick by one goroutine
// while any engine's context lasts; 0 when none runs, and the time is
// then read for each request.
var statsClock coarseClock

type coarseClock struct {
	now    atomic.Int64 // from sinceStatsEpoch; 0 when not running
	ticker sharedWorker
}

// attach keeps the clock running until ctx ends (and every other that
// attached).
func (c *coarseClock) attach(ctx context.Context) { c.ticker.attach(ctx, c.run) }

func (c *coarseClock) run(stop <-chan struct{}) {
	defer c.now.Store(0)
	t := time.NewTicker(statsTick)
	defer t.Stop()
	for {
		c.now.Store(int64(time.Since(statsEpoch)) + 1)
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// statsTime is the wall-clock time of a sinceStatsEpoch value.
func statsTime(since int64) time.Time { return statsEpoch.Add(time.Duration(since - 1)) }

// count records a request the rule matched at now (from sinceStatsEpoch).
func (s *ruleStats) count(o outcome, now int64) {
	switch o {
	case outcomeAnswered:
		s.answered.Add(1)
	case outcomeDelegated:
		s.delegated.Add(1)
	case outcomeFallback:
		s.fallback.Add(1)
	default:
		s.failed.Add(1)
	}
	s.lastMatched.Store(now)
}

// The registry is kept for the process's life, and everything it keeps
// that holds a pointer is marked by the garbage collector at every cycle:
// on a gateway pinned to one core, each cycle's mark phase is time the
// requests wait. A map of two strings to one heap object per rule made
// three pointers and an object per rule for every cycle to follow, never
// freed (a name counted once keeps its counts). So the registry keeps
// almost nothing the collector scans:
//   - the counters in slabs of statsChunk: ruleStats holds only atomic
//     integers, so a chunk is one object the collector marks without
//     scanning it, and a rule points into its chunk (an interior pointer:
//     counting stays a few atomic adds, no allocation);
//   - the names in one byte arena, an entry's span of it in pointer-free
//     offsets;
//   - the lookup a map from a hash of the two names to the entry's index,
//     whose keys and values hold no pointer either; the names in the
//     arena are compared, so a collision never confuses two rules.
// What is left to scan is a handful of slice headers and one pointer per
// chunk: for 10 000 rules, about 6 KB scanned and 130 heap objects, where
// the map of strings was about 790 KB and 10 000 objects.

// statsChunk is how many rules' counters one slab holds.
const statsChunk = 256

// statsEntry is where an entry's names are in the registry's arena.
type statsEntry struct{ backendAt, backendLen, ruleAt, ruleLen uint32 }

// statsRegistry holds the counters of every rule the process compiled.
type statsRegistry struct {
	mu      sync.Mutex
	seed    maphash.Seed
	hash    func(seed maphash.Seed, backend, rule string) uint64 // statsHash; a test's to make keys collide
	index   map[uint64]uint32                                    // hash (probed on, see of) -> entry
	entries []statsEntry
	names   []byte // the arena the entries' names are in; written once, only appended to
	// chunks are the counters: entry i's are chunks[i/statsChunk][i%statsChunk].
	// A request finds its rule's through them without the lock, so the
	// list is replaced whole (atomically) when a chunk is added, never
	// written in place.
	chunks atomic.Pointer[[]*[statsChunk]ruleStats]
}

// processStats are the statistics a stats action answers: the whole
// gateway's, since KrakenD loads the plugin once per process.
var processStats = newStatsRegistry()

func newStatsRegistry() *statsRegistry {
	return &statsRegistry{seed: maphash.MakeSeed(), hash: statsHash, index: map[uint64]uint32{}}
}

// statsHash hashes a backend's label and a rule's name, the label's
// length first so that ("ab", "c") and ("a", "bc") are different keys.
func statsHash(seed maphash.Seed, backend, rule string) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(backend)))
	h.Write(n[:])
	h.WriteString(backend)
	h.WriteString(rule)
	return h.Sum64()
}

// counters are entry i's counters, in its chunk.
func (r *statsRegistry) counters(i int) *ruleStats {
	return &(*r.chunks.Load())[i/statsChunk][i%statsChunk]
}

// name is a span of the arena.
func (r *statsRegistry) name(at, n uint32) []byte { return r.names[at : at+n] }

// of returns the counters of a backend's rule, made on first use.
func (r *statsRegistry) of(backend, rule string) *ruleStats {
	return r.counters(int(r.slot(backend, rule)))
}

// slot returns where the counters of a backend's rule are (counters),
// made on first use.
func (r *statsRegistry) slot(backend, rule string) uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	// Open addressing over the hash's 64-bit space: a key whose slot holds
	// another's names tries the next one. Entries are never removed, so a
	// look-up that reaches a free slot knows the key is not there.
	k := r.hash(r.seed, backend, rule)
	for {
		i, ok := r.index[k]
		if !ok {
			break
		}
		e := r.entries[i]
		if string(r.name(e.backendAt, e.backendLen)) == backend && string(r.name(e.ruleAt, e.ruleLen)) == rule {
			return i
		}
		k++
	}
	i := len(r.entries)
	if uint64(i) >= math.MaxUint32 || uint64(len(r.names))+uint64(len(backend))+uint64(len(rule)) > math.MaxUint32 {
		panic("rules: more than 4 GiB of rule names, or 4 billion rules, in the statistics")
	}
	var e statsEntry
	if i > 0 && string(r.name(r.entries[i-1].backendAt, r.entries[i-1].backendLen)) == backend {
		e.backendAt, e.backendLen = r.entries[i-1].backendAt, r.entries[i-1].backendLen // a backend's rules come together: its label once
	} else {
		e.backendAt, e.backendLen = uint32(len(r.names)), uint32(len(backend))
		r.names = append(r.names, backend...)
	}
	e.ruleAt, e.ruleLen = uint32(len(r.names)), uint32(len(rule))
	r.names = append(r.names, rule...)
	r.entries = append(r.entries, e)
	r.index[k] = uint32(i)
	if i%statsChunk == 0 {
		var chunks []*[statsChunk]ruleStats
		if old := r.chunks.Load(); old != nil {
			chunks = *old
		}
		chunks = append(chunks[:len(chunks):len(chunks)], new([statsChunk]ruleStats)) // a new list: readers may hold the old one
		r.chunks.Store(&chunks)
	}
	return uint32(i)
}

// StatsRow is one rule's statistics, as the JSON format writes them.
type StatsRow struct {
	Backend   string `json:"backend"`
	Rule      string `json:"rule"`
	Answered  int64  `json:"answered"`
	Delegated int64  `json:"delegated"`
	Fallback  int64  `json:"fallback"`
	Failed    int64  `json:"failed"`
	// LastMatched is RFC 3339 with nanoseconds, UTC; "" when never.
	LastMatched string `json:"last_matched"`

	lastMatched time.Time // zero when never
}

func (s *ruleStats) row(backend, rule string) StatsRow {
	row := StatsRow{
		Backend: backend, Rule: rule,
		Answered: s.answered.Load(), Delegated: s.delegated.Load(),
		Fallback: s.fallback.Load(), Failed: s.failed.Load(),
	}
	if since := s.lastMatched.Load(); since != 0 {
		row.lastMatched = statsTime(since)
		row.LastMatched = row.lastMatched.UTC().Format(time.RFC3339Nano)
	}
	return row
}

func (row StatsRow) total() int64 { return row.Answered + row.Delegated + row.Fallback + row.Failed }

// snapshot reads every rule's counters, ordered by backend then rule.
func (r *statsRegistry) snapshot() []StatsRow {
	type listed struct {
		e statsEntry
		*ruleStats
	}
	r.mu.Lock()
	var all []listed
	for i, e := range r.entries {
		if s := r.counters(i); s.inForce.Load() > 0 {
			all = append(all, listed{e, s})
		}
	}
	// The arena's bytes up to here are never written again (it is only
	// appended to), so they are read without the lock: one string of them
	// all, which the rows' names are slices of.
	arena := r.names
	r.mu.Unlock()
	names := string(arena)
	rows := make([]StatsRow, len(all))
	for i, s := range all {
		rows[i] = s.row(names[s.e.backendAt:s.e.backendAt+s.e.backendLen], names[s.e.ruleAt:s.e.ruleAt+s.e.ruleLen])
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Backend != rows[j].Backend {
			return rows[i].Backend < rows[j].Backend
		}
		return rows[i].Rule < rows[j].Rule
	})
	return rows
}

// statsJSON writes {"rules": [...]}.
func statsJSON(rows []StatsRow) []byte {
	if rows == nil {
		rows = []StatsRow{}
	}
	b, _ := json.Marshal(struct {
		Rules []StatsRow `json:"rules"`
	}{rows}) // strings and integers: it cannot fail
	return b
}

// PrometheusContentType is the type of the text exposition format 0.0.4.
const PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

// statsPrometheus writes the text exposition format 0.0.4: one counter
// family by outcome, one gauge of the last match.
func statsPrometheus(rows []StatsRow) []byte {
	var b strings.Builder
	b.WriteString("# HELP krakend_rules_requests_total Requests a krakend-rules rule matched, by outcome: answered (by the rule), delegated, fallback, failed.\n")
	b.WriteString("# TYPE krakend_rules_requests_total counter\n")
	for _, row := range rows {
		for _, c := range [...]struct {
			outcome string
			n       int64
		}{{"answered", row.Answered}, {"delegated", row.Delegated}, {"fallback", row.Fallback}, {"failed", row.Failed}} {
			b.WriteString("krakend_rules_requests_total{")
			labels(&b, row)
			b.WriteString(`,outcome="` + c.outcome + `"} ` + strconv.FormatInt(c.n, 10) + "\n")
		}
	}
	b.WriteString("# HELP krakend_rules_last_matched_timestamp_seconds When a krakend-rules rule last matched a request, in Unix seconds; 0 when never.\n")
	b.WriteString("# TYPE krakend_rules_last_matched_timestamp_seconds gauge\n")
	for _, row := range rows {
		b.WriteString("krakend_rules_last_matched_timestamp_seconds{")
		labels(&b, row)
		seconds := 0.0
		if !row.lastMatched.IsZero() {
			seconds = float64(row.lastMatched.UnixNano()) / 1e9
		}
		b.WriteString("} " + strconv.FormatFloat(seconds, 'f', -1, 64) + "\n")
	}
	return []byte(b.String())
}

func labels(b *strings.Builder, row StatsRow) {
	b.WriteString(`backend="` + escapeLabel(row.Backend) + `",rule="` + escapeLabel(row.Rule) + `"`)
}

// escapeLabel escapes a label value as the text format wants: backslash,
// double quote and line feed.
func escapeLabel(s string) string {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// logStats logs this backend's busiest rules at INFO every interval, on
// one line, until ctx ends.
func (e *Engine) logStats(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if line := e.statsLine(time.Now()); line != "" {
				e.log.Info(line)
			}
		}
	}
}

// statsTop is how many rules a periodic summary names.
const statsTop = 5

// statsLine sums up the busiest rules of the rules in force.
func (e *Engine) statsLine(now time.Time) string {
	set := e.current.Load()
	if set == nil {
		return ""
	}
	rows := make([]StatsRow, 0, len(set.rules))
	for _, r := range set.all() {
		rows = append(rows, set.statsOf(r).row(e.label, set.name(r)))
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].total() > rows[j].total() })
	var parts []string
	for _, row := range rows[:min(len(rows), statsTop)] {
		last := "never matched"
		if !row.lastMatched.IsZero() {
			last = "last matched " + now.Sub(row.lastMatched).Round(time.Millisecond).String() + " ago"
		}
		parts = append(parts, fmt.Sprintf("%s: %d answered, %d delegated, %d fallback, %d failed, %s",
			strconv.Quote(row.Rule), row.Answered, row.Delegated, row.Fallback, row.Failed, last))
	}
	more := ""
	if n := len(rows) - statsTop; n > 0 {
		more = " (and " + plural(n, "more rule") + ")"
	}
	return "stats, busiest first: " + strings.Join(parts, "; ") + more
}
