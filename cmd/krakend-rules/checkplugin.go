package main

import (
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"

	"krakend-rules/internal/krakend"
)

const checkPluginUsage = `usage: krakend-rules check-plugin -krakend version [-libc musl|glibc] [-glibc 2.36] [-arch amd64] plugin.so...
       krakend-rules check-plugin -go go1.x.y -modules file [-libc musl|glibc] [-glibc 2.36] [-arch amd64] plugin.so...

Says, from the .so itself, whether a plugin will load into a KrakenD CE
release: the Go release it was built with, the build settings that matter
(-buildmode=plugin, CGO_ENABLED=1, no -trimpath, no -race, GOOS/GOARCH),
every module it links that the release links at another version, and the C
library it needs (musl for the official Docker image, glibc for the
-linux-generic packages). When it will not load, it prints the command that
builds one that does. -go and -modules describe a host it does not know: its
Go release and its module list ("path version" lines, as "go list -m all"
prints them). Exit status: 0 it will load, 1 it will not, 2 bad usage, an
unknown release or an unreadable file.
`

// target is the host a plugin must load into.
type target struct {
	name     string            // "KrakenD CE 2.13.8"
	release  string            // "2.13.8", or "" for a host given by -go and -modules
	lura     string            // Lura's version, when known
	goVer    string            // "go1.25.12"
	libc     string            // "musl" or "glibc"
	glibc    string            // the newest glibc the host has, for libc "glibc"
	goarch   string            // "amd64"
	modules  map[string]string // module path → version
	imageLib string            // how libc was chosen: "its official Docker image", "-libc"
}

func runCheckPlugin(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("check-plugin", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprint(stderr, checkPluginUsage); flags.PrintDefaults() }
	release := flags.String("krakend", "", "the KrakenD CE release the plugin must load into (e.g. 2.13.8)")
	goVer := flags.String("go", "", "with -modules, instead of -krakend: the Go release the host is built with (e.g. go1.25.12)")
	modulesFile := flags.String("modules", "", "with -go: the host's module list, one \"path version\" a line")
	libc := flags.String("libc", "", "the host's C library, musl or glibc (default: the official Docker image's, musl)")
	glibc := flags.String("glibc", "2.36", "with -libc glibc: the host's glibc version (2.36: Debian bookworm, where the linux-generic packages are built)")
	goarch := flags.String("arch", "amd64", "the host's GOARCH: amd64 or arm64")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "krakend-rules check-plugin: "+format+"\n", a...)
		return 2
	}
	if flags.NArg() == 0 {
		flags.Usage()
		return 2
	}
	var t target
	switch {
	case *release != "" && (*goVer != "" || *modulesFile != ""):
		return bad("-krakend names a known release: -go and -modules are for the others")
	case *release != "":
		r, ok, err := krakend.Lookup(*release)
		if err != nil {
			return bad("the release data is broken: %v", err)
		}
		if !ok {
			all, _ := krakend.Releases()
			var known []string
			for _, r := range all {
				known = append(known, r.Version)
			}
			return bad("unknown KrakenD CE release %q; known: %s (for another, give its Go release and module list with -go and -modules)", *release, strings.Join(known, ", "))
		}
		t = target{name: "KrakenD CE " + r.Version, release: r.Version, lura: r.Lura(), goVer: r.Go, libc: r.Libc, modules: r.Modules, imageLib: "its official Docker image"}
	case *goVer != "" && *modulesFile != "":
		if !regexp.MustCompile(`^go1\.\d+(\.\d+)?$`).MatchString(*goVer) {
			return bad("-go %q: want a Go release such as go1.25.12", *goVer)
		}
		f, err := os.Open(*modulesFile)
		if err != nil {
			return bad("%v", err)
		}
		modules, err := krakend.ParseModules(f)
		f.Close()
		if err != nil {
			return bad("%s: %v", *modulesFile, err)
		}
		t = target{name: "a host built with " + *goVer, lura: modules[krakend.LuraModule], goVer: *goVer, libc: "musl", modules: modules, imageLib: "the default, as KrakenD's official Docker image"}
	case *goVer != "" || *modulesFile != "":
		return bad("-go and -modules go together")
	default:
		return bad("which KrakenD? -krakend version (or -go and -modules)")
	}
	switch *libc {
	case "":
	case "musl", "glibc":
		t.libc, t.imageLib = *libc, "-libc"
	default:
		return bad("-libc %q: want musl or glibc", *libc)
	}
	if _, ok := parseGlibc("GLIBC_" + *glibc); !ok {
		return bad("-glibc %q: want a glibc version such as 2.36", *glibc)
	}
	t.glibc = *glibc
	if *goarch != "amd64" && *goarch != "arm64" {
		return bad("-arch %q: want amd64 or arm64", *goarch)
	}
	t.goarch = *goarch

	status := 0
	for _, name := range flags.Args() {
		p, err := readPlugin(name)
		if err != nil {
			fmt.Fprintf(stderr, "krakend-rules check-plugin: %v\n", err)
			status = 2
			continue
		}
		if !report(stdout, name, p, t) && status == 0 {
			status = 1
		}
	}
	return status
}

