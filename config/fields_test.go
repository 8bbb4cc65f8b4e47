package config

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// objectTypes are the configuration's object types, each decoded by one
// decodeObject[T] whose members must be T's tagged fields.
var objectTypes = []reflect.Type{
	reflect.TypeFor[Config](), reflect.TypeFor[Rule](), reflect.TypeFor[Match](),
	reflect.TypeFor[Response](), reflect.TypeFor[Delegate](), reflect.TypeFor[Fallback](),
	reflect.TypeFor[Active](), reflect.TypeFor[Callback](), reflect.TypeFor[Static](),
	reflect.TypeFor[MultipartPart](),
	reflect.TypeFor[Store](), reflect.TypeFor[Scenario](),
	reflect.TypeFor[Reset](), reflect.TypeFor[CRUD](),
	reflect.TypeFor[Record](), reflect.TypeFor[RecordKey](), reflect.TypeFor[Stats](),
}

// TestObjectTypesAreAll checks that objectTypes are all the struct types a
// Config reaches, so that the test below decodes each of them.
func TestObjectTypesAreAll(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			walk(t.Elem())
		case reflect.Struct:
			if seen[t] {
				return
			}
			seen[t] = true
			for i := range t.NumField() {
				if t.Field(i).Tag.Get("json") != "-" { // decoded values beside their text are no objects
					walk(t.Field(i).Type)
				}
			}
		}
	}
	walk(reflect.TypeFor[Config]())
	var got, want []string
	for typ := range seen {
		got = append(got, typ.Name())
	}
	for _, typ := range objectTypes {
		want = append(want, typ.Name())
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("a Config reaches the struct types %v, the test knows %v", got, want)
	}
}

// TestMembersAreTheTaggedFields decodes a configuration with every kind of
// object, each with every field, so that each decodeObject[T] compares its
// members with T's json tags (memberDrift records a difference), and checks that
// an unknown field lists T's tagged fields, in their order.
func TestMembersAreTheTaggedFields(t *testing.T) {
	everything := map[string]any{}
	for _, name := range fieldsOf[Config]() {
		everything[name] = nil
	}
	rule := map[string]any{}
	for _, name := range fieldsOf[Rule]() {
		rule[name] = nil
	}
	rule["match"] = map[string]any{"not": map[string]any{}, "any": []any{map[string]any{}}, "multipart": map[string]any{"f": map[string]any{}}}
	rule["response"] = map[string]any{}
	rule["responses"] = []any{map[string]any{}}
	rule["delegate"] = map[string]any{"fallback": map[string]any{}, "shadow": map[string]any{}, "static": map[string]any{}, "record": map[string]any{"key": map[string]any{}}}
	rule["delay"] = map[string]any{}
	rule["stats"] = map[string]any{}
	rule["active"] = map[string]any{}
	rule["callbacks"] = []any{map[string]any{}}
	rule["scenario"], rule["reset"], rule["crud"] = map[string]any{}, map[string]any{}, map[string]any{}
	everything["rules"] = []any{rule}
	everything["store"] = map[string]any{}
	if _, err := Decode(everything); err == nil { // nulls are wrong everywhere
		t.Fatal("the decoder accepts nulls for every field")
	}

	for _, c := range []struct {
		typ   reflect.Type
		place func(map[string]any) any
	}{
		{reflect.TypeFor[Config](), func(o map[string]any) any { return o }},
		{reflect.TypeFor[Rule](), func(o map[string]any) any { return map[string]any{"rules": []any{o}} }},
		{reflect.TypeFor[Match](), func(o map[string]any) any { return map[string]any{"rules": []any{map[string]any{"match": o}}} }},
		{reflect.TypeFor[Response](), func(o map[string]any) any { return map[string]any{"rules": []any{map[string]any{"response": o}}} }},
		{reflect.TypeFor[Delegate](), func(o map[string]any) any { return map[string]any{"rules": []any{map[string]any{"delegate": o}}} }},
		{reflect.TypeFor[Fallback](), func(o map[string]any) any {
			return map[string]any{"rules": []any{map[string]any{"delegate": map[string]any{"fallback": o}}}}
		}},
		{reflect.TypeFor[Active](), func(o map[string]any) any { return map[string]any{"rules": []any{map[string]any{"active": o}}} }},
		{reflect.TypeFor[MultipartPart](), func(o map[string]any) any {
			return map[string]any{"rules": []any{map[string]any{"match": map[string]any{"multipart": map[string]any{"f": o}}}}}
		}},
		{reflect.TypeFor[Callback](), func(o map[string]any) any {
			return map[string]any{"rules": []any{map[string]any{"callbacks": []any{o}}}}
		}},
		{reflect.TypeFor[Static](), func(o map[string]any) any {
			return map[string]any{"rules": []any{map[string]any{"delegate": map[string]any{"static": o}}}}
		}},
		{reflect.TypeFor[DelayObject](), func(o map[string]any) any { return map[string]any{"rules": []any{map[string]any{"delay": o}}} }},
		{reflect.TypeFor[Store](), func(o map[string]any) any { return map[string]any{"store": o} }},
		{reflect.TypeFor[Scenario](), func(o map[string]any) any { return map[string]any{"rules": []any{map[string]any{"scenario": o}}} }},
		{reflect.TypeFor[Reset](), func(o map[string]any) any { return map[string]any{"rules": []any{map[string]any{"reset": o}}} }},
		{reflect.TypeFor[CRUD](), func(o map[string]any) any { return map[string]any{"rules": []any{map[string]any{"crud": o}}} }},
		{reflect.TypeFor[Record](), func(o map[string]any) any {
			return map[string]any{"rules": []any{map[string]any{"delegate": map[string]any{"record": o}}}}
		}},
		{reflect.TypeFor[RecordKey](), func(o map[string]any) any {
			return map[string]any{"rules": []any{map[string]any{"delegate": map[string]any{"record": map[string]any{"key": o}}}}}
		}},
		{reflect.TypeFor[Stats](), func(o map[string]any) any { return map[string]any{"rules": []any{map[string]any{"stats": o}}} }},
	} {
		_, err := Decode(c.place(map[string]any{"zzz": 1.0}))
		want := "unknown field (known fields: " + strings.Join(FieldNames(c.typ), ", ") + ")"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: an unknown field gives %v, want %q", c.typ.Name(), err, want)
		}
	}
	// Every object type was decoded above: none may read other fields than
	// its tags declare.
	memberDrift.Range(func(name, err any) bool {
		t.Errorf("%s: %v", name, err)
		return true
	})
}

// TestRulesFileFields checks the names DecodeRulesFile reads against
// RulesFile's tags.
func TestRulesFileFields(t *testing.T) {
	if got := fieldsOf[RulesFile](); !slices.Equal(got, []string{"$schema", "rules"}) {
		t.Errorf("RulesFile's fields are %v, DecodeRulesFile reads $schema and rules", got)
	}
}

// TestSameMembers checks the comparison decodeObject relies on.
func TestSameMembers(t *testing.T) {
	m := func(names ...string) []member {
		var ms []member
		for _, n := range names {
			ms = append(ms, member{name: n})
		}
		return ms
	}
	known := []string{"a", "b"}
	for _, c := range []struct {
		members []member
		ok      bool
	}{
		{m("a", "b"), true},
		{m("b", "a"), false},
		{m("a"), false},
		{m("a", "b", "c"), false},
	} {
		if err := sameMembers(known, c.members); (err == nil) != c.ok {
			t.Errorf("sameMembers(%v, %v) = %v", known, c.members, err)
		}
	}
}
