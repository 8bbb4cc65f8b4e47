//go:build linux

package rules

import (
	"fmt"
	"krakend-rules/config"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// later makes the engine's clock run an hour ahead, so that files just
// written are old enough for their timestamps to be trusted.
func later(e *Engine) { e.rulesFile.now = func() time.Time { return time.Now().Add(time.Hour) } }

// specialFiles make, in dir, something that is not a regular file and that
// reading would block on, never finish, or fail on. The path of sockets is
// short: their names are limited to about a hundred bytes.
var specialFiles = []struct {
	name, kind string
	make       func(t *testing.T, dir string) string
}{
	{"named pipe", "is a named pipe (FIFO), not a regular file", func(t *testing.T, dir string) string {
		p := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}},
	{"zero device", "is a character device, not a regular file", func(*testing.T, string) string { return "/dev/zero" }},
	{"link to the random device", "is a character device, not a regular file", func(t *testing.T, dir string) string {
		p := filepath.Join(dir, "random")
		if err := os.Symlink("/dev/urandom", p); err != nil {
			t.Fatal(err)
		}
		return p
	}},
	{"directory", "is a directory, not a regular file", func(t *testing.T, dir string) string {
		p := filepath.Join(dir, "dir")
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}},
	{"unix socket", "is a socket, not a regular file", func(t *testing.T, _ string) string {
		dir, err := os.MkdirTemp("", "rf")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		l, err := net.Listen("unix", filepath.Join(dir, "s"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return filepath.Join(dir, "s")
	}},
}

// TestRulesFileNotRegularAtStart: a rules_file that is not a regular file
// is rejected at once, located, and the backend fails closed.
func TestRulesFileNotRegularAtStart(t *testing.T) {
	for _, sf := range specialFiles {
		t.Run(sf.name, func(t *testing.T) {
			special := sf.make(t, t.TempDir())
			log := &testLogger{}
			e := loadWithRulesFile(t, `{"rules_file":`+strconv.Quote(special)+`}`, log)
			want := "cannot be read: " + special + ": " + sf.kind
			if e.rulesFile.failure == nil || e.rulesFile.failure.Error() != "rules_file: "+want {
				t.Errorf("failure: %v, want rules_file: %s", e.rulesFile.failure, want)
			}
			log.contains(t, "ERROR", `rules_file `+strconv.Quote(special)+` `+want+`; every request to this backend answers 500`)
			if got := answer(t, e, "/file"); got != `500 {"error":"krakend-rules: invalid configuration"}` {
				t.Errorf("answered %s", got)
			}
			poll(t, e) // and again at the next poll
		})
	}
}

// TestRulesFileNotRegularAtReload: a rules_file replaced by something that
// is not a regular file is rejected at the next poll; the rules in force
// stay, until a valid file is back.
func TestRulesFileNotRegularAtReload(t *testing.T) {
	for _, sf := range specialFiles {
		t.Run(sf.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "rules.json")
			writeFile(t, path, fileRules("1"))
			log := &testLogger{}
			e := loadWithRulesFile(t, `{"rules_file":`+strconv.Quote(path)+`}`, log)
			special := sf.make(t, dir)
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(special, path); err != nil {
				t.Fatal(err)
			}
			poll(t, e)
			want := "cannot be read: " + path + ": " + sf.kind
			if e.rulesFile.failure == nil || e.rulesFile.failure.Error() != "rules_file: "+want {
				t.Errorf("failure: %v, want rules_file: %s", e.rulesFile.failure, want)
			}
			log.contains(t, "ERROR", `rules_file `+strconv.Quote(path)+` `+want+`; the rules in force stay`)
			if got := answer(t, e, "/file"); got != `200 {"v":"1"}` {
				t.Errorf("the rules in force changed: %s", got)
			}
			poll(t, e)
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			writeFile(t, path, fileRules("2"))
			poll(t, e)
			if got := answer(t, e, "/file"); got != `200 {"v":"2"}` || e.rulesFile.failure != nil {
				t.Errorf("a valid file back: %s, failure %v", got, e.rulesFile.failure)
			}
		})
	}
}

// TestReadRulesFileNeverBlocks: what replaces the rules_file between the
// check of its path and its opening is checked again once open, without
// blocking.
func TestReadRulesFileNeverBlocks(t *testing.T) {
	for _, sf := range specialFiles[:2] { // a named pipe with no writer, /dev/zero
		special := sf.make(t, t.TempDir())
		var problem string
		within(t, "reading "+special, func() { _, _, _, problem = readConfigFile(special, "rules_file", MaxRulesFileBytes) })
		if want := "cannot be read: " + special + ": " + sf.kind; problem != want {
			t.Errorf("%s: %q, want %q", sf.name, problem, want)
		}
	}
}

// TestRulesFileTooLarge: a rules_file over MaxRulesFileBytes is rejected,
// with its size and the limit, at start and at a reload.
func TestRulesFileTooLarge(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.json")
	large := filepath.Join(dir, "large.json")
	// A sparse file: as large as it says, with no disk or time spent.
	if err := os.WriteFile(large, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(large, MaxRulesFileBytes+1); err != nil {
		t.Fatal(err)
	}
	want := func(p string) string {
		return fmt.Sprintf("is too large: %s: %d bytes, more than the %d bytes (64 MiB) a rules_file may hold", p, MaxRulesFileBytes+1, MaxRulesFileBytes)
	}

	log := &testLogger{}
	e := loadWithRulesFile(t, `{"rules_file":`+strconv.Quote(large)+`}`, log)
	if e.rulesFile.failure == nil || e.rulesFile.failure.Error() != "rules_file: "+want(large) {
		t.Errorf("at start: %v, want rules_file: %s", e.rulesFile.failure, want(large))
	}
	log.contains(t, "ERROR", `rules_file `+strconv.Quote(large)+` `+want(large)+`; every request to this backend answers 500`)

	writeFile(t, path, fileRules("1"))
	log = &testLogger{}
	e = loadWithRulesFile(t, `{"rules_file":`+strconv.Quote(path)+`}`, log)
	if err := os.Rename(large, path); err != nil {
		t.Fatal(err)
	}
	poll(t, e)
	if e.rulesFile.failure == nil || e.rulesFile.failure.Error() != "rules_file: "+want(path) {
		t.Errorf("at a reload: %v, want rules_file: %s", e.rulesFile.failure, want(path))
	}
	log.contains(t, "ERROR", `rules_file `+strconv.Quote(path)+` `+want(path)+`; the rules in force stay`)
	if got := answer(t, e, "/file"); got != `200 {"v":"1"}` {
		t.Errorf("the rules in force changed: %s", got)
	}
}

// TestReadRulesFileLimit: the read stops one byte past the limit, whatever
// size the file said it had when opened (it may grow meanwhile; the files
// of /proc say 0).
func TestReadRulesFileLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.json")
	if err := os.WriteFile(path, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	if content, _, _, problem := readConfigFile(path, "rules_file", 10); problem != "" || string(content) != "0123456789" {
		t.Errorf("a file of exactly the limit: %q %q", content, problem)
	}
	if _, _, _, problem := readConfigFile(path, "rules_file", 9); problem != "is too large: "+path+": 10 bytes, more than the 9 bytes a rules_file may hold" {
		t.Errorf("a file over the limit: %q", problem)
	}
	const proc = "/proc/self/status" // a regular file of size 0 and some content
	if _, _, _, problem := readConfigFile(proc, "rules_file", 10); problem != "is too large: "+proc+": more than the 10 bytes a rules_file may hold" {
		t.Errorf("a file that outgrows its size: %q", problem)
	}
}

// TestRulesFileUnchangedIsNotRead: while the path leads to the same file,
// with the same size and times, the file is not read again; a file touched
// but identical is read again and not put in force again.
func TestRulesFileUnchangedIsNotRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.json")
	writeFile(t, path, fileRules("1"))
	log := &testLogger{}
	e := loadWithRulesFile(t, `{"rules_file":`+strconv.Quote(path)+`}`, log)
	later(e)
	poll(t, e) // read again: just written when loaded, it could still change unseen
	reads := e.rulesFile.reads
	for range 5 {
		poll(t, e)
	}
	if n := e.rulesFile.reads - reads; n != 0 {
		t.Errorf("an unchanged file was read %d times in 5 polls", n)
	}
	now := time.Now()
	if err := os.Chtimes(path, now, now); err != nil {
		t.Fatal(err)
	}
	poll(t, e)
	poll(t, e)
	if n := e.rulesFile.reads - reads; n != 1 {
		t.Errorf("a touched file was read %d times in 2 polls, want 1", n)
	}
	loaded := 0
	for _, l := range log.lines {
		if strings.Contains(l, " loaded") {
			loaded++
		}
	}
	if loaded != 1 {
		t.Errorf("the rules were put in force %d times, want once:\n%s", loaded, strings.Join(log.lines, "\n"))
	}
}

// TestRulesFileRecentIsReadAgain: a file changed within settleTime of its
// read is read at each poll, for its timestamps could not yet tell a write
// that follows at once.
func TestRulesFileRecentIsReadAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.json")
	writeFile(t, path, fileRules("1"))
	e := loadWithRulesFile(t, `{"rules_file":`+strconv.Quote(path)+`}`, nil)
	reads := e.rulesFile.reads
	poll(t, e)
	poll(t, e)
	if n := e.rulesFile.reads - reads; n != 2 {
		t.Errorf("a file just written was read %d times in 2 polls, want 2", n)
	}
}

