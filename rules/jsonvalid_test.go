package rules

import (
	"encoding/json"
	"krakend-rules/config"
	"strings"
	"testing"
)

func TestValidJSON(t *testing.T) {
	tests := []struct {
		doc   string
		depth int
		want  bool
	}{
		{`{}`, 1, true},
		{` [ ] `, 1, true},
		{`{"a":[1,-2.5e+3,"x\u00e9\n",true,false,null,{}]}`, 3, true},
		{`{"a":[1,-2.5e+3,"x",true,false,null,{}]}`, 2, false}, // {} is the third level
		{`"just a string"`, 1, true},
		{`0`, 1, true},
		{`-0.0E-0`, 1, true},
		{``, 1, false},
		{`   `, 1, false},
		{`{`, 5, false},
		{`[1,]`, 5, false},
		{`{"a":1,}`, 5, false},
		{`{"a" 1}`, 5, false},
		{`{1:1}`, 5, false},
		{`[1 2]`, 5, false},
		{`[}`, 5, false},
		{`{]`, 5, false},
		{`{"a":1]`, 5, false},
		{`[1}`, 5, false},
		{`01`, 5, false},
		{`1.`, 5, false},
		{`.5`, 5, false},
		{`1e`, 5, false},
		{`+1`, 5, false},
		{`-`, 5, false},
		{`tru`, 5, false},
		{`nul`, 5, false},
		{`"a\x"`, 5, false},
		{`"a\u12"`, 5, false},
		{"\"a\x01\"", 5, false},
		{`"abc`, 5, false},
		{`{} {}`, 5, false},
		{`[[[]]]`, 3, true},
		{`[[[]]]`, 2, false},
		{strings.Repeat("[", 100) + strings.Repeat("]", 100), 100, true},
		{strings.Repeat("[", 101) + strings.Repeat("]", 101), 100, false},
		{strings.Repeat(`{"a":`, 64) + "1" + strings.Repeat("}", 64), 64, true},
		{strings.Repeat(`{"a":[`, 40) + "1" + strings.Repeat("]}", 40), 80, true},
		{strings.Repeat(`{"a":[`, 40) + "1" + strings.Repeat("}]", 40), 80, false},
	}
	for _, tt := range tests {
		if got := validJSON([]byte(tt.doc), tt.depth); got != tt.want {
			t.Errorf("validJSON(%.40q, %d) = %v, want %v", tt.doc, tt.depth, got, tt.want)
		}
	}
}

// TestValidJSONNeverRecurses: a body of millions of "[" is refused at the
// depth bound, with no stack or memory to speak of (gjson.ValidBytes on the
// same input overflows the goroutine's stack and kills the process).
func TestValidJSONNeverRecurses(t *testing.T) {
	for _, open := range []string{"[", `{"a":`} {
		doc := []byte(strings.Repeat(open, 4<<20))
		allocs := testing.AllocsPerRun(1, func() {
			if validJSON(doc, config.MaxBodyDepthLimit) {
				t.Errorf("%q × 4M accepted", open)
			}
		})
		if allocs != 0 {
			t.Errorf("%q × 4M: %v allocations", open, allocs)
		}
	}
}

// FuzzValidJSON: validJSON agrees with encoding/json on what is JSON, and
// with a depth count on what nests too deep.
func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[1,2,{"a":"b"}]`, `"\u00e9"`, `-1.5e3`, `[[[[`, `{"a":}`, `nul`, " \t\n1\r"} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, doc []byte, depth uint8) {
		d := int(depth%8) + 1
		got := validJSON(doc, d)
		want := json.Valid(doc) && maxNesting(doc) <= d
		if got != want {
			t.Errorf("validJSON(%q, %d) = %v, want %v", doc, d, got, want)
		}
	})
}

// maxNesting counts how deeply a valid JSON document nests, outside strings.
func maxNesting(doc []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(doc); i++ {
		switch c := doc[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}
