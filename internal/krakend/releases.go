// Package krakend holds what the project knows of KrakenD CE releases: for
// each, the Go release it is built with, the C library of its official
// Docker image and every module it links at its version. The facts live in
// releases/ (releases.txt and one .modules file per release), with their
// sources; this package only reads them.
package krakend

import (
	"bufio"
	"embed"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

//go:embed releases/releases.txt releases/*.modules
var files embed.FS

// LuraModule is the module path of Lura, KrakenD's framework.
const LuraModule = "github.com/luraproject/lura/v2"

// Release is one KrakenD CE release.
type Release struct {
	Version string            // "2.13.8"
	Go      string            // "go1.25.12": a plugin must be built by exactly this release
	Libc    string            // "musl" or "glibc": the C library of the official Docker image
	Modules map[string]string // module path → version, every module the release links
}

// Lura is the version of Lura the release links.
func (r Release) Lura() string { return r.Modules[LuraModule] }

// Releases returns the known releases, oldest first.
func Releases() ([]Release, error) {
	table, err := files.ReadFile("releases/releases.txt")
	if err != nil {
		return nil, err
	}
	var out []Release
	for i, line := range strings.Split(string(table), "\n") {
		if line = strings.TrimSpace(line); line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 || !strings.HasPrefix(f[1], "go") || f[2] != "musl" && f[2] != "glibc" {
			return nil, fmt.Errorf("releases.txt:%d: want \"version goX.Y.Z musl|glibc\", got %q", i+1, line)
		}
		mods, err := files.Open("releases/v" + f[0] + ".modules")
		if err != nil {
			return nil, fmt.Errorf("releases.txt:%d: %v", i+1, err)
		}
		modules, err := ParseModules(mods)
		mods.Close()
		if err != nil {
			return nil, fmt.Errorf("v%s.modules: %v", f[0], err)
		}
		out = append(out, Release{Version: f[0], Go: f[1], Libc: f[2], Modules: modules})
	}
	sort.Slice(out, func(i, j int) bool { return versionLess(out[i].Version, out[j].Version) })
	return out, nil
}

// Lookup returns the release named version ("2.13.8"; a leading v is
// accepted).
func Lookup(version string) (Release, bool, error) {
	all, err := Releases()
	if err != nil {
		return Release{}, false, err
	}
	version = strings.TrimPrefix(version, "v")
	for _, r := range all {
		if r.Version == version {
			return r, true, nil
		}
	}
	return Release{}, false, nil
}

// ParseModules reads a module list: one "path version" a line; blank lines
// and lines starting with # are skipped.
func ParseModules(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want \"module version\", got %q", n, line)
		}
		out[f[0]] = f[1]
	}
	return out, sc.Err()
}

// versionLess orders dotted numeric versions ("2.9.0" < "2.10.2").
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, _ := strconv.Atoi(as[i])
		y, _ := strconv.Atoi(bs[i])
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}