// TestRulesFileRewrittenInPlace: the same file (same inode), rewritten with
// content of the same size and its modification time set back, is seen by
// its change time.
func TestRulesFileRewrittenInPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.json")
	if err := os.WriteFile(path, []byte(fileRules("1")), 0o644); err != nil {
		t.Fatal(err)
	}
	e := loadWithRulesFile(t, `{"rules_file":`+strconv.Quote(path)+`}`, nil)
	later(e)
	poll(t, e)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(fileRules("2")), 0o644); err != nil { // truncates and writes the same inode
		t.Fatal(err)
	}
	// Setting the modification time back changes the change time; the
	// clock file times follow moves in steps of a few milliseconds, so wait
	// for a step if need be.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if err := os.Chtimes(path, before.ModTime(), before.ModTime()); err != nil {
			t.Fatal(err)
		}
		after, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		b, a := before.Sys().(*syscall.Stat_t), after.Sys().(*syscall.Stat_t)
		if a.Ino != b.Ino || a.Size != b.Size || a.Mtim != b.Mtim {
			t.Fatalf("the rewrite changed more than the change time: %+v, then %+v", b, a)
		}
		if a.Ctim != b.Ctim {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the change time does not move")
		}
	}
	poll(t, e)
	if got := answer(t, e, "/file"); got != `200 {"v":"2"}` {
		t.Errorf("a file rewritten in place: %s", got)
	}
}

