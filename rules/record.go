package rules

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"krakend-rules/config"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// A delegate's "record" writes what the backend answers into a rules file:
// one rule per request key (method, path and the parts the key selects),
// whose match is that key and whose response is the last answer recorded
// for it. The file is a rules_file: another gateway replays it, and the
// delegate's fallback answers from it ("recorded": true) when the backend
// cannot. Every delegate that names the same file shares one recordFile,
// which alone writes it.

// recordDelay is how long a record file waits after a change before it is
// written, so that a burst of answers costs one write.
const recordDelay = time.Second

// recording is a delegate's record: what keys a request, which answer
// headers are written, and the file.
type recording struct {
	file    *recordFile
	query   []string // key.query
	headers []string // key.headers, canonical
	body    bool     // key.body
	keep    []string // the answer headers written, canonical, none sensitive
	log     *logger
}

// requestKey is what keys one request's recording: its name in the file
// spells all of it, and the rest is its match there.
type requestKey struct {
	name          string
	method, path  string
	query, header []keyValue
	body          json.RawMessage // canonical JSON; nil when not keyed
}

type keyValue struct {
	name, value string
	absent      bool
}

func compileRecord(errs *config.Errors, loc config.Path, cfg *config.Record, be *backend) *recording {
	r := &recording{log: be.log}
	if cfg.Key != nil {
		r.query = cfg.Key.Query
		for i, h := range cfg.Key.Headers {
			r.headers = append(r.headers, headerName(errs, loc.Field("key").Field("headers").Index(i), h))
		}
		r.body = cfg.Key.Body
	}
	excluded := map[string]bool{DebugHeader: true, "Content-Length": true} // the length is the body's
	for _, h := range config.SensitiveHeaders {
		excluded[h] = true
	}
	for i, h := range cfg.ExcludeHeaders {
		excluded[headerName(errs, loc.Field("exclude_headers").Index(i), h)] = true
	}
	for i, h := range cfg.Headers {
		if canon := headerName(errs, loc.Field("headers").Index(i), h); !excluded[canon] {
			r.keep = append(r.keep, canon)
		}
	}
	if cfg.File == "" {
		return r // reported by the decoder
	}
	f, problem := openRecordFile(cfg, be.log)
	if problem != "" {
		errs.Add(loc.Field("file"), "%s", problem)
		return r
	}
	r.file = f
	be.records.add(f)
	return r
}

// key returns the request's key, or nil when it has none: a HEAD request,
// a path or value that is not UTF-8, or a body the key takes that cannot
// be evaluated.
func (r *recording) key(x *exchange) *requestKey {
	if x.req.Method == http.MethodHead {
		return nil // its answer has no body to record, only a length
	}
	k := &requestKey{method: x.req.Method, path: x.req.URL.Path}
	var name strings.Builder
	name.WriteString(k.method + " " + x.req.URL.EscapedPath())
	part := func(kind, n string, values []string) keyValue {
		if len(values) == 0 {
			name.WriteString(" " + kind + ":" + n + " absent")
			return keyValue{name: n, absent: true}
		}
		name.WriteString(" " + kind + ":" + n + "=" + strconv.Quote(values[0]))
		return keyValue{name: n, value: values[0]}
	}
	for _, q := range r.query {
		k.query = append(k.query, part("query", q, x.query()[q]))
	}
	for _, h := range r.headers {
		k.header = append(k.header, part("header", h, x.req.Header[h]))
	}
	// A pattern must be UTF-8: a path or value that is not cannot be
	// written as one, and is not recorded.
	if !utf8.ValidString(k.path) || !validValues(k.query) || !validValues(k.header) {
		return nil
	}
	// A client request's ContentLength of 0 with a body means "unknown",
	// as Lura hands them over when Content-Length is not forwarded.
	if r.body && x.req.Body != nil && x.req.Body != http.NoBody {
		body, ok := x.body.JSON()
		if !ok {
			if len(body) == 0 && x.body.done {
				return k.named(&name) // an empty body is no body
			}
			return nil
		}
		canonical, err := canonicalJSON(body)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(canonical)
		name.WriteString(" body:" + hex.EncodeToString(sum[:8]))
		k.body = canonical
	}
	return k.named(&name)
}

func validValues(kvs []keyValue) bool {
	for _, kv := range kvs {
		if !utf8.ValidString(kv.value) {
			return false
		}
	}
	return true
}

func (k *requestKey) named(b *strings.Builder) *requestKey {
	k.name = b.String()
	return k
}