// pluginFile is what a .so says of itself.
type pluginFile struct {
	info      *debug.BuildInfo // nil: no Go build information
	infoErr   error
	elfType   elf.Type
	machine   elf.Machine
	needed    []string // DT_NEEDED libraries
	libc      string   // "glibc", "musl" or ""
	libcLib   string   // the library that tells it
	newestGlc string   // "2.34": the newest GLIBC_ symbol version needed
}

func readPlugin(name string) (*pluginFile, error) {
	f, err := elf.Open(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: not an ELF shared object: %v", name, err)
	}
	defer f.Close()
	p := &pluginFile{elfType: f.Type, machine: f.Machine}
	p.info, p.infoErr = buildinfo.ReadFile(name)
	p.needed, _ = f.ImportedLibraries()
	for _, lib := range p.needed {
		switch {
		case lib == "libc.so.6":
			p.libc, p.libcLib = "glibc", lib
		case strings.HasPrefix(lib, "libc.musl-"), strings.HasPrefix(lib, "ld-musl-"):
			p.libc, p.libcLib = "musl", lib
		case lib == "libc.so" && p.libc == "":
			// musl-gcc on Debian and Ubuntu, whose musl's soname is libc.so;
			// glibc's libc.so is a linker script that is never NEEDED.
			p.libc, p.libcLib = "musl", lib
		}
	}
	needs, _ := f.DynamicVersionNeeds()
	var newest []int
	for _, n := range needs {
		for _, d := range n.Needs {
			v, ok := parseGlibc(d.Dep)
			if !ok {
				continue
			}
			if p.libc != "glibc" {
				p.libc, p.libcLib = "glibc", n.Name
			}
			if compareInts(v, newest) > 0 {
				newest, p.newestGlc = v, strings.TrimPrefix(d.Dep, "GLIBC_")
			}
		}
	}
	return p, nil
}

// parseGlibc reads "GLIBC_2.34" as [2 34].
func parseGlibc(s string) ([]int, bool) {
	rest, ok := strings.CutPrefix(s, "GLIBC_")
	if !ok || rest == "" {
		return nil, false
	}
	var v []int
	for _, part := range strings.Split(rest, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, false
		}
		v = append(v, n)
	}
	return v, true
}

func compareInts(a, b []int) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// A finding is one line of the report.
type finding struct {
	level string // "ok", "warn" or "FAIL"
	text  string
}

// fix says what to change before rebuilding.
type fix struct {
	pins    []string // "module@version" to go get
	unpins  []string // replaced modules whose replace must go
	libcMay bool     // the only failure is a glibc plugin for a musl host
}

