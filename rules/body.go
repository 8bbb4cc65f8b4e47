package rules

import (
	"io"
	"net/http"
	"sync"
	"unsafe"

	"github.com/tidwall/gjson"
)

// requestBody gives body conditions and templates a look at the request body
// without taking it away from the backend. It reads at most once, only when
// first asked, and never more than max+1 bytes; replay then hands the
// backend the very bytes the client sent, read or not.
//
// What it holds is bounded by the body's size whatever the client sends:
// the buffer grows to at most max+1 bytes, and validJSON checks the body
// without recursion and without nesting deeper than maxDepth, so that
// every later walk of it (gjson, body_json, templates) recurses at most
// maxDepth levels.
type requestBody struct {
	src           io.ReadCloser // the request's body; nil or http.NoBody when there is none
	contentLength int64         // the request's ContentLength: -1 or 0 when unknown
	max           int64         // bytes
	maxDepth      int

	read   bool
	buf    []byte // what was read from src: all of the body when complete
	done   bool   // src reached EOF within the bound
	err    error  // a read error other than EOF, handed on to the backend
	isJSON bool   // done, non-empty, valid JSON and nested no deeper than maxDepth
	whole  bool   // done and within the bound: the body as text
}

// bodyLimits are how much of a request body is evaluated: max_body_bytes
// and max_body_depth.
type bodyLimits struct {
	bytes int64
	depth int
}

func (b *requestBody) reset(src io.ReadCloser, contentLength int64, limits bodyLimits) {
	*b = requestBody{src: src, contentLength: contentLength, max: limits.bytes, maxDepth: limits.depth}
}

// JSON returns the whole body when it can be evaluated: present, no longer
// than the bound, valid JSON, and nested no deeper than the bound. Anything
// else is "no body" to the rules.
func (b *requestBody) JSON() ([]byte, bool) {
	if !b.read {
		b.load()
	}
	return b.buf, b.isJSON
}

func (b *requestBody) load() {
	b.read = true
	if b.src == nil || b.contentLength > b.max {
		return // nothing to read, or known to be too long: leave it untouched
	}
	b.buf, b.done, b.err = readBounded(b.src, b.contentLength, b.max+1)
	// A reader may hand over the last bytes together with io.EOF, so a
	// body of max+1 bytes can end "done": it is still too long.
	within := int64(len(b.buf)) <= b.max
	b.whole = b.done && within
	b.isJSON = b.whole && len(b.buf) > 0 && validJSON(b.buf, b.maxDepth)
}

// text returns the whole body, of any type, when it was read completely
// within the bound (an absent body is empty); false otherwise.
func (b *requestBody) text() ([]byte, bool) {
	if !b.read {
		b.load()
	}
	if b.src == nil || b.src == http.NoBody {
		return nil, true
	}
	return b.buf, b.whole
}

// bodyChunks hold a body of unknown length while it is read.
var bodyChunks = sync.Pool{New: func() any { return new([bodyChunkSize]byte) }}

const bodyChunkSize = 32 << 10

// readBounded reads src until EOF or until limit bytes are read, into a
// slice of exactly what was read. A body whose length is declared is read
// into one allocation of that size (+1 byte to see EOF); one of unknown
// length into pooled chunks, copied once into place at the end: so reading
// a body costs its size once, not the doublings and copies of a growing
// slice, whatever its length.
func readBounded(src io.Reader, declared, limit int64) (buf []byte, eof bool, err error) {
	if declared > 0 {
		buf = make([]byte, 0, min(declared+1, limit))
		for len(buf) < cap(buf) && err == nil {
			var n int
			n, err = src.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
		}
		if err != nil || int64(len(buf)) == limit {
			return buf, err == io.EOF, ignoreEOF(err)
		}
		// Longer than declared: read the rest in chunks.
	}
	var chunks []*[bodyChunkSize]byte
	defer func() {
		for _, c := range chunks {
			bodyChunks.Put(c)
		}
	}()
	total, last := int64(len(buf)), 0 // last: bytes used in the last chunk
	for err == nil && total < limit {
		if len(chunks) == 0 || last == bodyChunkSize {
			chunks, last = append(chunks, bodyChunks.Get().(*[bodyChunkSize]byte)), 0
		}
		var n int
		n, err = src.Read(chunks[len(chunks)-1][last:min(bodyChunkSize, int64(last)+limit-total)])
		last += n
		total += int64(n)
	}
	whole := make([]byte, 0, total)
	whole = append(whole, buf...)
	for i, c := range chunks {
		if i == len(chunks)-1 {
			whole = append(whole, c[:last]...)
		} else {
			whole = append(whole, c[:]...)
		}
	}
	return whole, err == io.EOF, ignoreEOF(err)
}

func ignoreEOF(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

// evaluable reports whether the body can be evaluated, reading it if needed.
func (b *requestBody) evaluable() bool {
	_, ok := b.JSON()
	return ok
}

// get evaluates a gjson path on the body; ok is false when the body cannot
// be evaluated. The result's strings may lie in the body's buffer (gjson's
// GetBytes would copy them): they are read while the request is handled,
// when nothing writes to the buffer.
func (b *requestBody) get(path string) (gjson.Result, bool) {
	body, ok := b.JSON()
	if !ok {
		return gjson.Result{}, false
	}
	return gjson.Get(bytesView(body), path), true
}

// document returns the body as gjson sees it, without copying it.
func (b *requestBody) document() (gjson.Result, bool) {
	body, ok := b.JSON()
	if !ok {
		return gjson.Result{}, false
	}
	return gjson.Parse(bytesView(body)), true
}

// bytesView views bytes that nothing writes to while the string is used,
// as a string, without copying them.
func bytesView(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// replay returns the body to send to the backend: the original reader when
// nothing was read, else what was read followed by the unread rest (or by the
// read error, so that the backend never gets a silently shortened body).
func (b *requestBody) replay() io.ReadCloser {
	if !b.read || b.src == nil {
		return b.src
	}
	return &replayReader{buf: b.buf, done: b.done, err: b.err, src: b.src}
}

type replayReader struct {
	buf  []byte
	done bool
	err  error
	src  io.ReadCloser
}

func (r *replayReader) Read(p []byte) (int, error) {
	if len(r.buf) > 0 {
		n := copy(p, r.buf)
		r.buf = r.buf[n:]
		return n, nil
	}
	switch {
	case r.err != nil:
		return 0, r.err
	case r.done:
		return 0, io.EOF
	default:
		return r.src.Read(p)
	}
}

func (r *replayReader) Close() error { return r.src.Close() }