// canonicalJSON re-encodes a JSON document with sorted keys and no space,
// numbers as written.
func canonicalJSON(b []byte) (json.RawMessage, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// recordedRule is one rule of a record file, as it is written.
type recordedRule struct {
	Name     string           `json:"name"`
	Match    recordedMatch    `json:"match"`
	Response recordedResponse `json:"response"`
}

type recordedMatch struct {
	Path     string            `json:"path"`
	Methods  []string          `json:"methods"`
	Headers  map[string]string `json:"headers,omitempty"`
	Query    map[string]string `json:"query,omitempty"`
	BodyJSON json.RawMessage   `json:"body_json,omitempty"`
}

type recordedResponse struct {
	Status       int             `json:"status"`
	Headers      map[string]any  `json:"headers,omitempty"` // a value, or a list of them
	Body         json.RawMessage `json:"body,omitempty"`
	BodyBase64   string          `json:"body_base64,omitempty"`
	BodyTemplate *string         `json:"body_template,omitempty"`
}

// add records an answer for a key; the newest recording of a key replaces
// the older one. body is copied. An answer that cannot be written as a
// rule (a body that is not text), or alone larger than max_bytes, is not
// recorded.
func (r *recording) add(k *requestKey, status int, h http.Header, body []byte) {
	f := r.file
	if f == nil || int64(len(body)) > f.maxBytes {
		return
	}
	rule := recordedRule{Name: k.name, Match: recordedMatch{Path: literalGlob(k.path), Methods: []string{k.method}, BodyJSON: k.body}}
	for _, kv := range k.query {
		rule.Match.Query = setKeyPattern(rule.Match.Query, kv)
	}
	for _, kv := range k.header {
		rule.Match.Headers = setKeyPattern(rule.Match.Headers, kv)
	}
	resp := &rule.Response
	resp.Status = status
	answer := &response{status: status}
	contentType := false
	for _, name := range r.keep {
		values := h[name]
		if len(values) == 0 {
			continue
		}
		if resp.Headers == nil {
			resp.Headers = map[string]any{}
		}
		// One header line each, as the backend sent them (two Link
		// headers stay two).
		escaped := make([]string, len(values))
		for i, v := range values {
			escaped[i] = escapeTemplate(v)
		}
		if len(escaped) == 1 {
			resp.Headers[name] = escaped[0]
		} else {
			resp.Headers[name] = escaped
		}
		answer.header = append(answer.header, headerField{name: name, values: slices.Clone(values)})
		contentType = contentType || name == "Content-Type"
	}
	if !contentType {
		answer.header = append(answer.header, headerField{name: "Content-Type", values: []string{"application/json"}})
	}
	if bodyAllowed(status) && len(body) > 0 {
		switch {
		case !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0:
			resp.BodyBase64 = base64.StdEncoding.EncodeToString(body) // binary: byte for byte
		case jsonReplaysExactly(body):
			resp.Body = body // encoded compact below, into the entry
		default:
			text := escapeTemplate(string(body))
			resp.BodyTemplate = &text
		}
		answer.body = bytes.Clone(body)
	}
	if bodyAllowed(status) {
		answer.header = append(answer.header, headerField{name: "Content-Length", values: []string{strconv.Itoa(len(answer.body))}})
	}
	encoded, err := json.Marshal(rule)
	if err != nil {
		return
	}
	f.put(&recordEntry{name: rule.Name, encoded: encoded, answer: answer})
}

// keeps tells whether an answer of this backend status is recorded: not
// one of 500 or more, nor one the fallback stands in for (on_status).
func (r *recording) keeps(status int, f *fallback) bool {
	return status < 500 && (f == nil || !f.onStatus[status])
}

// recorded returns the last recorded answer for the request, or nil.
func (r *recording) recorded(x *exchange) action {
	if r.file == nil || x.recordKey == nil {
		return nil
	}
	return r.file.answer(x.recordKey.name)
}

func setKeyPattern(m map[string]string, kv keyValue) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	if kv.absent {
		m[kv.name] = "!*"
	} else {
		m[kv.name] = literalGlob(kv.value)
	}
	return m
}

