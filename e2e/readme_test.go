package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// quickStartStep is one command of the README's Quick start and what the
// README says it prints.
type quickStartStep struct {
	command, want string
	random        bool // its comment says the answer is random by design
}

// quickStart reads the first console block of the README's Quick start.
func quickStart(t *testing.T) []quickStartStep {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	_, after, ok := strings.Cut(text, "## Quick start")
	if !ok {
		t.Fatal("the README has no Quick start")
	}
	_, block, ok := strings.Cut(after, "```console\n")
	if !ok {
		t.Fatal("the Quick start has no console block")
	}
	block, _, _ = strings.Cut(block, "```")
	var steps []quickStartStep
	lines := strings.Split(block, "\n")
	for i := 0; i < len(lines); i++ {
		cmd, ok := strings.CutPrefix(lines[i], "$ ")
		if !ok {
			continue
		}
		for strings.HasSuffix(cmd, "\\") && i+1 < len(lines) {
			i++
			cmd = strings.TrimSuffix(cmd, "\\") + " " + strings.TrimSpace(lines[i])
		}
		var want []string
		for i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "$ ") {
			i++
			want = append(want, lines[i])
		}
		steps = append(steps, quickStartStep{command: cmd, want: strings.TrimRight(strings.Join(want, "\n"), "\n"), random: strings.Contains(cmd, "# ") && strings.Contains(cmd[strings.Index(cmd, "# "):], "random:")})
	}
	return steps
}

var (
	uuids = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	times = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	// routerHeaders are what the README leaves out of a transcript: the
	// date and the headers Lura's router adds.
	routerHeaders = regexp.MustCompile(`(?m)^(Date|X-Krakend|X-Krakend-Completed): .*\n`)
)

// asShown reduces an answer to what the README can show of it: random
// values as placeholders, no router headers, LF line ends.
func asShown(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = routerHeaders.ReplaceAllString(s, "")
	s = uuids.ReplaceAllString(s, "<uuid>")
	s = times.ReplaceAllString(s, "<time>")
	return strings.TrimRight(s, "\n")
}

// TestTheQuickStartTranscript runs every command of the README's Quick
// start against a freshly started demo and compares what it prints with
// what the README shows.
func TestTheQuickStartTranscript(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed to run the README's commands as a user would:", err)
	}
	steps := quickStart(t)
	if len(steps) < 10 {
		t.Fatalf("found %d commands in the Quick start", len(steps))
	}
	g := startExamples(t)
	run := func(command string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "bash", "-c", strings.ReplaceAll(command, "http://localhost:8080", g.url)).CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v\n%s", command, err, out)
		}
		return asShown(string(out))
	}
	for _, s := range steps {
		want := asShown(s.want)
		got := run(s.command)
		for try := 1; s.random && got != want && try < 60; try++ {
			if got == `{"error":"maintenance"}` {
				t.Logf("%s: in the example's weekend maintenance window", s.command)
				got = want
				break
			}
			got = run(s.command)
		}
		if got != want {
			t.Errorf("$ %s\n got:\n%s\nwant (the README):\n%s", s.command, got, want)
		}
	}
}
