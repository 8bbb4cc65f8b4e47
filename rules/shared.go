package rules

import (
	"slices"
	"strings"
	"sync"
)

// sharedHeaders holds the static header lists of compiled answers, so that
// identical lists (most answers have the same Content-Type and one of few
// Content-Lengths) are one object for every rule of every rule set, not
// one each: the garbage collector marks them at every cycle. A list is
// never written after compile (each values slice has len == cap, so an
// append by a later handler copies), so sharing it is safe.
var sharedHeaders struct {
	sync.Mutex
	lists map[string][]headerField
}

// maxSharedHeaders bounds the lists kept, whatever reloads bring; a list
// past it is simply not shared.
const maxSharedHeaders = 4096

// shareHeaders returns a list equal to h, shared with every other answer
// whose static header list is the same.
func shareHeaders(h []headerField) []headerField {
	if len(h) == 0 {
		return nil
	}
	var key strings.Builder
	for _, f := range h {
		key.WriteString(f.name)
		for _, v := range f.values {
			key.WriteByte(0)
			key.WriteString(v)
		}
		key.WriteByte(1)
	}
	if key.Len() > 512 {
		return slices.Clip(h)
	}
	sharedHeaders.Lock()
	defer sharedHeaders.Unlock()
	if shared, ok := sharedHeaders.lists[key.String()]; ok {
		return shared
	}
	h = slices.Clip(h)
	if len(sharedHeaders.lists) < maxSharedHeaders {
		if sharedHeaders.lists == nil {
			sharedHeaders.lists = map[string][]headerField{}
		}
		sharedHeaders.lists[key.String()] = h
	}
	return h
}

// conditionCache holds the conditions compiled for one rule set, boxed
// once: rules that accept the same methods, or test the same header, query
// parameter, cookie or body field against the same pattern, share one
// condition, where each would otherwise keep its own objects for the
// garbage collector to mark at every cycle. A compiled condition is never
// written after compile, so sharing it is safe. The cache lives as long as
// one compile, so a condition no other rule has is not kept twice.
type conditionCache map[string]condition

// methods returns a condition equal to c, shared with every other rule of
// the set whose methods are the same.
func (cache conditionCache) methods(c methodCondition) condition {
	return cache.share("methods\x00"+strings.Join(c, "\x00"), c)
}

// share returns the condition cached under key, which says all that c is
// (its kind and source), or caches c under key and returns it.
func (cache conditionCache) share(key string, c condition) condition {
	if shared, ok := cache[key]; ok {
		return shared
	}
	cache[key] = c
	return c
}
