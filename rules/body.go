package rules

import (
	"io"

	"github.com/tidwall/gjson"
)

// requestBody gives body conditions and templates a look at the request body
// without taking it away from the backend. It reads at most once, only when
// first asked, and never more than max+1 bytes; replay then hands the
// backend the very bytes the client sent, read or not.
type requestBody struct {
	src           io.ReadCloser // the request's body; nil or http.NoBody when there is none
	contentLength int64         // the request's ContentLength: -1 or 0 when unknown
	max           int64

	read   bool
	buf    []byte // what was read from src: all of the body when complete
	done   bool   // src reached EOF within the bound
	err    error  // a read error other than EOF, handed on to the backend
	isJSON bool   // done, non-empty and valid JSON
}

func (b *requestBody) reset(src io.ReadCloser, contentLength, max int64) {
	*b = requestBody{src: src, contentLength: contentLength, max: max}
}

// JSON returns the whole body when it can be evaluated: present, no longer
// than the bound, and valid JSON. Anything else is "no body" to the rules.
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
	size := int64(512)
	if b.contentLength > 0 {
		size = b.contentLength + 1 // +1 lets the final read see EOF without growing
	}
	buf := make([]byte, 0, min(size, b.max+1))
	for int64(len(buf)) <= b.max {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := b.src.Read(buf[len(buf):min(int64(cap(buf)), b.max+1)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			b.done = true
			break
		}
		if err != nil {
			b.err = err
			break
		}
	}
	b.buf = buf
	b.isJSON = b.done && len(buf) > 0 && gjson.ValidBytes(buf)
}

// evaluable reports whether the body can be evaluated, reading it if needed.
func (b *requestBody) evaluable() bool {
	_, ok := b.JSON()
	return ok
}

// get evaluates a gjson path on the body; ok is false when the body cannot
// be evaluated.
func (b *requestBody) get(path string) (gjson.Result, bool) {
	body, ok := b.JSON()
	if !ok {
		return gjson.Result{}, false
	}
	return gjson.GetBytes(body, path), true
}

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
