package rules

import (
	"bytes"
	"sync"
)

// buffers holds the scratch space of templated answers.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer { return buffers.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= 64<<10 { // don't let one huge answer pin memory
		b.Reset()
		buffers.Put(b)
	}
}
