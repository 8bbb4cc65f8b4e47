package krakend

import "testing"

func TestReleases(t *testing.T) {
	all, err := Releases()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ version, lura, goVersion string }{
		{"2.10.2", "v2.10.0", "go1.24.5"},
		{"2.11.2", "v2.12.0", "go1.25.3"},
		{"2.12.1", "v2.12.1", "go1.25.6"},
		{"2.13.2", "v2.14.1", "go1.25.8"},
		{"2.13.8", "v2.14.2-0.20260316170719-6d79b4ef723b", "go1.25.12"},
	}
	if len(all) != len(want) {
		t.Fatalf("%d releases, want %d", len(all), len(want))
	}
	for i, w := range want {
		r := all[i]
		if r.Version != w.version || r.Lura() != w.lura || r.Go != w.goVersion || r.Libc != "musl" || len(r.Modules) < 250 {
			t.Errorf("release %d: %s Lura %s %s %s, %d modules; want %+v", i, r.Version, r.Lura(), r.Go, r.Libc, len(r.Modules), w)
		}
	}
	if r, ok, err := Lookup("v2.13.8"); err != nil || !ok || r.Version != "2.13.8" {
		t.Errorf("Lookup(v2.13.8) = %v, %v, %v", r.Version, ok, err)
	}
	if _, ok, _ := Lookup("2.99.0"); ok {
		t.Error("Lookup(2.99.0) found a release")
	}
}
