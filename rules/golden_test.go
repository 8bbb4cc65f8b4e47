package rules

import (
	"context"
	"errors"
	"flag"
	"krakend-rules/config"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/invalid/*.err from the errors the engine reports now (review the diff!)")

// TestInvalidConfigs loads every testdata/invalid/*.json and compares the
// whole error report with the .err file beside it: each problem, its
// location and its wording.
func TestInvalidConfigs(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.json")
	if err != nil || len(files) < 40 {
		t.Fatalf("want at least 40 invalid configurations, found %d (%v)", len(files), err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			e, err := New(context.Background(), decodeJSON(t, string(raw)), Options{})
			if err == nil || e != nil {
				t.Fatal("the configuration was accepted")
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Errorf("the errors are not *config.Error")
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(file, ".json") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestInvalidConfigs -update and review the result)", err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s\n got:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// TestValidConfigs loads every testdata/valid/*.json.
func TestValidConfigFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/valid/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid configurations found (%v)", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := New(context.Background(), decodeJSON(t, string(raw)), Options{}); err != nil {
				t.Errorf("rejected:\n%v", err)
			}
		})
	}
}
