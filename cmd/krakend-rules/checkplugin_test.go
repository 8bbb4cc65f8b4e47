package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// The real-build tests build small plugins and loader programs with two Go
// releases, glibc's gcc and musl-gcc, and the flags that matter, then check
// each plugin against each loader's description and load it for real with
// the loader: Go's plugin.Open makes the checks KrakenD's loader makes
// (package hashes, which cover the Go release, the flags and the modules;
// the C library through the dynamic loader). Builds go through Go's build
// cache: the first run compiles the standard library a few times (minutes),
// the next ones take seconds. -short skips them.

// otherGo is the Go release of the newest known KrakenD CE release, 2.13.8.
const otherGo = "go1.25.12"

// sharedModule is a module both the loaders and the plugins link, served at
// two versions by a file proxy the test writes.
const sharedModule = "example.com/krakend-rules-checkplugin-test/shared"

type plugin struct {
	name      string
	goVer     string // "local" or otherGo
	cc        string // "gcc" or "musl-gcc"
	flags     []string
	sharedVer string // the version of sharedModule it links
	replaced  bool   // sharedModule replaced by a local copy of v1.0.0
}

type host struct {
	name  string
	goVer string
	cc    string
	args  []string // how check-plugin describes it
}

type matrix struct {
	dir      string
	localGo  string
	musl     string // why musl cases are skipped, or ""
	other    string // why otherGo cases are skipped, or ""
	so       map[string]string
	loader   map[string]string
	buildErr map[string]string
	elapsed  map[string]time.Duration
}

var (
	matrixOnce sync.Once
	built      *matrix
)

func plugins() []plugin {
	return []plugin{
		{name: "go1.25.12-gcc", goVer: otherGo, cc: "gcc", sharedVer: "v1.0.0"},
		{name: "go1.25.12-musl", goVer: otherGo, cc: "musl-gcc", sharedVer: "v1.0.0"},
		{name: "local-gcc", goVer: "local", cc: "gcc", sharedVer: "v1.0.0"},
		{name: "local-musl", goVer: "local", cc: "musl-gcc", sharedVer: "v1.0.0"},
		{name: "local-gcc-trimpath", goVer: "local", cc: "gcc", flags: []string{"-trimpath"}, sharedVer: "v1.0.0"},
		{name: "local-gcc-race", goVer: "local", cc: "gcc", flags: []string{"-race"}, sharedVer: "v1.0.0"},
		{name: "local-gcc-shared-v1.1.0", goVer: "local", cc: "gcc", sharedVer: "v1.1.0"},
		{name: "local-gcc-shared-replaced", goVer: "local", cc: "gcc", sharedVer: "v1.0.0", replaced: true},
	}
}

func hosts(m *matrix) []host {
	mods := filepath.Join(m.dir, "host.modules")
	return []host{
		{"go1.25.12-musl (KrakenD CE 2.13.8's image)", otherGo, "musl-gcc", []string{"-krakend", "2.13.8"}},
		{"go1.25.12-glibc (2.13.8 linux-generic)", otherGo, "gcc", []string{"-krakend", "2.13.8", "-libc", "glibc"}},
		{"local-glibc", "local", "gcc", []string{"-go", m.localGo, "-modules", mods, "-libc", "glibc"}},
		{"local-musl", "local", "musl-gcc", []string{"-go", m.localGo, "-modules", mods}},
	}
}

func buildMatrix(t *testing.T) *matrix {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no plugin builds")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the plugin builds are for linux/amd64")
	}
	matrixOnce.Do(func() { built = setupMatrix() })
	if built.dir == "" {
		t.Fatal(built.buildErr["setup"])
	}
	return built
}

// testDir is removed by TestMain.
var testDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if testDir != "" {
		os.RemoveAll(testDir)
	}
	os.Exit(code)
}

