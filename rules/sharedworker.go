package rules

import (
	"context"
	"sync"
)

// sharedWorker is one goroutine that every engine of the process may need
// (a record file's writer, the statistics' coarse clock): it runs from the
// first engine that attaches until the contexts of all that attached have
// ended.
type sharedWorker struct {
	mu    sync.Mutex
	users int
	stop  chan struct{} // closed when the last attached context ends
}

// attach starts run when the worker is not running, and keeps it running
// until ctx ends (and every other attached context): then run's stop
// channel is closed. A context that never ends keeps it for the process's
// life.
func (w *sharedWorker) attach(ctx context.Context, run func(stop <-chan struct{})) {
	w.mu.Lock()
	if w.users++; w.users == 1 {
		w.stop = make(chan struct{})
		go run(w.stop)
	}
	w.mu.Unlock()
	if ctx.Done() == nil {
		return
	}
	go func() {
		<-ctx.Done()
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.users--; w.users == 0 {
			close(w.stop)
		}
	}()
}
