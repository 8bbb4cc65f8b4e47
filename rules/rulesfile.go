package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// DefaultReloadInterval is how often a rules_file is polled.
const DefaultReloadInterval = 2 * time.Second

// rulesFile is a watched rules_file: its rules come after the inline ones.
type rulesFile struct {
	path     string
	interval time.Duration
	last     []byte // the content last tried, valid or not
	failure  error  // why the last try failed; nil when it was put in force
}

func compileRulesFile(errs *errorList, cfg *Config) *rulesFile {
	f := &rulesFile{path: cfg.RulesFile, interval: DefaultReloadInterval}
	if cfg.ReloadInterval != "" {
		d, err := time.ParseDuration(cfg.ReloadInterval)
		if err != nil || d < 100*time.Millisecond {
			errs.add("reload_interval", "must be a duration of at least 100ms such as \"2s\", got %q", cfg.ReloadInterval)
		}
		f.interval = d
	}
	return f
}

// fileLocation starts the location of a problem inside a rules_file.
func fileLocation(path string) string { return "rules_file(" + path + ")." }

// watchRulesFile polls the rules_file until ctx ends.
func (e *Engine) watchRulesFile(ctx context.Context) {
	t := time.NewTicker(e.rulesFile.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.reloadRulesFile()
		}
	}
}

// reloadRulesFile reads the rules_file and, when it changed and is valid,
// puts its rules in force. An invalid file is logged with its located
// errors, and the rules in force stay (none at start-up: the engine then
// fails closed).
func (e *Engine) reloadRulesFile() {
	f := e.rulesFile
	content, err := os.ReadFile(f.path)
	if err != nil {
		f.failure = &ConfigError{Location: "rules_file", Problem: "cannot be read: " + unwrapPathError(err).Error()}
		if f.last != nil || e.current.Load() == nil {
			e.log.Error(fmt.Sprintf("rules_file %s cannot be read: %v", strconv.Quote(f.path), unwrapPathError(err)), keptOrClosed(e))
			f.last = nil
		}
		return
	}
	if f.last != nil && bytes.Equal(content, f.last) {
		return
	}
	f.last = content
	fileRules, err := decodeRulesFile(f.path, content)
	var set *ruleSet
	if err == nil {
		set, err = e.compileRules(fileRules, f.path)
	}
	f.failure = err
	if err != nil {
		errs := flatten(err)
		e.log.Error(fmt.Sprintf("rules_file %s is invalid (%d errors):", strconv.Quote(f.path), len(errs)), keptOrClosed(e))
		for _, err := range errs {
			e.log.Error("invalid configuration:", err.Error())
		}
		return
	}
	e.install(set, " (with rules_file "+strconv.Quote(f.path)+")")
}

func keptOrClosed(e *Engine) string {
	if e.current.Load() == nil {
		return "every request to this backend answers 500 until it is valid"
	}
	return "the rules in force stay"
}

// decodeRulesFile decodes {"rules": [...]} strictly, like inline rules; a
// "$schema" string is allowed beside them, for editors.
func decodeRulesFile(path string, content []byte) ([]Rule, error) {
	var errs errorList
	loc := fileLocation(path)
	var raw any
	if err := json.Unmarshal(content, &raw); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			line, col := lineColumn(content, syntax.Offset)
			errs.add(loc[:len(loc)-1], "not valid JSON at line %d, column %d: %v", line, col, err)
		} else {
			errs.add(loc[:len(loc)-1], "not valid JSON: %v", err)
		}
		return nil, errs.err()
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		errs.add(loc[:len(loc)-1], `must be an object {"rules": [...]}, got %s`, typeName(raw))
		return nil, errs.err()
	}
	var rules []Rule
	for _, k := range sortedKeys(obj) {
		v := obj[k]
		if k == "$schema" {
			// Editors find the file's JSON Schema here; the engine has no
			// use for it.
			if _, ok := v.(string); !ok {
				errs.add(loc+k, "must be a string (the URL or path of a JSON Schema), got %s", typeName(v))
			}
			continue
		}
		if k != "rules" {
			errs.add(loc+k, `unknown field (a rules_file holds {"rules": [...]}, and optionally "$schema")`)
			continue
		}
		list, ok := v.([]any)
		if !ok {
			errs.add(loc+"rules", "must be a list of rules, got %s", typeName(v))
			continue
		}
		for i, r := range list {
			rules = append(rules, decodeRule(&errs, loc+Index("rules", i), r))
		}
	}
	return rules, errs.err()
}

// lineColumn turns a byte offset into a 1-based line and column.
func lineColumn(content []byte, offset int64) (line, col int) {
	if offset > int64(len(content)) {
		offset = int64(len(content))
	}
	before := content[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}