// TestRulesFileConfigMap: a Kubernetes ConfigMap volume updates its files
// by pointing its ..data link to a new directory, renamed over it; the
// rules_file, a link through ..data, then leads to another file.
func TestRulesFileConfigMap(t *testing.T) {
	dir := t.TempDir()
	version := func(name, v string) {
		t.Helper()
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "rules.json"), []byte(fileRules(v)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(name, filepath.Join(dir, "..data_tmp")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	version("..2026_11_30_10_00_00.000000001", "1")
	path := filepath.Join(dir, "rules.json")
	if err := os.Symlink("..data/rules.json", path); err != nil {
		t.Fatal(err)
	}
	e := loadWithRulesFile(t, `{"rules_file":`+strconv.Quote(path)+`}`, nil)
	later(e)
	poll(t, e)
	poll(t, e)
	if got := answer(t, e, "/file"); got != `200 {"v":"1"}` {
		t.Fatalf("before the update: %s", got)
	}
	version("..2026_11_30_10_05_00.000000002", "2") // the same size
	if err := os.RemoveAll(filepath.Join(dir, "..2026_11_30_10_00_00.000000001")); err != nil {
		t.Fatal(err)
	}
	poll(t, e)
	if got := answer(t, e, "/file"); got != `200 {"v":"2"}` {
		t.Errorf("after the update: %s", got)
	}
}

// largeRulesFile writes a valid rules_file of about size bytes: 5 000 rules
// on distinct paths, each answering a padded body.
func largeRulesFile(tb testing.TB, path string, size int) {
	tb.Helper()
	const n = 5000
	pad := strings.Repeat("x", max(size/n-100, 0))
	var sb strings.Builder
	sb.Grow(size + n*100)
	sb.WriteString(`{"rules":[`)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"name":"r%d","match":{"path":"/svc%d/**"},"response":{"body":{"rule":%d,"pad":"%s"}}}`, i, i, i, pad)
	}
	sb.WriteString(`]}`)
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkRulesFilePollUnchanged is one poll of a 50 MB rules_file that
// has not changed since it was loaded: what a gateway spends, per backend
// with a rules_file, every reload_interval while nobody edits the file.
// cpu-ns/op is its CPU time, and %cpu@100ms that time as a share of one
// core at the shortest interval.
func BenchmarkRulesFilePollUnchanged(b *testing.B) {
	path := filepath.Join(b.TempDir(), "rules.json")
	largeRulesFile(b, path, 50<<20)
	written := time.Now()
	cfg, err := config.Decode(decodeJSON(b, `{"rules_file":`+strconv.Quote(path)+`}`))
	if err != nil {
		b.Fatal(err)
	}
	e, err := Compile(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if e.current.Load() == nil {
		b.Fatal(e.rulesFile.failure)
	}
	// A file is trusted unchanged only once it is read with timestamps a
	// few seconds old (see settleTime): as by an idle gateway.
	time.Sleep(time.Until(written.Add(2500 * time.Millisecond)))
	e.reloadRulesFile()
	cpu := cpuTime(b)
	for b.Loop() {
		e.reloadRulesFile()
	}
	perPoll := float64(cpuTime(b)-cpu) / float64(b.N)
	b.ReportMetric(perPoll, "cpu-ns/op")
	b.ReportMetric(perPoll/float64(100*time.Millisecond)*100, "%cpu@100ms")
}

// cpuTime is the CPU time the process has used, user and system, all its
// threads (the garbage collector's included): a busy machine slows the
// wall clock of a benchmark, much less its CPU time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