func setupMatrix() *matrix {
	m := &matrix{so: map[string]string{}, loader: map[string]string{}, buildErr: map[string]string{}, elapsed: map[string]time.Duration{}}
	fail := func(err error) *matrix { m.dir = ""; m.buildErr["setup"] = err.Error(); return m }
	dir, err := os.MkdirTemp("", "checkplugin-")
	if err != nil {
		return fail(err)
	}
	testDir, m.dir = dir, dir
	out, err := exec.Command("go", "env", "GOVERSION", "GOPROXY").Output()
	if err != nil {
		return fail(err)
	}
	env := strings.Fields(string(out))
	m.localGo = env[0]
	if _, err := exec.LookPath("musl-gcc"); err != nil {
		m.musl = "musl-gcc is missing (Debian/Ubuntu: apt-get install musl-tools)"
	}

	// A file proxy serving sharedModule v1.0.0 and v1.1.0.
	proxy := filepath.Join(dir, "proxy")
	for _, v := range []string{"v1.0.0", "v1.1.0"} {
		if err := writeModule(proxy, sharedModule, v, map[string]string{
			"shared.go": "package shared\n\n// Version is the module version.\nfunc Version() string { return \"" + v + "\" }\n",
		}); err != nil {
			return fail(err)
		}
	}
	goProxy := "file://" + filepath.ToSlash(proxy)
	if len(env) > 1 && env[1] != "" && env[1] != "off" {
		goProxy += "," + env[1] // toolchains come from the usual proxy
	}
	baseEnv := append(os.Environ(), "GOPROXY="+goProxy, "GONOSUMDB="+sharedModule, "GOFLAGS=-buildvcs=false", "CGO_ENABLED=1")

	module := func(name, require, replace, mainGo string) (string, error) {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
		gomod := "module example.com/" + name + "\n\ngo 1.24.0\n\nrequire " + sharedModule + " " + require + "\n"
		if replace != "" {
			gomod += "\nreplace " + sharedModule + " => " + replace + "\n"
		}
		if err := os.WriteFile(filepath.Join(d, "go.mod"), []byte(gomod), 0o644); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(d, "main.go"), []byte(mainGo), 0o644); err != nil {
			return "", err
		}
		cmd := exec.Command("go", "mod", "tidy")
		cmd.Dir, cmd.Env = d, append(baseEnv, "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go mod tidy in %s: %v\n%s", name, err, out)
		}
		return d, nil
	}
	pluginMain := `package main

import (
	"net/http"

	"` + sharedModule + `"
)

// Handler answers with the shared module's version.
var Handler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Write([]byte(shared.Version()))
})

func main() {}
`
	loaderMain := `package main

import (
	"fmt"
	"net/http"
	"os"
	"plugin"

	"` + sharedModule + `"
)

func main() {
	_ = http.StatusOK
	_ = shared.Version()
	p, err := plugin.Open(os.Args[1])
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	if _, err := p.Lookup("Handler"); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("loaded")
}
`
	local := filepath.Join(dir, "shared-copy")
	if err := os.MkdirAll(local, 0o755); err != nil {
		return fail(err)
	}
	os.WriteFile(filepath.Join(local, "go.mod"), []byte("module "+sharedModule+"\n\ngo 1.24.0\n"), 0o644)
	os.WriteFile(filepath.Join(local, "shared.go"), []byte("package shared\n\n// Version is the module version.\nfunc Version() string { return \"v1.0.0\" }\n"), 0o644)

	modDirs := map[string]string{}
	for _, mod := range []struct{ name, require, replace, main string }{
		{"plugin-v100", "v1.0.0", "", pluginMain},
		{"plugin-v110", "v1.1.0", "", pluginMain},
		{"plugin-replaced", "v1.0.0", local, pluginMain},
		{"loader", "v1.0.0", "", loaderMain},
	} {
		d, err := module(mod.name, mod.require, mod.replace, mod.main)
		if err != nil {
			return fail(err)
		}
		modDirs[mod.name] = d
	}
	if err := os.WriteFile(filepath.Join(dir, "host.modules"), []byte(sharedModule+" v1.0.0\n"), 0o644); err != nil {
		return fail(err)
	}

	build := func(key, srcDir, goVer, cc, out string, args ...string) {
		if cc == "musl-gcc" && m.musl != "" {
			m.buildErr[key] = m.musl
			return
		}
		if goVer == otherGo && m.other != "" {
			m.buildErr[key] = m.other
			return
		}
		start := time.Now()
		cmd := exec.Command("go", append([]string{"build", "-o", out}, args...)...)
		cmd.Dir, cmd.Env = srcDir, append(baseEnv, "GOTOOLCHAIN="+goVer, "CC="+cc)
		if b, err := cmd.CombinedOutput(); err != nil {
			m.buildErr[key] = fmt.Sprintf("%v: %s", err, b)
			if goVer == otherGo && strings.Contains(string(b), "toolchain") {
				m.other = otherGo + " is not available: " + string(b)
			}
			return
		}
		m.elapsed[key] = time.Since(start)
	}
	for _, h := range hosts(m) {
		out := filepath.Join(dir, "loader-"+strings.Fields(h.name)[0])
		build("loader "+h.name, modDirs["loader"], h.goVer, h.cc, out, ".")
		m.loader[h.name] = out
	}
	for _, p := range plugins() {
		src := modDirs["plugin-v100"]
		switch {
		case p.replaced:
			src = modDirs["plugin-replaced"]
		case p.sharedVer == "v1.1.0":
			src = modDirs["plugin-v110"]
		}
		out := filepath.Join(dir, p.name+".so")
		build("plugin "+p.name, src, p.goVer, p.cc, out, append(append([]string{}, p.flags...), "-buildmode=plugin", ".")...)
		m.so[p.name] = out
	}
	return m
}

