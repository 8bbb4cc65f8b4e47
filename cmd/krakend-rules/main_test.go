package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The plugin folder is dir, whatever the working directory.
	write("krakend-rules.so", "")
	folder, _ := json.Marshal(dir)
	backend := func(rules string) string {
		return `{"version": 3, "plugin": {"folder": ` + string(folder) + `, "pattern": ".so"}, "endpoints": [{"endpoint": "/a", "output_encoding": "no-op", "backend": [{"url_pattern": "/a", "encoding": "no-op", "extra_config": {"plugin/http-client": {"name": "krakend-rules", "krakend-rules": ` + rules + `}}}]}]}`
	}
	clean := write("clean.json", backend(`{"rules": [{"response": {"status": 503}}]}`))
	warned := write("warned.json", backend(`{"rules": [{"response": {}}, {"match": {"path": "/a"}, "response": {}}]}`))
	broken := write("broken.json", backend(`{"rules": [{"response": {"status": 1}}]}`))
	withFile := write("with-file.json", backend(`{"rules_file": "mocks/rules.json"}`))
	os.Mkdir(filepath.Join(dir, "mocks"), 0o755)
	write("mocks/rules.json", `{"rules": [{"response": {}}]}`)
	// The examples, with the plugin built into their folder.
	content, err := os.ReadFile("../../examples/krakend.json")
	if err != nil {
		t.Fatal(err)
	}
	examples := write("examples.json", strings.Replace(string(content), `"folder": "./build/"`, `"folder": `+string(folder), 1))
	// A plugin folder relative to the gateway's working directory.
	unbuilt := write("unbuilt.json", strings.Replace(backend(`{"rules": []}`), string(folder), `"./plugins/"`, 1))
	os.Mkdir(filepath.Join(dir, "plugins"), 0o755)
	write("plugins/README", "")
	wd, _ := os.Getwd()

	tests := []struct {
		name     string
		args     []string
		status   int
		stdout   []string // lines that must be there
		stderr   string
		findings int
	}{
		{"the examples", []string{"check", "-C", "../..", examples}, 0, []string{examples + ": 15 backend(s) with krakend-rules, 0 errors, 0 warnings"}, "", 0},
		{"clean", []string{"check", clean}, 0, []string{clean + ": 1 backend(s) with krakend-rules, 0 errors, 0 warnings"}, "", 0},
		{"warnings pass", []string{"check", warned}, 0, []string{warned + `:1:`, `rules[1]: never applies`, "0 errors, 1 warning"}, "", 1},
		{"warnings fail with -strict", []string{"check", "-strict", warned}, 1, []string{"0 errors, 1 warning"}, "", 1},
		{"errors fail", []string{"check", clean, broken}, 1, []string{broken + ":1:", "error: endpoint GET /a (endpoints[0]), backend[0] /a [rule[0]]: rules[0].response.status: must be an HTTP status from 100 to 599, got 1", "1 error, 0 warnings"}, "", 1},
		{"a rules_file relative to -C", []string{"check", "-C", dir, withFile}, 0, []string{"0 errors, 0 warnings"}, "", 0},
		{"a rules_file relative to the current directory", []string{"check", withFile}, 1, []string{"rules_file: cannot be read: mocks/rules.json: no such file or directory"}, "", 1},
		{"a plugin folder relative to -C", []string{"check", "-C", dir, unbuilt}, 1, []string{unbuilt + `:1:27: error: plugin.folder: "./plugins/" is ` + filepath.Join(dir, "plugins") + ` (resolved against the gateway's working directory, ` + dir + `), which holds no file whose name contains ".so": KrakenD loads no plugin`}, "", 2},
		{"a plugin folder relative to the current directory", []string{"check", unbuilt}, 1, []string{`"./plugins/" is ` + filepath.Join(wd, "plugins") + ` (resolved against the gateway's working directory, ` + wd + `), which does not exist`}, "", 2},
		{"a missing file", []string{"check", filepath.Join(dir, "none.json"), clean}, 2, []string{"0 errors"}, "none.json: no such file or directory", 0},
		{"no file", []string{"check"}, 2, nil, "usage: krakend-rules check", 0},
		{"no command", nil, 2, nil, "usage: krakend-rules check", 0},
		{"an unknown command", []string{"lint", clean}, 2, nil, "usage:", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wd, _ := os.Getwd()
			defer os.Chdir(wd) // -C changes directory
			var stdout, stderr bytes.Buffer
			status := run(tt.args, &stdout, &stderr)
			if status != tt.status {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", status, tt.status, &stdout, &stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, &stdout)
				}
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, &stderr)
			}
			// One line per finding, and one summary per file read.
			if n := strings.Count(stdout.String(), ": error: ") + strings.Count(stdout.String(), ": warning: "); n != tt.findings {
				t.Errorf("%d findings, want %d:\n%s", n, tt.findings, &stdout)
			}
		})
	}
}

// TestTheLintExample: examples/lint holds a configuration with one problem
// of several kinds; check.txt beside it is the report the README shows.
func TestTheLintExample(t *testing.T) {
	t.Chdir("../..")
	want, err := os.ReadFile("examples/lint/check.txt")
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if status := run([]string{"check", "-C", "examples/lint", "examples/lint/krakend.json"}, &stdout, &stderr); status != 1 {
		t.Errorf("exit status %d, want 1; stderr:\n%s", status, &stderr)
	}
	if stdout.String() != string(want) {
		t.Errorf("the report differs from examples/lint/check.txt:\n got:\n%s\nwant:\n%s", &stdout, want)
	}
}
