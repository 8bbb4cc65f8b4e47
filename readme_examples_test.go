package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"krakend-rules/config"
	"krakend-rules/lint"
	"krakend-rules/rules"
)

// The JSON examples of README.md are configurations, and this file checks
// that each one loads: a krakend-rules object (or a member of one, or a
// rule) compiles with the engine, as rules.Check does; a krakend.json (or an
// endpoint, or a backend list) goes through the linter with no error. Each
// block is classified by what it holds, and a warning of the engine or the
// linter is a problem too (but in an endpoint this test makes up around a
// backend list); a block that is deliberately not a
// whole configuration, or deliberately wrong, says so with an HTML comment
// on the line before its fence:
//
//	<!-- readme-test: fragment -->            not checked (it elides, or is not a configuration)
//	<!-- readme-test: invalid -->             must fail to load
//	<!-- readme-test: invalid: TEXT -->       must fail with an error that contains TEXT, and
//	                                          TEXT must be shown in the README after the block
//	                                          (several such lines: several errors)
//
// Files an example names (body_file, body_dir, rules_file, seed_file, the
// directory of a record file, the root plugin folder) are created, as stubs,
// in a temporary directory the example is checked in: the examples say how
// to name files, not what they hold.

// readmeBlock is a fenced code block of README.md.
type readmeBlock struct {
	line   int    // the line of its opening fence, from 1
	lang   string // what follows the fence: "json", "sh", ""
	text   string
	marker string   // "fragment", "invalid", or "" when there is none
	want   []string // with "invalid": texts the error must contain, if any
	after  string   // the README's text after the block, up to the next heading
}

var readmeMarker = regexp.MustCompile(`^<!-- readme-test: (fragment|invalid)(?::\s*(.*?))?\s*-->$`)

// readmeBlocks splits a Markdown text into its fenced code blocks.
func readmeBlocks(readme string) ([]readmeBlock, error) {
	lines := strings.Split(readme, "\n")
	var blocks []readmeBlock
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "```") {
			continue
		}
		b := readmeBlock{line: i + 1, lang: strings.TrimSpace(strings.TrimPrefix(lines[i], "```"))}
		// The comments on the lines right before the fence; several
		// "invalid: TEXT" ones name several errors.
		for j := i - 1; j >= 0; j-- {
			prev := strings.TrimSpace(lines[j])
			m := readmeMarker.FindStringSubmatch(prev)
			if m == nil {
				if strings.HasPrefix(prev, "<!-- readme-test") {
					return nil, fmt.Errorf("README.md:%d: a readme-test comment this test does not know: %s", j+1, prev)
				}
				break
			}
			if b.marker != "" && b.marker != m[1] {
				return nil, fmt.Errorf("README.md:%d: a block both %s and %s", j+1, b.marker, m[1])
			}
			b.marker = m[1]
			if m[2] != "" {
				b.want = append([]string{m[2]}, b.want...)
			}
		}
		end := i + 1
		for end < len(lines) && !strings.HasPrefix(lines[end], "```") {
			end++
		}
		if end == len(lines) {
			return nil, fmt.Errorf("README.md:%d: a code block that never ends", b.line)
		}
		b.text = strings.Join(lines[i+1:end], "\n")
		var after []string
		for k := end + 1; k < len(lines) && !strings.HasPrefix(lines[k], "#"); k++ {
			after = append(after, lines[k])
		}
		b.after = strings.Join(after, "\n")
		blocks = append(blocks, b)
		i = end
	}
	return blocks, nil
}

// readmeValues decodes a JSON block into the values it shows: one value; a
// member (`"rules": [...]`), shown as the object holding it; or several
// values, separated by commas or one a line.
func readmeValues(text string) ([]any, error) {
	text = strings.TrimSpace(text)
	var v any
	err := json.Unmarshal([]byte(text), &v)
	if err == nil {
		return []any{v}, nil
	}
	if strings.HasPrefix(text, `"`) {
		if err := json.Unmarshal([]byte("{"+text+"}"), &v); err != nil {
			return nil, fmt.Errorf("not the members of a JSON object: %w", err)
		}
		return []any{v}, nil
	}
	var list []any
	if json.Unmarshal([]byte("["+text+"]"), &list) == nil {
		return list, nil
	}
	dec := json.NewDecoder(strings.NewReader(text))
	list = nil
	for dec.More() {
		var v any
		if dec.Decode(&v) != nil {
			return nil, fmt.Errorf("not a JSON value, nor several: %w", err)
		}
		list = append(list, v)
	}
	return list, nil
}

// A piece of configuration, classified by its keys.
const (
	kindGateway  = "krakend.json"
	kindEndpoint = "endpoint"
	kindBackends = "backend list"
	kindRules    = "krakend-rules object"
	kindRule     = "rule"
)

