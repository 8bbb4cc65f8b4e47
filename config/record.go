package config

import (
	"net/http"
	"strings"
)

// DefaultRecordMaxEntries bounds a record file's entries when max_entries
// is not set.
const DefaultRecordMaxEntries = 1000

// DefaultRecordMaxBytes bounds a record file's size when max_bytes is not
// set: 10 MiB.
const DefaultRecordMaxBytes = 10 << 20

// MaxRecordBytes is the largest max_bytes: a record file is read back as a
// rules_file, which may hold at most 64 MiB.
const MaxRecordBytes = 64 << 20

// SensitiveHeaders are never written into a record file, whatever the
// configuration lists: credentials and sessions must not land on disk.
var SensitiveHeaders = []string{"Authorization", "Cookie", "Proxy-Authorization", "Set-Cookie"}

// Record writes what a delegate's backend answers into a rules file, one
// rule per request key, so that the file can be served as a rules_file
// (replay) and the delegate's fallback can answer from it (a snapshot).
type Record struct {
	// File ("file") is the rules file written: absolute, or relative to the
	// gateway's working directory, in a directory that exists. Loaded at
	// start when it exists; rewritten whole, atomically (a temporary file in
	// the same directory, synced, renamed over it), a second after a
	// change (with those made meanwhile) and when the gateway stops.
	// Delegates that name the same file share it.
	File string `json:"file"`

	// Key ("key") is what, besides the method and the path, tells two
	// recorded requests apart. Default: method and path only.
	Key *RecordKey `json:"key"`

	// Headers ("headers") are the answer's headers written with it; default
	// ["Content-Type"]. Authorization, Cookie, Proxy-Authorization,
	// Set-Cookie and ExcludeHeaders are never written, even when listed.
	Headers []string `json:"headers"`

	// ExcludeHeaders ("exclude_headers") are more headers never written,
	// neither in answers nor in keys.
	ExcludeHeaders []string `json:"exclude_headers"`

	// MaxEntries ("max_entries") bounds the recorded keys: past it the
	// oldest recording is dropped. A positive integer; default 1000.
	MaxEntries int64 `json:"max_entries"`

	// MaxBytes ("max_bytes") bounds the file's size: past it the oldest
	// recordings are dropped, and an answer larger than the bound alone is
	// not recorded. From 1 to 67108864; default 10485760 (10 MiB).
	MaxBytes int64 `json:"max_bytes"`
}

// RecordKey selects the request parts that key a recording, besides its
// method and path.
type RecordKey struct {
	// Query ("query") are query parameters whose (first) value is part of
	// the key; an absent one is keyed as absent.
	Query []string `json:"query"`

	// Headers ("headers") are request headers whose (first) value is part
	// of the key, like Query. Sensitive and excluded headers may not be.
	Headers []string `json:"headers"`

	// Body ("body") makes the JSON request body part of the key. A request
	// whose body cannot be evaluated (not JSON, or over max_body_bytes) is
	// then neither recorded nor answered from a recording. Default false.
	Body bool `json:"body"`
}

// Stats answers with the statistics of every rule of the gateway process.
type Stats struct {
	// Format ("format") is "json" (the default) or "prometheus" (the text
	// exposition format 0.0.4).
	Format string `json:"format"`
}

// StatsFormats are the formats a stats action may name, the default first.
var StatsFormats = []string{"json", "prometheus"}

// Sensitive tells whether a header is one of SensitiveHeaders.
func Sensitive(name string) bool {
	canon := http.CanonicalHeaderKey(name)
	for _, s := range SensitiveHeaders {
		if canon == s {
			return true
		}
	}
	return false
}

func decodeRecord(errs *Errors, loc Path, raw any) *Record {
	r := &Record{MaxEntries: DefaultRecordMaxEntries, MaxBytes: DefaultRecordMaxBytes}
	obj, ok := decodeObject[Record](errs, loc, raw,
		member{"file", func(loc Path, v any) { r.File = nonEmptyString(errs, loc, v) }},
		member{"key", func(loc Path, v any) { r.Key = decodeRecordKey(errs, loc, v) }},
		member{"headers", func(loc Path, v any) { r.Headers = nonEmptyStrings(errs, loc, v) }},
		member{"exclude_headers", func(loc Path, v any) { r.ExcludeHeaders = nonEmptyStrings(errs, loc, v) }},
		member{"max_entries", func(loc Path, v any) { positive(errs, loc, v, &r.MaxEntries) }},
		member{"max_bytes", func(loc Path, v any) {
			var n int64
			positive(errs, loc, v, &n)
			if n > MaxRecordBytes {
				errs.Add(loc, "must be at most %d (64 MiB, the most a rules_file may hold), got %d", MaxRecordBytes, n)
			} else if n > 0 {
				r.MaxBytes = n
			}
		}},
	)
	if !ok {
		return r
	}
	if _, set := obj["file"]; !set {
		errs.Add(loc, "has no file: give the rules file to write")
	}
	if r.Headers == nil {
		r.Headers = []string{"Content-Type"}
	}
	if r.Key != nil {
		for i, h := range r.Key.Headers {
			switch {
			case Sensitive(h):
				errs.Add(loc.Field("key").Field("headers").Index(i), "%s is never recorded: it may not key a recording", http.CanonicalHeaderKey(h))
			case containsFold(r.ExcludeHeaders, h):
				errs.Add(loc.Field("key").Field("headers").Index(i), "%s is in exclude_headers: it may not key a recording", http.CanonicalHeaderKey(h))
			}
		}
	}
	return r
}

func decodeRecordKey(errs *Errors, loc Path, raw any) *RecordKey {
	k := &RecordKey{}
	decodeObject[RecordKey](errs, loc, raw,
		member{"query", func(loc Path, v any) { k.Query = nonEmptyStrings(errs, loc, v) }},
		member{"headers", func(loc Path, v any) { k.Headers = nonEmptyStrings(errs, loc, v) }},
		member{"body", func(loc Path, v any) { k.Body = boolean(errs, loc, v) }},
	)
	return k
}

func decodeStats(errs *Errors, loc Path, raw any) *Stats {
	s := &Stats{Format: StatsFormats[0]}
	decodeObject[Stats](errs, loc, raw,
		member{"format", func(loc Path, v any) {
			f := str(errs, loc, v)
			if _, isString := v.(string); isString && !contains(StatsFormats, f) {
				errs.Add(loc, "must be %q or %q, got %q", StatsFormats[0], StatsFormats[1], f)
				return
			}
			if f != "" {
				s.Format = f
			}
		}},
	)
	return s
}

// nonEmptyStrings decodes a list of strings, none of them empty.
func nonEmptyStrings(errs *Errors, loc Path, raw any) []string {
	list := stringList(errs, loc, raw)
	for i, s := range list {
		if _, isString := raw.([]any)[i].(string); isString && strings.TrimSpace(s) == "" {
			errs.Add(loc.Index(i), "must not be empty")
		}
	}
	return list
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
