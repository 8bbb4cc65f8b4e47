package config

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// FieldNames lists the JSON fields of a configuration object type (Config,
// Rule, Match, Response, Delegate, Fallback, Active, RulesFile): the name in
// each field's json tag, in the order the fields are declared. Fields tagged
// "-" are not part of the configuration. These names are the only list of
// what a configuration may contain: the decoder's unknown-field check, its
// suggestions and the JSON Schemas all read them from here.
func FieldNames(t reflect.Type) []string {
	if names, ok := fieldNames.Load(t); ok {
		return names.([]string)
	}
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("config.FieldNames: %v is not a struct", t))
	}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			panic(fmt.Sprintf("config.FieldNames: %v.%s has no json tag", t, f.Name))
		}
		names = append(names, name)
	}
	fieldNames.Store(t, names)
	return names
}

var fieldNames sync.Map // reflect.Type -> []string

// fieldsOf is FieldNames for the type of *T.
func fieldsOf[T any]() []string {
	return FieldNames(reflect.TypeFor[T]())
}