// classify says what a value of a README block is, and returns the part
// to check: the krakend-rules object inside an extra_config, say.
func classify(v any) (string, any) {
	obj, ok := v.(map[string]any)
	if !ok {
		return "", nil
	}
	has := func(key string) bool { _, ok := obj[key]; return ok }
	switch {
	case has("endpoints"):
		return kindGateway, obj
	case has("endpoint"):
		return kindEndpoint, obj
	case has("backend") && len(obj) == 1:
		return kindBackends, obj["backend"]
	case has("extra_config") && len(obj) == 1:
		return classify(obj["extra_config"])
	case has("plugin/http-client") && len(obj) == 1:
		return classify(obj["plugin/http-client"])
	case has(lint.PluginName):
		return kindRules, obj[lint.PluginName]
	case has("rules") || has("rules_file"):
		return kindRules, obj
	}
	for _, field := range config.FieldNames(reflect.TypeFor[config.Rule]()) {
		if has(field) {
			return kindRule, obj
		}
	}
	return "", nil
}

// checkReadmeBlock loads the configurations of a JSON block, in the
// current directory, and returns what went wrong: an error when the block
// is not a configuration at all, or else the problems each piece has
// (nil when every piece loads).
func checkReadmeBlock(t *testing.T, b readmeBlock) (problems []string, err error) {
	values, err := readmeValues(b.text)
	if err != nil {
		return nil, err
	}
	var endpoints []any
	strict := true // warnings are problems, but in an endpoint made up around a backend list
	for i, v := range values {
		kind, part := classify(v)
		if kind == "" {
			return nil, fmt.Errorf("value %d is none of a krakend.json, an endpoint, a backend list, a krakend-rules object or a rule: mark the block `<!-- readme-test: fragment -->` if it is meant to be partial", i)
		}
		stubFiles(t, part)
		switch kind {
		case kindGateway:
			problems = append(problems, lintGateway(t, part, true)...)
		case kindEndpoint:
			endpoints = append(endpoints, part)
		case kindBackends:
			backends, _ := part.([]any)
			pattern := "/"
			if len(backends) > 0 {
				if b, ok := backends[0].(map[string]any); ok {
					pattern, _ = b["url_pattern"].(string)
				}
			}
			endpoints = append(endpoints, map[string]any{"endpoint": pattern, "backend": part})
			strict = false
		case kindRules, kindRule:
			raw := part
			if kind == kindRule {
				raw = map[string]any{"rules": []any{part}}
			}
			checked, err := rules.Check(raw)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", kind, err))
				continue
			}
			for _, w := range checked.Warnings {
				problems = append(problems, fmt.Sprintf("%s: warning: %v", kind, w))
			}
		}
	}
	if endpoints != nil {
		gateway := map[string]any{
			"version":   3,
			"plugin":    map[string]any{"folder": "./build/", "pattern": ".so"},
			"endpoints": endpoints,
		}
		stubFiles(t, gateway)
		problems = append(problems, lintGateway(t, gateway, strict)...)
	}
	return problems, nil
}