// writeModule writes module path at version v into a GOPROXY=file://
// directory.
func writeModule(proxy, path, v string, files map[string]string) error {
	d := filepath.Join(proxy, path, "@v")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	gomod := "module " + path + "\n\ngo 1.24.0\n"
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	files["go.mod"] = gomod
	for name, content := range files {
		w, err := z.Create(path + "@" + v + "/" + name)
		if err != nil {
			return err
		}
		w.Write([]byte(content))
	}
	if err := z.Close(); err != nil {
		return err
	}
	list, _ := os.ReadFile(filepath.Join(d, "list"))
	for name, content := range map[string][]byte{
		v + ".info": []byte(`{"Version":"` + v + `","Time":"2025-01-01T00:00:00Z"}`),
		v + ".mod":  []byte(gomod),
		v + ".zip":  buf.Bytes(),
		"list":      append(list, v+"\n"...),
	} {
		if err := os.WriteFile(filepath.Join(d, name), content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// load runs the loader on the .so: whether it loaded, and what it said.
func load(t *testing.T, loader, so string) (bool, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, loader, so).CombinedOutput()
	msg := strings.TrimSpace(string(out))
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i] // a runtime crash prints its goroutines after
	}
	return err == nil && msg == "loaded", msg
}

// TestCheckPluginAgainstRealLoading checks each plugin against each host and
// loads it there: every plugin check-plugin accepts loads, every plugin it
// rejects fails to load, but for one combination where check-plugin is
// stricter than the loader: a glibc plugin in a musl host loads (musl's
// loader takes libc.so.6 for itself and ignores symbol versions), yet its
// C code was compiled against glibc's headers, and KrakenD supports only
// plugins built for the image's libc.
func TestCheckPluginAgainstRealLoading(t *testing.T) {
	m := buildMatrix(t)
	var table strings.Builder
	fmt.Fprintf(&table, "%-26s %-44s %-7s %s\n", "plugin", "host", "check", "real loading")
	for _, h := range hosts(m) {
		for _, p := range plugins() {
			t.Run(p.name+" into "+strings.Fields(h.name)[0], func(t *testing.T) {
				if why := m.buildErr["loader "+h.name]; why != "" {
					t.Skip("no loader: ", why)
				}
				if why := m.buildErr["plugin "+p.name]; why != "" {
					t.Skip("no plugin: ", why)
				}
				hostGo := h.goVer
				if hostGo == "local" {
					hostGo = m.localGo
				}
				pluginGo := p.goVer
				if pluginGo == "local" {
					pluginGo = m.localGo
				}
				hostMusl, pluginMusl := h.cc == "musl-gcc", p.cc == "musl-gcc"
				// What check-plugin must say, from what differs.
				var reasons []string
				if pluginGo != hostGo {
					reasons = append(reasons, "Go release: "+pluginGo)
				}
				if len(p.flags) > 0 {
					reasons = append(reasons, "FAIL  "+p.flags[0]+";")
				}
				localHost := h.goVer == "local" // its module list has sharedModule
				if localHost && p.replaced {
					reasons = append(reasons, "module "+sharedModule+" v1.0.0 is replaced by ")
				}
				if localHost && p.sharedVer != "v1.0.0" {
					reasons = append(reasons, "module "+sharedModule+" "+p.sharedVer+"; a host built with "+hostGo+" links v1.0.0")
				}
				if pluginMusl != hostMusl {
					reasons = append(reasons, "FAIL  C library: ")
				}
				wantStatus := 0
				if len(reasons) > 0 {
					wantStatus = 1
				}

				var stdout, stderr bytes.Buffer
				status := run(append(append([]string{"check-plugin"}, h.args...), m.so[p.name]), &stdout, &stderr)
				if status != wantStatus || stderr.Len() > 0 {
					t.Errorf("check-plugin: status %d, want %d\n%s%s", status, wantStatus, stdout.String(), stderr.String())
				}
				for _, r := range reasons {
					if !strings.Contains(stdout.String(), r) {
						t.Errorf("check-plugin does not say %q:\n%s", r, stdout.String())
					}
				}

				loaded, msg := load(t, m.loader[h.name], m.so[p.name])
				stricter := status == 1 && len(reasons) == 1 && !pluginMusl && hostMusl
				switch {
				case status == 0 && !loaded:
					t.Errorf("check-plugin accepts it, but it does not load: %s\n%s", msg, stdout.String())
				case status == 1 && loaded && !stricter:
					t.Errorf("check-plugin rejects it, but it loads:\n%s", stdout.String())
				case stricter && !strings.Contains(stdout.String(), "is not a supported build"):
					t.Errorf("a glibc plugin for a musl host: the verdict must say it is not a supported build, not that it will not load:\n%s", stdout.String())
				}
				verdict := map[int]string{0: "accept", 1: "reject"}[status]
				real := "loads"
				if !loaded {
					real = "fails: " + msg
				}
				fmt.Fprintf(&table, "%-26s %-44s %-7s %s\n", p.name, h.name, verdict, real)
			})
		}
	}
	t.Logf("local Go: %s\n%s", m.localGo, table.String())
	var times []string
	for k, d := range m.elapsed {
		times = append(times, fmt.Sprintf("%s %.1fs", k, d.Seconds()))
	}
	t.Logf("build times: %s", strings.Join(times, ", "))
}

