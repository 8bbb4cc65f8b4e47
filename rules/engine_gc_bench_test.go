package rules

import (
	"context"
	"runtime"
	"testing"
)

// BenchmarkGCMark is what one full garbage collection of the process
// costs with a backend's rules compiled and nothing else of the test's in
// the heap: the compiled rules are marked at every cycle for the
// gateway's life, and on a gateway given one core each cycle's mark phase
// is time its requests wait. rules=0 is the process's own floor; the
// difference to it is the rules' share. Run with -cpu 1, as the load test
// pins the gateway to one core:
//
//	go test -run '^$' -bench GCMark -cpu 1 -count 6 ./rules/
func BenchmarkGCMark(b *testing.B) {
	for _, shape := range []string{"path", "path+method+header", "body"} {
		for _, n := range []int{0, 1000, 10000} {
			b.Run(shape+"/rules="+itoa(n), func(b *testing.B) {
				// The decoded configuration is dropped before measuring, as a
				// rules_file's is: only what the engine keeps is marked. The
				// process's statistics keep every name they counted, so each
				// case has its own, as each gateway process does.
				defer func(kept *statsRegistry) { processStats = kept }(processStats)
				processStats = newStatsRegistry()
				e, err := New(context.Background(), decodeJSON(b, rulesConfig(n, shape)), Options{})
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				for b.Loop() {
					runtime.GC()
				}
				runtime.KeepAlive(e)
			})
		}
	}
}

// BenchmarkGCPointerCost is the rule of thumb behind the compiled rules'
// layout: one full collection with 10 000 structs of ten pointer fields,
// nil, all at one shared object, into one array, or each at its own
// object. What costs is a pointer that is set, wherever it points (about
// 10 ns a collection each on the development machine, 2 ns when nil):
//
//	go test -run '^$' -bench GCPointerCost -cpu 1 ./rules/
func BenchmarkGCPointerCost(b *testing.B) {
	type ten struct{ a, b, c, d, e, f, g, h, i, j *int }
	shared, array := new(int), make([]int, 10000)
	for _, mode := range []string{"none", "nil", "shared", "array", "objects"} {
		b.Run(mode, func(b *testing.B) {
			var s []ten
			if mode != "none" {
				s = make([]ten, 10000)
			}
			for k := range s {
				p := map[string]*int{"shared": shared, "array": &array[k], "objects": new(int)}[mode]
				s[k] = ten{p, p, p, p, p, p, p, p, p, p}
			}
			runtime.GC()
			for b.Loop() {
				runtime.GC()
			}
			runtime.KeepAlive(s)
		})
	}
}
