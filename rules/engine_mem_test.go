package rules

import (
	"context"
	"runtime"
	"runtime/metrics"
	"testing"
)

// TestCompiledRulesMemory: what a gateway's engine keeps of its rules once
// compiled. Each object and byte kept is marked by the garbage collector at
// every cycle for the gateway's life (BenchmarkGCMark measures a cycle), so
// the decoded configuration is dropped (Check alone keeps it), and a rule
// set keeps its rules without pointers, as indexes into set-wide tables
// (ruleset.go, pack.go), with its path index and statistics in
// pointer-free tables.
//
// A thousand path rules with a static answer were about 1.7 KiB each with
// the decoded configuration kept; 607 bytes, 8 heap objects and 512 bytes
// to scan each before the rules were packed; 430 bytes, 0.14 objects and
// 248 bytes to scan with packed rules that still held pointers (a body
// rule, its order id's condition: 1.07 objects and 97 bytes to scan). The
// bounds fail on each of those. What is left is a few objects per set.
func TestCompiledRulesMemory(t *testing.T) {
	if raceDetector {
		t.Skip("the race detector's instrumentation allocates on its own")
	}
	for _, tc := range []struct {
		shape            string
		bytes            int64 // at most, per rule
		objectsPer1000   int64 // heap objects, at most, per 1 000 rules
		scannablePerRule int64 // bytes the collector scans, at most, per rule
	}{
		{"path", 400, 200, 40},
		{"path+method+header", 400, 200, 40},
		{"body", 500, 200, 40},
	} {
		t.Run(tc.shape, func(t *testing.T) {
			const n = 1000
			raw := decodeJSON(t, rulesConfig(n, tc.shape)) // the host keeps it: not counted
			defer func(kept *statsRegistry) { processStats = kept }(processStats)
			processStats = newStatsRegistry() // a fresh process's
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			before := heapNow()
			e, err := New(ctx, raw, Options{})
			if err != nil {
				t.Fatal(err)
			}
			after := heapNow()
			runtime.KeepAlive(e)
			runtime.KeepAlive(raw)
			bytes, objects, scannable := (after.bytes-before.bytes)/n, (after.objects-before.objects)*1000/n, (after.scannable-before.scannable)/n
			t.Logf("per rule: %d bytes, %d.%03d objects, %d bytes scanned", bytes, objects/1000, objects%1000, scannable)
			if bytes > tc.bytes {
				t.Errorf("the engine keeps %d bytes per rule, want at most %d", bytes, tc.bytes)
			}
			if objects > tc.objectsPer1000 {
				t.Errorf("the engine keeps %d heap objects per 1 000 rules, want at most %d", objects, tc.objectsPer1000)
			}
			if scannable > tc.scannablePerRule {
				t.Errorf("the collector scans %d bytes per rule, want at most %d", scannable, tc.scannablePerRule)
			}
		})
	}
}

type heapFigures struct{ bytes, objects, scannable int64 }

// heapNow is the live heap after a full collection.
func heapNow() heapFigures {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/objects:objects"}, {Name: "/gc/scan/heap:bytes"}}
	metrics.Read(s)
	return heapFigures{int64(s[0].Value.Uint64()), int64(s[1].Value.Uint64()), int64(s[2].Value.Uint64())}
}

// TestLoadMemory: what loading a rule set allocates, per rule, at
// start-up and at each rules_file change. Every answer once made a
// template set with the whole function library, about 80 KB a static
// rule; the bound fails on that code.
func TestLoadMemory(t *testing.T) {
	if raceDetector {
		t.Skip("the race detector's instrumentation allocates on its own")
	}
	const n = 1000
	raw := decodeJSON(t, rulesConfig(n, "path+method+header"))
	defer func(kept *statsRegistry) { processStats = kept }(processStats)
	processStats = newStatsRegistry()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	e, err := New(context.Background(), raw, Options{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(e)
	perRule := (after.TotalAlloc - before.TotalAlloc) / n
	t.Logf("loading allocates %d bytes per rule", perRule)
	if perRule > 24<<10 {
		t.Errorf("loading allocates %d bytes per rule, want at most %d", perRule, 24<<10)
	}
}
