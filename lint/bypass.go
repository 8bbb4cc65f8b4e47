package lint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// The mistakes of this file make KrakenD send a backend's traffic straight
// to it, with no rule applied and no error anyone sees: the plugin never
// runs, so it cannot fail closed. Only the linter can report them.

// pluginNotLoaded reports a root "plugin" object from which KrakenD loads
// no plugin: the loader reads the folder (relative to the gateway's working
// directory) and loads every file, not a directory, whose name contains the
// pattern.
func (c *checker) pluginNotLoaded(root map[string]any, users int) {
	plugin, ok := root["plugin"].(map[string]any)
	if !ok {
		return
	}
	at := path{}.member("plugin")
	bypass := fmt.Sprintf("KrakenD loads no plugin and sends the traffic of the %d backend(s) meant for %s straight to their hosts, with no rule applied and no error", users, PluginName)
	folder, ok := plugin["folder"].(string)
	if !ok || folder == "" {
		if _, set := plugin["folder"]; set {
			at = at.member("folder")
		}
		c.add(Error, c.report.File, at, "", at.String(), `no plugin folder: %s; set "folder" to the directory that holds krakend-rules.so`, bypass)
		return
	}
	at = at.member("folder")
	pattern, _ := plugin["pattern"].(string)
	if pattern == "" {
		pattern = ".so"
	}
	shown := strconv.Quote(folder)
	if !filepath.IsAbs(folder) {
		shown = fmt.Sprintf("%s is %s (resolved against the gateway's working directory, %s)", shown, filepath.Join(c.workDir, folder), c.workDir)
	}
	entries, err := os.ReadDir(folder)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.add(Error, c.report.File, at, "", at.String(), "%s, which does not exist: %s", shown, bypass)
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		c.add(Error, c.report.File, at, "", at.String(), "%s, which cannot be read (%v): %s", shown, err, bypass)
	case !slices.ContainsFunc(entries, func(e fs.DirEntry) bool { return !e.IsDir() && strings.Contains(e.Name(), pattern) }):
		c.add(Error, c.report.File, at, "", at.String(), "%s, which holds no file whose name contains %q: %s", shown, pattern, bypass)
	}
}

// nearPluginName tells whether a name or key is krakend-rules, or close
// enough to it to be meant as it: the same letters and digits whatever the
// case and separators ("krakend_rules", "Krakend-Rules", "krakend-rules.so"),
// or at most two edits away from them ("krakend-rule", "kraken-rules").
func nearPluginName(s string) bool {
	const want = "krakendrules"
	var b strings.Builder
	for _, r := range strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".so") {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	n := b.String()
	return n == want || len(n) >= len(want)-2 && len(n) <= len(want)+2 && editDistance(n, want) <= 2
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// pluginKey returns the key of obj that is, or nearly is, krakend-rules:
// the exact one if present, else the first near miss; "" when none.
func pluginKey(obj map[string]any) string {
	if _, ok := obj[PluginName]; ok {
		return PluginName
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if nearPluginName(k) {
			return k
		}
	}
	return ""
}

// meansPlugin tells whether a client plugin object is meant for
// krakend-rules: it names it, nearly names it, or holds its configuration.
func meansPlugin(plugin map[string]any) bool {
	name, _ := plugin["name"].(string)
	return nearPluginName(name) || pluginKey(plugin) != ""
}

// misnamed reports a backend's client plugin object meant for krakend-rules
// whose name is not krakend-rules: KrakenD looks the name up among the
// plugins it loaded and, finding none, sends the backend's traffic straight
// to its host. It reports whether there was something to report.
func (c *checker) misnamed(plugin map[string]any, at path, where string) bool {
	if !meansPlugin(plugin) {
		return false
	}
	file, fix := c.report.File, fmt.Sprintf(`write "name": %q`, PluginName)
	raw, hasName := plugin["name"]
	name, isString := raw.(string)
	switch {
	case !hasName:
		c.add(Error, file, at, where, at.String(), `no "name": KrakenD applies no client plugin and sends the backend's traffic straight to its host, with no rule applied and no error; add "name": %q`, PluginName)
	case isString && nearPluginName(name):
		at = at.member("name")
		c.add(Error, file, at, where, at.String(), "%q is not %q: KrakenD finds no plugin of that name and sends the backend's traffic straight to its host, with no rule applied and no error; %s", name, PluginName, fix)
	default:
		at = at.member("name")
		shown, _ := json.Marshal(raw)
		c.add(Error, file, at, where, at.String(), "the object holds a %q object but names %s: KrakenD hands the backend to that plugin, or straight to its host when it loaded none of that name, and no rule applies; %s", pluginKey(plugin), shown, fix)
	}
	return true
}

// misplaced reports krakend-rules objects in an extra_config where KrakenD
// never reads them: directly in a backend's or endpoint's extra_config
// (under krakend-rules or a near miss) and, on an endpoint, inside a client
// plugin object, which KrakenD reads only on backends. A backend that also
// names the plugin where it should (named) is applied its rules, so its
// stray keys are left alone. It reports whether there was something to
// report.
func (c *checker) misplaced(extra map[string]any, at path, where string, endpoint, named bool) bool {
	found := false
	move := fmt.Sprintf(`move it inside "plugin/http-client": {"name": %q, %q: {...}}`, PluginName, PluginName)
	level, to := "the backend's", "the backend"
	if endpoint {
		level, to = "the endpoint's", "the backends"
		move = fmt.Sprintf(`move it into the extra_config of each backend, inside "plugin/http-client": {"name": %q, %q: {...}}`, PluginName, PluginName)
	}
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		switch {
		case slices.Contains(pluginKeys, k):
			if plugin, ok := extra[k].(map[string]any); ok && endpoint && meansPlugin(plugin) {
				c.add(Error, c.report.File, at.member(k), where, at.member(k).String(), "a client plugin on an endpoint: KrakenD reads %q only in a backend's extra_config, so the endpoint's traffic goes straight to its backends, with no rule applied and no error; move it into the extra_config of each backend", k)
				found = true
			}
		case nearPluginName(k) && !named:
			c.add(Error, c.report.File, at.member(k), where, at.member(k).String(), "%q directly in %s extra_config: KrakenD never reads it there and sends the traffic straight to %s, with no rule applied and no error; %s", k, level, to, move)
			found = true
		}
	}
	return found
}