// lintGateway lints a krakend.json: its errors are problems, and its
// warnings too when strict (else they are logged).
func lintGateway(t *testing.T, gateway any, strict bool) (problems []string) {
	content, err := json.MarshalIndent(gateway, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	report := lint.Content("krakend.json", content)
	if report.Backends == 0 && !mentions(gateway, lint.PluginName) {
		t.Logf("krakend.json: no backend names %s", lint.PluginName)
	}
	for _, f := range report.Findings {
		if f.Severity == lint.Error || strict {
			problems = append(problems, f.String())
		} else {
			t.Logf("%s", f)
		}
	}
	return problems
}

func mentions(v any, s string) bool {
	text, _ := json.Marshal(v)
	return bytes.Contains(text, []byte(s))
}

// stubFiles creates, under the current directory, the files and
// directories a piece of configuration names.
func stubFiles(t *testing.T, v any) {
	t.Helper()
	write := func(name, content string) {
		if name == "" || filepath.IsAbs(name) || strings.Contains(name, "{{") {
			return
		}
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(name); err == nil {
			return
		}
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mkdir := func(name string) {
		if name != "" && !filepath.IsAbs(name) && !strings.Contains(name, "{{") {
			if err := os.MkdirAll(name, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			str := func(key string) string { s, _ := v[key].(string); return s }
			dir := str("body_dir")
			mkdir(dir)
			if file := str("body_file"); file != "" {
				write(filepath.Join(dir, file), "{}")
			}
			write(str("rules_file"), `{"rules": []}`)
			write(str("seed_file"), "[]")
			if record, ok := v["record"].(map[string]any); ok {
				if file, _ := record["file"].(string); file != "" {
					mkdir(filepath.Dir(file))
				}
			}
			if plugin, ok := v["plugin"].(map[string]any); ok {
				if folder, _ := plugin["folder"].(string); folder != "" {
					pattern, _ := plugin["pattern"].(string)
					write(filepath.Join(folder, lint.PluginName+pattern), "")
				}
			}
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
}

// TestREADMEExamplesLoad checks every JSON example of README.md.
func TestREADMEExamplesLoad(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := readmeBlocks(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, b := range blocks {
		if b.lang != "json" {
			if b.marker != "" {
				t.Errorf("README.md:%d: a readme-test comment before a %q block: only JSON blocks are checked", b.line, b.lang)
			}
			continue
		}
		counts[b.marker]++
		if b.marker == "fragment" {
			continue
		}
		t.Run(fmt.Sprintf("line_%d", b.line), func(t *testing.T) {
			for _, msg := range checkExample(t, b) {
				t.Error(msg)
			}
		})
	}
	t.Logf("README.md: %d JSON examples checked to load, %d to fail, %d fragments", counts[""], counts["invalid"], counts["fragment"])
	if counts[""] == 0 {
		t.Error("no JSON example of README.md was checked")
	}
}

// checkExample checks one block, in a directory of its own, and returns
// what is wrong with it.
func checkExample(t *testing.T, b readmeBlock) (wrong []string) {
	t.Chdir(t.TempDir())
	at := fmt.Sprintf("README.md:%d", b.line)
	problems, err := checkReadmeBlock(t, b)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", at, err)}
	}
	switch b.marker {
	case "":
		for _, p := range problems {
			wrong = append(wrong, fmt.Sprintf("%s: the example does not load: %s", at, p))
		}
	case "invalid":
		if len(problems) == 0 {
			return []string{at + ": marked invalid, but the example loads"}
		}
		for _, want := range b.want {
			if !strings.Contains(b.after, want) {
				wrong = append(wrong, fmt.Sprintf("%s: the README does not show the error %q after the example", at, want))
			}
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, want) }) {
				wrong = append(wrong, fmt.Sprintf("%s: the example fails, but not with %q:\n%s", at, want, strings.Join(problems, "\n")))
			}
		}
	}
	return wrong
}

// TestREADMEExampleCheckCatchesMistakes: the check above fails on wrong
// examples, each kind of them.
func TestREADMEExampleCheckCatchesMistakes(t *testing.T) {
	tests := []struct {
		name, readme string
	}{
		{"a misspelled field of a rule", "```json\n{\"name\": \"r\", \"macth\": {}, \"response\": {}}\n```\n"},
		{"a misspelled field inside a krakend.json", "```json\n" + `{"version": 3, "plugin": {"folder": "./build/", "pattern": ".so"}, "endpoints": [
 {"endpoint": "/a", "backend": [{"url_pattern": "/a", "extra_config": {"plugin/http-client": {"name": "krakend-rules",
  "krakend-rules": {"rules": [{"name": "r", "response": {"staus": 200}}]}}}}]}]}` + "\n```\n"},
		{"a JSON syntax error", "```json\n\"rules\": [{\"name\": \"r\", \"response\": {}},]\n```\n"},
		{"a bad glob in a member", "```json\n\"krakend-rules\": {\"rules\": [{\"match\": {\"path\": \"/a/[\"}, \"delegate\": {}}]}\n```\n"},
		{"a block that is no configuration", "```json\n{\"json.schemas\": []}\n```\n"},
		{"a block marked invalid that loads", "<!-- readme-test: invalid -->\n```json\n{\"name\": \"r\", \"response\": {}}\n```\n"},
		{"a block that fails with another error than the one shown", "<!-- readme-test: invalid: unknown field -->\n```json\n{\"name\": \"r\", \"match\": {\"path\": \"/a/[\"}, \"response\": {}}\n```\n\nunknown field\n"},
		{"a block whose error the README does not show", "<!-- readme-test: invalid: bad glob -->\n```json\n{\"name\": \"r\", \"match\": {\"path\": \"/a/[\"}, \"response\": {}}\n```\n\n## Next\n\nbad glob\n"},
		{"an endpoint whose rules do not decode", "```json\n{\"endpoint\": \"/a\", \"backend\": [{\"url_pattern\": \"/a\", \"extra_config\": {\"plugin/http-client\": {\"name\": \"krakend-rules\", \"krakend-rules\": {\"rules\": {}}}}}]}\n```\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks, err := readmeBlocks(tt.readme)
			if err != nil || len(blocks) != 1 {
				t.Fatalf("%d blocks, %v", len(blocks), err)
			}
			wrong := checkExample(t, blocks[0])
			if len(wrong) == 0 {
				t.Fatal("the check found nothing wrong")
			}
			t.Log(strings.Join(wrong, "\n"))
		})
	}
	t.Run("a right invalid example", func(t *testing.T) {
		blocks, _ := readmeBlocks("<!-- readme-test: invalid: bad glob -->\n```json\n{\"name\": \"r\", \"match\": {\"path\": \"/a/[\"}, \"response\": {}}\n```\n\nIt fails: `bad glob`.\n")
		if wrong := checkExample(t, blocks[0]); len(wrong) != 0 {
			t.Error(wrong)
		}
	})
	if _, err := readmeBlocks("<!-- readme-test: fragmnt -->\n```json\n{}\n```\n"); err == nil {
		t.Error("a misspelled readme-test comment is accepted")
	}
}

// TestREADMEShowsTheLintReport: the linter's report on examples/lint, which
// cmd/krakend-rules's TestTheLintExample keeps in examples/lint/check.txt,
// is the one README.md shows.
func TestREADMEShowsTheLintReport(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	report, err := os.ReadFile("examples/lint/check.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, append([]byte("```\n"), report...)) {
		t.Error("README.md does not show examples/lint/check.txt as it is")
	}
}
