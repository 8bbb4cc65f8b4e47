package config

import (
	"errors"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// readmeSections are the sections of README.md whose field table documents
// each object type.
var readmeSections = map[reflect.Type]string{
	reflect.TypeFor[Config]():   "### `krakend-rules`",
	reflect.TypeFor[Rule]():     "### A rule",
	reflect.TypeFor[Match]():    "### `match`",
	reflect.TypeFor[Response](): "### `response`",
	reflect.TypeFor[Delegate](): "### `delegate`",
	reflect.TypeFor[Fallback](): "### Graduation fallback",
	reflect.TypeFor[Active]():   "### Time windows",
	reflect.TypeFor[Callback](): "### Callbacks",
	reflect.TypeFor[Static]():   "### Static data in a delegated answer",

	reflect.TypeFor[MultipartPart](): "### Request bodies",

	reflect.TypeFor[Store]():    "### `store`",
	reflect.TypeFor[Scenario](): "### Scenarios",
	reflect.TypeFor[Reset]():    "### `reset`",
	reflect.TypeFor[CRUD]():     "### CRUD resources",

	reflect.TypeFor[Record]():    "### Recording real answers",
	reflect.TypeFor[RecordKey](): "#### The key of a recording",
	reflect.TypeFor[Stats]():     "### Rule statistics",
}

var backticked = regexp.MustCompile("`([^`]+)`")

// TestREADMEDocumentsEveryField checks that the field table of each object
// type's README section (its first table headed "| field |") has a row for
// each field the decoder knows, and for no other: a row's first cell names
// its fields in backquotes ("`responses` + `mode`", "`from`, `until`").
func TestREADMEDocumentsEveryField(t *testing.T) {
	content, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(content), "\n")
	for _, typ := range objectTypes {
		heading, ok := readmeSections[typ]
		if !ok {
			t.Errorf("%s: no README section is known for it", typ.Name())
			continue
		}
		documented, err := fieldTable(lines, heading)
		if err != nil {
			t.Errorf("%s: README.md %q: %v", typ.Name(), heading, err)
			continue
		}
		known := slices.Clone(FieldNames(typ))
		sort.Strings(known)
		sort.Strings(documented)
		if !slices.Equal(known, documented) {
			t.Errorf("%s: the decoder knows %v\nREADME.md %q documents %v", typ.Name(), known, heading, documented)
		}
	}
}

// fieldTable returns the names in the first column of the first table
// headed "| field |" in the section that starts with heading.
func fieldTable(lines []string, heading string) ([]string, error) {
	start := slices.Index(lines, heading)
	if start < 0 {
		return nil, errors.New("no such heading")
	}
	var names []string
	inTable, fenced := false, false
	for _, line := range lines[start+1:] {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
		}
		if fenced {
			continue
		}
		if strings.HasPrefix(line, "#") {
			break
		}
		switch {
		case !inTable && strings.HasPrefix(line, "| field |"):
			inTable = true
		case inTable && strings.HasPrefix(line, "|---"):
		case inTable && strings.HasPrefix(line, "|"):
			first, _, _ := strings.Cut(strings.TrimPrefix(line, "|"), "|")
			for _, m := range backticked.FindAllStringSubmatch(first, -1) {
				names = append(names, m[1])
			}
		case inTable:
			return names, nil
		}
	}
	if !inTable {
		return nil, errors.New(`no table headed "| field |"`)
	}
	return names, nil
}
