package rules

import (
	"encoding/hex"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestObjectID(t *testing.T) {
	hex24 := `[0-9a-f]{24}`
	tests := []struct {
		name, template string
		want           *regexp.Regexp
	}{
		{"24 hex digits", `{{ objectId }}`, regexp.MustCompile(`^` + hex24 + `$`)},
		{"at epoch seconds", `{{ objectId 1700000000 }}`, regexp.MustCompile(`^6553f100[0-9a-f]{16}$`)},
		{"at an RFC 3339 time", `{{ objectId "2023-11-14T22:13:20Z" }}`, regexp.MustCompile(`^6553f100[0-9a-f]{16}$`)},
		{"at a time value", `{{ objectId (now | dateModify "-1h") }}`, regexp.MustCompile(`^` + hex24 + `$`)},
		{"the epoch", `{{ objectId 0 }}`, regexp.MustCompile(`^00000000[0-9a-f]{16}$`)},
		{"the last second", `{{ objectId 4294967295 }}`, regexp.MustCompile(`^ffffffff[0-9a-f]{16}$`)},
		{"before 1970 fails", `{{ objectId -1 }}`, regexp.MustCompile(`response template failed`)},
		{"after 2106 fails", `{{ objectId 4294967296 }}`, regexp.MustCompile(`response template failed`)},
		{"not a time fails", `{{ objectId "soon" }}`, regexp.MustCompile(`response template failed`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, `{"rules":[{"name":"r","response":{"headers":{"Content-Type":"text/plain"},"body":`+jsonString(tt.template)+`}}]}`, nil)
			_, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/x", "", nil))
			if !tt.want.MatchString(body) {
				t.Errorf("%s gave %q, want %s", tt.template, body, tt.want)
			}
		})
	}
}

func TestObjectIDIsTimeOrderedAndCounts(t *testing.T) {
	e := newEngine(t, `{"rules":[{"name":"r","response":{"headers":{"Content-Type":"text/plain"},"body":"{{ objectId }} {{ objectId }}"}}]}`, nil)
	before := time.Now().Unix()
	_, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/x", "", nil))
	after := time.Now().Unix()
	ids := strings.Fields(body)
	if len(ids) != 2 || ids[0] == ids[1] {
		t.Fatalf("two ids: %q", body)
	}
	var raw [2][]byte
	for i, id := range ids {
		b, err := hex.DecodeString(id)
		if err != nil || len(b) != 12 {
			t.Fatalf("%q is not 12 bytes in hex", id)
		}
		raw[i] = b
		secs, _ := strconv.ParseInt(id[:8], 16, 64)
		if secs < before || secs > after {
			t.Errorf("%q: %d seconds, want the request's time (%d..%d)", id, secs, before, after)
		}
	}
	counter := func(b []byte) int { return int(b[9])<<16 | int(b[10])<<8 | int(b[11]) }
	if c0, c1 := counter(raw[0]), counter(raw[1]); (c0+1)&0xffffff != c1 {
		t.Errorf("counters %06x then %06x: want the next", c0, c1)
	}
}

func TestObjectIDFollowsTheSeed(t *testing.T) {
	e := newEngine(t, `{"rules":[{"name":"r","response":{"seed":"{{ .Query.Get \"s\" }}","body":{"id":"{{ objectId 1700000000 }}"}}}]}`, nil)
	get := func(seed string) string {
		_, body := serve(e, backendRequest(t, "GET", "http://backend.invalid/x?s="+seed, "", http.Header{}))
		return body
	}
	a, b, c := get("1"), get("1"), get("2")
	if a != b || a == c || !strings.HasPrefix(a, `{"id":"6553f100`) {
		t.Errorf("seed 1 gave %s then %s, seed 2 %s: want the same for the same seed, another for another", a, b, c)
	}
}