// TestCheckPluginGlibcVersion: a glibc plugin needs the newest GLIBC_
// symbol version it links against, and a host with an older glibc cannot
// load it.
func TestCheckPluginGlibcVersion(t *testing.T) {
	m := buildMatrix(t)
	if why := m.buildErr["plugin local-gcc"]; why != "" {
		t.Skip(why)
	}
	so, mods := m.so["local-gcc"], filepath.Join(m.dir, "host.modules")
	p, err := readPlugin(so)
	if err != nil {
		t.Fatal(err)
	}
	if p.libc != "glibc" || p.newestGlc == "" {
		t.Fatalf("gcc-built plugin: libc %q, newest GLIBC_ %q", p.libc, p.newestGlc)
	}
	tests := []struct {
		glibc  string
		status int
		say    string
	}{
		{"2.36", 0, "ok    C library: glibc, needs GLIBC_" + p.newestGlc + "; the host has 2.36"},
		{"9.0", 0, "the host has 9.0"},
		{"2.17", 1, "FAIL  C library: glibc, needs GLIBC_" + p.newestGlc + "; the host has glibc 2.17 (\"version `GLIBC_" + p.newestGlc + "' not found\")"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		status := run([]string{"check-plugin", "-go", m.localGo, "-modules", mods, "-libc", "glibc", "-glibc", tt.glibc, so}, &stdout, &stderr)
		if status != tt.status || !strings.Contains(stdout.String(), tt.say) {
			t.Errorf("-glibc %s: status %d, want %d, and %q in\n%s%s", tt.glibc, status, tt.status, tt.say, stdout.String(), stderr.String())
		}
	}
}

// TestCheckPluginFixes: a rejected plugin's report ends with the commands
// that build one that loads.
func TestCheckPluginFixes(t *testing.T) {
	m := buildMatrix(t)
	mods := filepath.Join(m.dir, "host.modules")
	tests := []struct {
		plugin string
		args   []string
		say    []string
	}{
		{"go1.25.12-gcc", []string{"-krakend", "2.13.8"}, []string{
			"verdict: " + m.so["go1.25.12-gcc"] + " is not a supported build for KrakenD CE 2.13.8 (built for glibc, the host uses musl); build it with:\n",
			"  docker run --rm -v \"$PWD:/app\" -w /app krakend/builder:2.13.8 go build -buildmode=plugin -o go1.25.12-gcc.so .\n",
			"  GOTOOLCHAIN=go1.25.12 CGO_ENABLED=1 CC=musl-gcc go build -buildmode=plugin -o go1.25.12-gcc.so .\n",
		}},
		{"local-gcc", []string{"-krakend", "2.13.8"}, []string{
			"verdict: " + m.so["local-gcc"] + " will NOT load into KrakenD CE 2.13.8; build it with:\n",
		}},
		{"local-gcc-trimpath", []string{"-krakend", "2.10.2", "-libc", "glibc"}, []string{
			"FAIL  Go release: " + m.localGo + "; KrakenD CE 2.10.2 is built with go1.24.5",
			"FAIL  -trimpath; KrakenD is built without it",
			"verdict: " + m.so["local-gcc-trimpath"] + " will NOT load into KrakenD CE 2.10.2; build it with:",
			"krakend/builder:2.10.2-linux-generic go build -buildmode=plugin -o local-gcc-trimpath.so .\n",
			"  GOTOOLCHAIN=go1.24.5 CGO_ENABLED=1 CC=gcc go build -buildmode=plugin -o local-gcc-trimpath.so .\n",
		}},
		{"local-gcc-shared-v1.1.0", []string{"-go", m.localGo, "-modules", mods, "-libc", "glibc"}, []string{
			"  go get " + sharedModule + "@v1.0.0\n",
			"  GOTOOLCHAIN=" + m.localGo + " CGO_ENABLED=1 CC=gcc go build -buildmode=plugin -o local-gcc-shared-v1.1.0.so .\n",
		}},
		{"local-gcc-shared-replaced", []string{"-go", m.localGo, "-modules", mods, "-libc", "glibc"}, []string{
			"  go mod edit -dropreplace=" + sharedModule + "\n  go get " + sharedModule + "@v1.0.0\n",
		}},
		{"local-gcc-race", []string{"-go", m.localGo, "-modules", mods, "-libc", "glibc"}, []string{
			"FAIL  -race; KrakenD is built without it",
		}},
	}
	for _, tt := range tests {
		if why := m.buildErr["plugin "+tt.plugin]; why != "" {
			t.Logf("%s: skipped: %s", tt.plugin, why)
			continue
		}
		var stdout, stderr bytes.Buffer
		if status := run(append(append([]string{"check-plugin"}, tt.args...), m.so[tt.plugin]), &stdout, &stderr); status != 1 {
			t.Errorf("%s: status %d, want 1", tt.plugin, status)
		}
		for _, s := range tt.say {
			if !strings.Contains(stdout.String(), s) {
				t.Errorf("%s %v: %q missing from\n%s", tt.plugin, tt.args, s, stdout.String())
			}
		}
	}
}

// TestCheckPluginUsage: exit status 2 for bad usage, an unknown release or a
// file it cannot read; the unknown release's message lists the known ones.
func TestCheckPluginUsage(t *testing.T) {
	dir := t.TempDir()
	notELF := filepath.Join(dir, "not-elf.so")
	os.WriteFile(notELF, []byte("not a plugin"), 0o644)
	mods := filepath.Join(dir, "host.modules")
	os.WriteFile(mods, []byte("example.com/a v1.0.0\n"), 0o644)
	badMods := filepath.Join(dir, "bad.modules")
	os.WriteFile(badMods, []byte("example.com/a\n"), 0o644)
	tests := []struct {
		name   string
		args   []string
		status int
		stderr string
	}{
		{"no plugin", []string{"-krakend", "2.13.8"}, 2, "usage: krakend-rules check-plugin"},
		{"no release", []string{"x.so"}, 2, "which KrakenD? -krakend version (or -go and -modules)"},
		{"unknown release", []string{"-krakend", "2.9.0", "x.so"}, 2, `unknown KrakenD CE release "2.9.0"; known: 2.10.2, 2.11.2, 2.12.1, 2.13.2, 2.13.8`},
		{"-go alone", []string{"-go", "go1.25.12", "x.so"}, 2, "-go and -modules go together"},
		{"-krakend and -go", []string{"-krakend", "2.13.8", "-go", "go1.25.12", "-modules", mods, "x.so"}, 2, "-krakend names a known release"},
		{"bad -go", []string{"-go", "1.25", "-modules", mods, "x.so"}, 2, `-go "1.25": want a Go release such as go1.25.12`},
		{"bad module list", []string{"-go", "go1.25.12", "-modules", badMods, "x.so"}, 2, `line 1: want "module version"`},
		{"bad -libc", []string{"-krakend", "2.13.8", "-libc", "uclibc", "x.so"}, 2, `-libc "uclibc": want musl or glibc`},
		{"bad -glibc", []string{"-krakend", "2.13.8", "-glibc", "bookworm", "x.so"}, 2, `-glibc "bookworm"`},
		{"bad -arch", []string{"-krakend", "2.13.8", "-arch", "386", "x.so"}, 2, `-arch "386"`},
		{"no such file", []string{"-krakend", "2.13.8", filepath.Join(dir, "missing.so")}, 2, "no such file or directory"},
		{"not an ELF file", []string{"-krakend", "2.13.8", notELF}, 2, "not-elf.so: not an ELF shared object"},
		{"help", []string{"-h"}, 0, "usage: krakend-rules check-plugin"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		status := run(append([]string{"check-plugin"}, tt.args...), &stdout, &stderr)
		if status != tt.status || !strings.Contains(stderr.String(), tt.stderr) {
			t.Errorf("%s: status %d, want %d; stderr %q, want %q in it", tt.name, status, tt.status, stderr.String(), tt.stderr)
		}
	}
}

// TestCheckPluginNotAPlugin: a Go executable is a Go file, but no plugin.
func TestCheckPluginNotAPlugin(t *testing.T) {
	exe, err := os.Executable() // this test binary
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if status := run([]string{"check-plugin", "-krakend", "2.13.8", exe}, &stdout, &stderr); status != 1 || !strings.Contains(stdout.String(), "-buildmode=exe; a plugin is built with -buildmode=plugin") {
		t.Errorf("status %d, want 1, and the build mode in\n%s%s", status, stdout.String(), stderr.String())
	}
}