// literalGlob is a pattern that matches s and nothing else: the glob
// metacharacters escaped, and a leading "!" or "~" too, and the first
// character of a comparison's prefix ("num:5" would compare numbers, and
// "num:abc" would make the file fail to load).
func literalGlob(s string) string {
	_, _, comparison := isComparison(s)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(`*?[]{}\`, s[i]) >= 0 || i == 0 && (s[i] == '!' || s[i] == '~' || comparison) {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// escapeTemplate makes text a template that renders as the text: every
// "{{" becomes {{"{{"}}.
func escapeTemplate(s string) string {
	return strings.ReplaceAll(s, "{{", `{{"{{"}}`)
}

// jsonReplaysExactly tells whether a body is JSON that a "body" replays
// with the same meaning: no "{{" (which would become a template) and no
// number that changes its value through a 64-bit float (KrakenD hands
// configurations over with float64 numbers, and they are encoded again in
// their shortest form: 1.10 stays 1.1, 12345678901234567890 would not
// stay itself).
func jsonReplaysExactly(body []byte) bool {
	if bytes.Contains(body, []byte("{{")) || !json.Valid(body) {
		return false
	}
	inString := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case inString && c == '\\':
			i++ // the escaped byte
		case c == '"':
			inString = !inString
		case !inString && (c == '-' || '0' <= c && c <= '9'):
			j := i
			for j < len(body) && strings.IndexByte("+-.0123456789eE", body[j]) >= 0 {
				j++
			}
			if !floatKeeps(body[i:j]) {
				return false
			}
			i = j - 1
		}
	}
	return true
}

// maxExactNumber bounds the length of a JSON number floatKeeps compares
// exactly: a float64's shortest text is at most 24 bytes, and a longer
// number that means the same is only padded with zeros. A hostile backend's
// answer full of long numbers costs linear time, not a big.Rat each.
const maxExactNumber = 64

// floatKeeps tells whether a JSON number keeps its value through a
// float64 and back to its shortest text.
func floatKeeps(number []byte) bool {
	digits := 0
	simple := true
	for _, c := range number {
		switch {
		case '0' <= c && c <= '9':
			digits++
		case c != '-':
			simple = false // a fraction or an exponent
		}
	}
	if simple && digits <= 15 {
		return true // an integer a float64 holds exactly
	}
	if len(number) > maxExactNumber {
		return false // written as text: exact, and no big.Rat of a million digits
	}
	text := string(number)
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return false
	}
	if f == 0 {
		// 0, or a number too small for a float64 (1e-999999, whose
		// big.Rat would be 10^999999): it keeps only when it is 0.
		mantissa, _, _ := strings.Cut(strings.ToLower(text), "e")
		return strings.Trim(mantissa, "-0.") == ""
	}
	exact, ok := new(big.Rat).SetString(text)
	shortest, ok2 := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	return ok && ok2 && exact.Cmp(shortest) == 0
}

// recordFile is one record file, shared by every delegate that names it:
// its entries, newest first, and the goroutine that writes them.
type recordFile struct {
	path       string
	maxEntries int
	maxBytes   int64
	log        *logger

	mu      sync.Mutex
	entries map[string]*list.Element // by name; the values are *recordEntry
	order   *list.List               // newest first
	size    int64                    // of the entries as written
	dirty   bool
	writer  sharedWorker  // runs while an engine's context holds the file
	wake    chan struct{} // a change is waiting to be written

	writeMu sync.Mutex // one write at a time
	writes  int        // how many times the file was written
}

type recordEntry struct {
	name    string // the rule's: its key
	encoded []byte
	answer  action
}

// engineRecords are the record files one engine's delegates write, each
// attached once to the engine's context: from New on, and as a rules_file
// reload brings new ones. Check compiles without starting anything.
type engineRecords struct {
	mu    sync.Mutex
	ctx   context.Context // nil until the engine starts
	files map[*recordFile]bool
}

func (r *engineRecords) add(f *recordFile) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.files[f] {
		return
	}
	if r.files == nil {
		r.files = map[*recordFile]bool{}
	}
	r.files[f] = true
	if r.ctx != nil {
		f.attach(r.ctx)
	}
}

func (r *engineRecords) start(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ctx = ctx
	for f := range r.files {
		f.attach(ctx)
	}
}

// recordFiles are the record files of the process, by absolute path.
var recordFiles = struct {
	sync.Mutex
	byPath map[string]*recordFile
}{byPath: map[string]*recordFile{}}

// openRecordFile returns the record file of a path, loading it when it
// exists, or the problem with it. A file already open in the process is
// shared as it is: what it holds in memory is newer than the disk.
func openRecordFile(cfg *config.Record, log *logger) (*recordFile, string) {
	path, err := filepath.Abs(cfg.File)
	if err != nil {
		return nil, "cannot be used: " + err.Error()
	}
	recordFiles.Lock()
	defer recordFiles.Unlock()
	if f := recordFiles.byPath[path]; f != nil {
		return f, ""
	}
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return nil, "cannot be written: the directory " + dir + " does not exist"
	}
	f := &recordFile{
		path: path, maxEntries: int(cfg.MaxEntries), maxBytes: cfg.MaxBytes, log: log,
		entries: map[string]*list.Element{}, order: list.New(), wake: make(chan struct{}, 1),
	}
	if problem := f.load(cfg.File); problem != "" {
		return nil, problem
	}
	recordFiles.byPath[path] = f
	return f, ""
}

// load reads the file's recordings, when it exists: it must be a valid
// rules_file whose rules all have a response.
func (f *recordFile) load(name string) string {
	if _, err := os.Stat(f.path); os.IsNotExist(err) {
		return ""
	}
	content, _, _, problem := readConfigFile(name, "record file", MaxRulesFileBytes)
	if problem != "" {
		return problem
	}
	rules, err := config.DecodeRulesFile(name, content)
	if err != nil {
		return "is not a valid rules file: " + strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	// Each rule is written back as it was found, whatever it holds.
	var file struct {
		Rules []json.RawMessage `json:"rules"`
	}
	if err := json.Unmarshal(content, &file); err != nil || len(file.Rules) != len(rules) {
		return "is not a record file: " + name
	}
	var errs config.Errors
	for i := range rules {
		loc := config.At("rules").Index(i)
		if rules[i].Response == nil || rules[i].Name == "" {
			errs.Add(loc, "a record file holds named rules with a response")
			continue
		}
		if _, dup := f.entries[rules[i].Name]; dup {
			continue // the file lists the newest first: this one is older
		}
		answer := compileResponse(&errs, loc.Field("response"), rules[i].Response, f.log)
		var encoded bytes.Buffer
		json.Compact(&encoded, file.Rules[i]) // valid: it was decoded
		e := &recordEntry{name: rules[i].Name, encoded: encoded.Bytes(), answer: answer}
		f.entries[e.name] = f.order.PushBack(e)
		f.size += int64(encoded.Len()) + 4
	}
	if err := errs.InFile(name).Err(); err != nil {
		return "is not a valid record file: " + strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	f.evict()
	return ""
}

// put records an entry, replacing the one of the same name, and drops the
// oldest entries past the bounds.
func (f *recordFile) put(e *recordEntry) {
	f.mu.Lock()
	if old, ok := f.entries[e.name]; ok {
		f.size -= int64(len(old.Value.(*recordEntry).encoded)) + 4
		f.order.Remove(old)
	}
	f.entries[e.name] = f.order.PushFront(e)
	f.size += int64(len(e.encoded)) + 4 // ",\n  " between entries
	f.evict()
	f.dirty = true
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// evict drops the oldest entries while the file holds more than its
// bounds; f.mu is held.
func (f *recordFile) evict() {
	for f.order.Len() > 0 && (f.order.Len() > f.maxEntries || f.size+recordFileFrame > f.maxBytes) {
		old := f.order.Back()
		e := old.Value.(*recordEntry)
		f.order.Remove(old)
		delete(f.entries, e.name)
		f.size -= int64(len(e.encoded)) + 4
		f.dirty = true
	}
}

// recordFileFrame is what the file holds besides its entries.
const recordFileFrame = int64(len("{\"rules\": [\n\n]}\n"))

func (f *recordFile) answer(name string) action {
	f.mu.Lock()
	defer f.mu.Unlock()
	if el, ok := f.entries[name]; ok {
		return el.Value.(*recordEntry).answer
	}
	return nil
}

// content is the file as it is written: {"rules": [...]}, newest first.
func (f *recordFile) content() []byte {
	var b bytes.Buffer
	b.Grow(int(f.size + recordFileFrame))
	b.WriteString("{\"rules\": [\n")
	for el := f.order.Front(); el != nil; el = el.Next() {
		if el != f.order.Front() {
			b.WriteString(",\n")
		}
		b.WriteString("  ")
		b.Write(el.Value.(*recordEntry).encoded)
	}
	b.WriteString("\n]}\n")
	return b.Bytes()
}

// attach keeps the file's writer running until ctx ends (and every other
// engine's that attached); it writes what is left when the last one ends.
func (f *recordFile) attach(ctx context.Context) { f.writer.attach(ctx, f.run) }

// run writes the file recordDelay after a change, until stop is closed;
// then it writes what is left.
func (f *recordFile) run(stop <-chan struct{}) {
	defer f.flush()
	for {
		select {
		case <-stop:
			return
		case <-f.wake:
		}
		select {
		case <-stop:
			return
		case <-time.After(recordDelay):
		}
		f.flush()
	}
}

// flush writes the file when it changed since it was last written.
func (f *recordFile) flush() {
	f.writeMu.Lock()
	defer f.writeMu.Unlock()
	f.mu.Lock()
	if !f.dirty {
		f.mu.Unlock()
		return
	}
	content := f.content()
	f.dirty = false
	f.mu.Unlock()
	if err := writeFileAtomically(f.path, content); err != nil {
		f.log.Error("record file", strconv.Quote(f.path), "could not be written:", err)
		f.mu.Lock()
		f.dirty = true // tried again at the next change
		f.mu.Unlock()
		return
	}
	f.writes++
}

// writeFileAtomically replaces path with content so that a reader sees the
// old file or the new one, never a part: a temporary file in the same
// directory, synced to disk, renamed over it, and the directory synced.
func writeFileAtomically(path string, content []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(content); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		d.Sync() // the rename itself reaches the disk
		d.Close()
	}
	return nil
}
