package rules

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// objectId [TIME] is a MongoDB ObjectId as 24 lowercase hex digits, as
// Mockoon's {{objectId}} gives it: 4 bytes of seconds since 1970 (TIME — a
// time, epoch seconds or RFC 3339 — or else the request's time, as now), 5
// random bytes and a 3-byte counter. Like the other random helpers it
// follows a response's seed: seeded, the random bytes and the counter come
// from the seed's stream, so the same seed and TIME give the same id;
// unseeded, the counter is the process's, started at a random value and
// incremented by each id, as MongoDB's drivers do.

func init() {
	addHelpers(map[string]helperSpec{"objectId": {fn: objectID, min: 0, max: 1}})
}

// objectIDCounter is the unseeded ids' counter; its low 24 bits are used.
var objectIDCounter atomic.Uint32

func init() { objectIDCounter.Store(rand.Uint32()) }

func objectID(b *boundTemplates, a []any) (any, error) {
	var at time.Time
	if len(a) == 1 {
		t, err := toTime("objectId", a[0])
		if err != nil {
			return nil, err
		}
		at = t
	} else {
		at = b.x.now()
	}
	secs := at.Unix()
	if secs < 0 || secs > math.MaxUint32 {
		return nil, fmt.Errorf("objectId: %s is outside what an ObjectId holds (1970 to 2106)", at.UTC().Format(time.RFC3339))
	}
	var id [12]byte
	binary.BigEndian.PutUint32(id[0:4], uint32(secs))
	r := b.uint64()
	id[4], id[5], id[6], id[7], id[8] = byte(r), byte(r>>8), byte(r>>16), byte(r>>24), byte(r>>32)
	var counter uint32
	if b.seeded {
		counter = uint32(r >> 40)
	} else {
		counter = objectIDCounter.Add(1)
	}
	id[9], id[10], id[11] = byte(counter>>16), byte(counter>>8), byte(counter)
	var out [24]byte
	hex.Encode(out[:], id[:])
	return string(out[:]), nil
}
