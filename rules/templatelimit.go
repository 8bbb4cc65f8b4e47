package rules

import (
	"bytes"
	"errors"
	"krakend-rules/config"
)

// maxRenderedBytes bounds what one template writes for one request: twice
// the largest body_file, so that a template over a request value
// ({{ range until (atoi (.Query.Get "n")) }}{{ repeat 1000000 "x" }}{{ end }})
// fails with the rule's 500 instead of growing without end.
// (A variable only so that a test can lower it.)
var maxRenderedBytes = 2 * config.MaxBodyFileBytes

var errRenderedTooLong = errors.New("the template's output is longer than the limit (twice the largest body_file)")

// limitedWriter is the writer text/template renders into: it stops a
// template at maxRenderedBytes. One lives in each bound templates value,
// so that it costs no allocation.
type limitedWriter struct {
	buf  *bytes.Buffer
	left int
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		return 0, errRenderedTooLong
	}
	w.left -= len(p)
	return w.buf.Write(p)
}