// check lists the findings; ok is false when the plugin will not load.
func check(p *pluginFile, t target) (findings []finding, fx fix, ok bool) {
	fails, libcFails := 0, 0
	add := func(level, format string, a ...any) {
		findings = append(findings, finding{level, fmt.Sprintf(format, a...)})
		if level == "FAIL" {
			fails++
		}
	}
	wantMachine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[t.goarch]
	if p.elfType != elf.ET_DYN || p.machine != wantMachine {
		add("FAIL", "ELF: %s for %s; a plugin for %s is a shared object (ET_DYN) for %s", p.elfType, p.machine, t.goarch, wantMachine)
	}
	if p.info == nil {
		add("FAIL", "no Go build information (%v): not built by go build -buildmode=plugin", p.infoErr)
		return findings, fx, false
	}
	set := map[string]string{}
	for _, s := range p.info.Settings {
		set[s.Key] = s.Value
	}

	// The Go release: the host's runtime checks the plugin's packages,
	// the standard library's included, against its own.
	goVer, experiments, _ := strings.Cut(p.info.GoVersion, " ")
	if goVer == t.goVer {
		add("ok", "Go release: %s", goVer)
	} else {
		add("FAIL", "Go release: %s; %s is built with %s (a plugin must be built by exactly that release)", goVer, t.name, t.goVer)
	}
	if exp := set["GOEXPERIMENT"]; exp != "" || experiments != "" {
		add("FAIL", "GOEXPERIMENT=%s (%s); %s is built with its Go release's defaults", exp, experiments, t.name)
	}

	// The build settings that change the packages' hashes or the loader.
	var good []string
	if m := set["-buildmode"]; m == "plugin" {
		good = append(good, "-buildmode=plugin")
	} else {
		add("FAIL", "-buildmode=%s; a plugin is built with -buildmode=plugin", orNone(m))
	}
	if c := set["-compiler"]; c != "" && c != "gc" {
		add("FAIL", "-compiler=%s; KrakenD is built with gc", c)
	}
	if set["CGO_ENABLED"] == "1" {
		good = append(good, "CGO_ENABLED=1")
	} else {
		add("FAIL", "CGO_ENABLED=%s; plugins need cgo (CGO_ENABLED=1)", orNone(set["CGO_ENABLED"]))
	}
	if set["GOOS"] == "linux" && set["GOARCH"] == t.goarch {
		good = append(good, "linux/"+t.goarch)
	} else {
		add("FAIL", "GOOS/GOARCH %s/%s; the host is linux/%s", orNone(set["GOOS"]), orNone(set["GOARCH"]), t.goarch)
	}
	if set["-trimpath"] == "true" {
		add("FAIL", "-trimpath; KrakenD is built without it (\"plugin was built with a different version of package …\")")
	} else {
		good = append(good, "no -trimpath")
	}
	for _, instr := range []string{"-race", "-msan", "-asan"} {
		if set[instr] == "true" {
			add("FAIL", "%s; KrakenD is built without it", instr)
		}
	}
	if set["-race"] != "true" {
		good = append(good, "no -race")
	}
	add("ok", "build: %s", strings.Join(good, ", "))
	if v := set["GOAMD64"]; v != "" && v != "v1" {
		add("warn", "GOAMD64=%s; KrakenD is built with v1: rebuild with v1 if loading fails", v)
	}
	if v := set["GOARM64"]; v != "" && v != "v8.0" {
		add("warn", "GOARM64=%s; KrakenD is built with v8.0: rebuild with v8.0 if loading fails", v)
	}
	if v := set["-tags"]; v != "" {
		add("warn", "-tags=%s: a tag that changes a package KrakenD also links (netgo, osusergo…) makes it a different version of that package", v)
	}
	if v := set["-gcflags"]; strings.Contains(v, "all=") || strings.Contains(v, "std=") {
		add("warn", "-gcflags=%s: compiler flags for packages KrakenD also links change them", v)
	}

	// The modules the plugin shares with the host.
	shared, mismatched := 0, 0
	for _, d := range p.info.Deps {
		want, linked := t.modules[d.Path]
		if !linked {
			continue
		}
		shared++
		switch {
		case d.Replace != nil:
			mismatched++
			add("FAIL", "module %s %s is replaced by %s; %s links %s %s", d.Path, d.Version, strings.TrimSpace(d.Replace.Path+" "+d.Replace.Version), t.name, d.Path, want)
			fx.unpins = append(fx.unpins, d.Path)
			fx.pins = append(fx.pins, d.Path+"@"+want)
		case d.Version != want:
			mismatched++
			add("FAIL", "module %s %s; %s links %s (\"plugin was built with a different version of package %s/…\")", d.Path, d.Version, t.name, want, d.Path)
			fx.pins = append(fx.pins, d.Path+"@"+want)
		}
	}
	switch {
	case mismatched > 0:
	case shared == 0:
		add("ok", "modules: %d linked, none of them by %s", len(p.info.Deps), t.name)
	default:
		add("ok", "modules: %d linked, %d of them also by %s, at its versions", len(p.info.Deps), shared, t.name)
	}

	// The C library: the host's dynamic loader resolves the plugin's.
	switch {
	case p.libc == "":
		add("FAIL", "C library: none needed (%s): a plugin is linked with cgo against the host's C library", orNone(strings.Join(p.needed, ", ")))
	case p.libc == "musl" && t.libc == "glibc":
		add("FAIL", "C library: musl (%s); %s uses glibc (%s), whose loader cannot load it (\"invalid ELF header\" or \"libc.musl-…: cannot open shared object file\")", p.libcLib, t.name, t.imageLib)
	case p.libc == "glibc" && t.libc == "musl":
		libcFails++
		add("FAIL", "C library: glibc (%s, GLIBC_%s); %s uses musl (%s): not supported — musl's loader takes libc.so.6 for itself, so it may even load, but the plugin's C code was compiled against glibc", p.libcLib, orNone(p.newestGlc), t.name, t.imageLib)
	case p.libc == "glibc":
		need, _ := parseGlibc("GLIBC_" + p.newestGlc)
		have, _ := parseGlibc("GLIBC_" + t.glibc)
		if compareInts(need, have) > 0 {
			add("FAIL", "C library: glibc, needs GLIBC_%s; the host has glibc %s (\"version `GLIBC_%s' not found\")", p.newestGlc, t.glibc, p.newestGlc)
		} else {
			add("ok", "C library: glibc, needs GLIBC_%s; the host has %s (%s)", orNone(p.newestGlc), t.glibc, t.imageLib)
		}
	default:
		add("ok", "C library: %s (%s), as %s (%s)", p.libc, p.libcLib, t.name, t.imageLib)
	}
	fx.libcMay = fails > 0 && fails == libcFails
	return findings, fx, fails == 0
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// report prints the findings and the verdict; it returns whether the plugin
// will load.
func report(w io.Writer, name string, p *pluginFile, t target) bool {
	findings, fx, ok := check(p, t)
	about := t.goVer + ", " + t.libc
	if t.libc == "glibc" {
		about += " " + t.glibc
	}
	if t.lura != "" {
		about = "Lura " + t.lura + ", " + about
	}
	fmt.Fprintf(w, "%s against %s (%s, linux/%s):\n", name, t.name, about, t.goarch)
	for _, f := range findings {
		fmt.Fprintf(w, "  %-4s  %s\n", f.level, f.text)
	}
	if ok {
		fmt.Fprintf(w, "verdict: %s loads into %s\n", name, t.name)
		return true
	}
	if fx.libcMay {
		fmt.Fprintf(w, "verdict: %s is not a supported build for %s (built for glibc, the host uses musl); build it with:\n", name, t.name)
	} else {
		fmt.Fprintf(w, "verdict: %s will NOT load into %s; build it with:\n", name, t.name)
	}
	for _, m := range fx.unpins {
		fmt.Fprintf(w, "  go mod edit -dropreplace=%s\n", m)
	}
	if len(fx.pins) > 0 {
		fmt.Fprintf(w, "  go get %s\n", strings.Join(fx.pins, " "))
	}
	out := filepath.Base(name)
	build := "go build -buildmode=plugin -o " + out + " ."
	if t.release != "" {
		image := "krakend/builder:" + t.release
		if t.libc == "glibc" {
			image += "-linux-generic"
		}
		fmt.Fprintf(w, "  docker run --rm -v \"$PWD:/app\" -w /app %s %s\n", image, build)
		fmt.Fprintf(w, "or, without Docker, ")
	} else {
		fmt.Fprintf(w, "  ")
	}
	cc, where := "musl-gcc", "with musl-gcc (Debian/Ubuntu: apt-get install musl-tools; Alpine: CC=gcc)"
	if t.libc == "glibc" {
		cc, where = "gcc", "on a system whose glibc is "+t.glibc+" or older"
	}
	if t.release != "" {
		fmt.Fprintf(w, "%s:\n  ", where)
	}
	env := "GOTOOLCHAIN=" + t.goVer + " CGO_ENABLED=1 CC=" + cc
	if t.goarch != "amd64" {
		env += " GOARCH=" + t.goarch
	}
	fmt.Fprintf(w, "%s %s\n", env, build)
	return false
}
