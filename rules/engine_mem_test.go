package rules

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// TestCompiledRulesMemory: what a gateway's engine keeps of its rules once
// compiled. Each byte kept is marked by the garbage collector at every
// cycle for the gateway's life, so the decoded configuration is dropped
// (Check alone keeps it): a thousand path rules with a static answer were
// about 1.7 KiB each with it, 1.1 KiB without, and about 0.6 KiB once
// rules were allocated per set, a static answer's struct slimmed, static
// headers and method lists shared, a "/prefix/**" glob matched by prefix,
// and what only Check reads kept only for it.
func TestCompiledRulesMemory(t *testing.T) {
	if raceDetector {
		t.Skip("the race detector's instrumentation allocates on its own")
	}
	const n = 1000
	var b strings.Builder
	b.WriteString(`{"label":"memory-test","rules":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"r%d","match":{"path":"/svc%d/**","methods":["POST"]},"response":{"status":200,"body":{"rule":%d}}}`, i, i, i)
	}
	b.WriteString(`]}`)
	raw := decodeJSON(t, b.String()) // the host keeps it: not counted
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	e, err := New(ctx, raw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perRule := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	runtime.KeepAlive(e)
	runtime.KeepAlive(raw)
	t.Logf("%d bytes kept per rule", perRule)
	if perRule > 800 {
		t.Errorf("the engine keeps %d bytes per rule, want at most 800", perRule)
	}
}
