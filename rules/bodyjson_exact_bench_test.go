package rules

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// BenchmarkBodyJSONExact compares body_json on a body of 64 objects of 8
// members, contained (ignore_extra_fields true) and exact (false): the
// exact walk adds one pass over each object's members.
func BenchmarkBodyJSONExact(b *testing.B) {
	var items []string
	for i := range 64 {
		items = append(items, fmt.Sprintf(`{"id":%d,"a":"x","b":true,"c":null,"d":1.5,"e":"y","f":[1,2],"g":{"h":1}}`, i))
	}
	body := `{"items":[` + strings.Join(items, ",") + `],"total":64}`
	var want any
	if err := json.Unmarshal([]byte(body), &want); err != nil {
		b.Fatal(err)
	}
	doc := gjson.Parse(body)
	for _, mode := range []struct {
		name string
		mode jsonMode
	}{{"contains", 0}, {"exact", jsonExact}} {
		b.Run(mode.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if !containsJSON(doc, want, mode.mode) {
					b.Fatal("no match")
				}
			}
		})
	}
}
