package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// readmeProse returns the lines of a Markdown text outside its fenced code
// blocks, each with its number (from 1); the lines of code blocks are "".
func readmeProse(text string) []string {
	lines := strings.Split(text, "\n")
	inCode := false
	for i, l := range lines {
		if strings.HasPrefix(l, "```") {
			inCode = !inCode
			lines[i] = ""
			continue
		}
		if inCode {
			lines[i] = ""
		}
	}
	return lines
}

var (
	markdownHeading = regexp.MustCompile(`^#{1,6} +(.*?)#*\s*$`)
	inlineLink      = regexp.MustCompile(`\[([^\]]*)\]\(([^)\s]+)\)`)
	codeSpan        = regexp.MustCompile("`([^`]*)`")
)

// githubAnchor is the anchor GitHub gives a heading: its text as rendered
// (code spans and links keep their text), lower-cased, without the
// characters that are not letters, digits, spaces, hyphens or underscores,
// spaces turned into hyphens (as github-slugger does).
func githubAnchor(heading string) string {
	heading = codeSpan.ReplaceAllString(heading, "$1")
	heading = inlineLink.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// readmeAnchors are the anchors of a Markdown text's headings; a repeated
// one gets "-1", "-2"… as on GitHub.
func readmeAnchors(prose []string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	for _, l := range prose {
		m := markdownHeading.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		a := githubAnchor(m[1])
		if n := seen[a]; n > 0 {
			seen[a]++
			a = fmt.Sprintf("%s-%d", a, n)
		} else {
			seen[a] = 1
		}
		anchors[a] = true
	}
	return anchors
}

func TestGitHubAnchors(t *testing.T) {
	tests := map[string]string{
		"Quick start": "quick-start",
		"Why did this request get that answer? `krakend-rules explain`": "why-did-this-request-get-that-answer-krakend-rules-explain",
		"Status codes and headers reach the client only with `no-op`":   "status-codes-and-headers-reach-the-client-only-with-no-op",
		"`krakend-rules`": "krakend-rules",
		"Mocks from OpenAPI: `krakend-rules import openapi`":           "mocks-from-openapi-krakend-rules-import-openapi",
		"What a client plugin cannot do, and what KrakenD does itself": "what-a-client-plugin-cannot-do-and-what-krakend-does-itself",
		"Will it load? `krakend-rules check-plugin`":                   "will-it-load-krakend-rules-check-plugin",
		"A [linked](https://example.com) heading_with_underscore 2.13": "a-linked-heading_with_underscore-213",
	}
	for heading, want := range tests {
		if got := githubAnchor(heading); got != want {
			t.Errorf("%q: got %q, want %q", heading, got, want)
		}
	}
	anchors := readmeAnchors([]string{"## Examples", "text", "### Examples", "# Examples"})
	for _, want := range []string{"examples", "examples-1", "examples-2"} {
		if !anchors[want] {
			t.Errorf("no anchor %q in %v", want, anchors)
		}
	}
}

// TestREADMELinks checks that every link of README.md to one of its own
// headings names an anchor GitHub gives a heading, and that every link to
// a file of the repository names one that exists.
func TestREADMELinks(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	prose := readmeProse(string(readme))
	anchors := readmeAnchors(prose)
	internal, files := 0, 0
	text := strings.Join(prose, "\n") // a link's text may run over lines
	for _, at := range inlineLink.FindAllStringSubmatchIndex(text, -1) {
		line := strings.Count(text[:at[0]], "\n") + 1
		linkText, target := text[at[2]:at[3]], text[at[4]:at[5]]
		switch {
		case strings.HasPrefix(target, "#"):
			internal++
			if !anchors[target[1:]] {
				t.Errorf("README.md:%d: [%s](%s): no heading has the anchor %s", line, linkText, target, target)
			}
		case strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:"):
		default:
			files++
			name, _, _ := strings.Cut(target, "#")
			if _, err := os.Stat(name); err != nil {
				t.Errorf("README.md:%d: [%s](%s): %v", line, linkText, target, err)
			}
		}
	}
	t.Logf("%d links to headings, %d to files", internal, files)
	if internal == 0 {
		t.Error("no link to a heading found")
	}
}

func exists(name string) bool {
	_, err := os.Lstat(name)
	return err == nil
}

// layoutEntries returns the names the first column of README.md's Layout
// table gives, each resolved from the repository's root: a name without
// one that exists in the directory of the name before it in the same cell
// is that one (`cmd/krakend-rules/importopenapi.go`, `importsample.go`).
func layoutEntries(t *testing.T, readme string) []string {
	prose := readmeProse(readme)
	start := -1
	for i, l := range prose {
		if l == "## Layout" {
			start = i
		}
	}
	if start < 0 {
		t.Fatal("README.md has no ## Layout section")
	}
	var names []string
	rows := 0
	for _, l := range prose[start+1:] {
		if strings.HasPrefix(l, "#") {
			break
		}
		if !strings.HasPrefix(l, "| `") {
			continue
		}
		rows++
		cell := strings.SplitN(l, "|", 3)[1]
		base := "" // the directory of the name before
		for _, m := range codeSpan.FindAllStringSubmatch(cell, -1) {
			name := m[1]
			if inBase := filepath.ToSlash(filepath.Join(base, name)); base != "" && !strings.ContainsAny(name, "*?[") && exists(inBase) {
				name = inBase
				if strings.HasSuffix(m[1], "/") {
					name += "/"
				}
			}
			if strings.HasSuffix(name, "/") {
				base = name
			} else {
				base = filepath.Dir(name)
			}
			names = append(names, name)
		}
	}
	if rows == 0 {
		t.Fatal("README.md's Layout section has no table rows")
	}
	return names
}

// TestREADMELayout checks README.md's Layout table against the tree: every
// file, directory or glob it names exists, and every Go file that is not a
// test is named, by itself, by a glob or by a directory that holds it.
func TestREADMELayout(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	entries := layoutEntries(t, string(readme))
	for _, name := range entries {
		if strings.ContainsAny(name, "*?[") {
			if matches, _ := filepath.Glob(name); len(matches) == 0 {
				t.Errorf("Layout: %s matches no file", name)
			}
			continue
		}
		info, err := os.Stat(strings.TrimSuffix(name, "/"))
		switch {
		case err != nil:
			t.Errorf("Layout: %s does not exist", name)
		case strings.HasSuffix(name, "/") && !info.IsDir():
			t.Errorf("Layout: %s is not a directory", name)
		}
	}
	covered := func(file string) bool {
		for _, name := range entries {
			if ok, _ := filepath.Match(name, file); ok {
				return true
			}
			if strings.HasSuffix(name, "/") && strings.HasPrefix(file, name) {
				return true
			}
		}
		return false
	}
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "build" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") && !covered(filepath.ToSlash(path)) {
			t.Errorf("Layout: %s is not named (by itself, a glob or its directory)", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
