// Package schemagen writes the JSON Schemas of schema/ from package config:
// the object types reachable from config.Config (and config.RulesFile for a
// rules_file), their fields' json tags, their doc comments (read from the
// package's source with go/parser and go/doc) and config.SchemaKeywords for
// what a Go type cannot say. go generate ./schema/ runs it, and a test in
// schema/ checks that the committed files are what it writes.
package schemagen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"krakend-rules/config"
)

const (
	// MainFile and RulesFileFile are the schemas' file names.
	MainFile      = "krakend-rules.schema.json"
	RulesFileFile = "rules-file.schema.json"

	idBase = "https://github.com/krakend-rules/krakend-rules/schema/"
	draft  = "https://json-schema.org/draft/2020-12/schema"
)

// Generate returns the two schema files' contents, from the types of package
// config and the comments in its source directory configDir.
func Generate(configDir string) (mainSchema, rulesFileSchema []byte, err error) {
	docs, err := readDocs(configDir)
	if err != nil {
		return nil, nil, err
	}
	g := &generator{docs: docs, defNames: map[reflect.Type]string{}}
	root := reflect.TypeFor[config.Config]()
	g.collect(root)
	rulesFile := reflect.TypeFor[config.RulesFile]()
	if err := g.checkKeywords(); err != nil {
		return nil, nil, err
	}

	main := g.object(root, "#/$defs/")
	main.prepend("title", "krakend-rules")
	main.prepend("$id", idBase+MainFile)
	main.prepend("$schema", draft)
	defs := &ordered{}
	for _, name := range sortedKeys(config.SchemaDefinitions) {
		defs.set(name, config.SchemaDefinitions[name])
	}
	for _, t := range g.types[1:] {
		defs.set(g.defNames[t], g.object(t, "#/$defs/"))
	}
	main.set("$defs", defs)

	rf := g.object(rulesFile, MainFile+"#/$defs/")
	rf.prepend("title", "krakend-rules rules file")
	rf.prepend("$id", idBase+RulesFileFile)
	rf.prepend("$schema", draft)

	if mainSchema, err = encode(main); err != nil {
		return nil, nil, err
	}
	if rulesFileSchema, err = encode(rf); err != nil {
		return nil, nil, err
	}
	if len(g.errs) > 0 {
		return nil, nil, fmt.Errorf("%s", strings.Join(g.errs, "\n"))
	}
	return mainSchema, rulesFileSchema, nil
}

// docs are the comments of package config: by type name, and by
// "Type.Field" (Go names).
type docs map[string]string

func readDocs(dir string) (docs, error) {
	fset := token.NewFileSet()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	pkg, err := doc.NewFromFiles(fset, files, "krakend-rules/config")
	if err != nil {
		return nil, err
	}
	d := docs{}
	for _, t := range pkg.Types {
		d[t.Name] = t.Doc
		for _, spec := range t.Decl.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok || ts.Name.Name != t.Name {
				continue
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, f := range st.Fields.List {
				for _, n := range f.Names {
					d[t.Name+"."+n.Name] = f.Doc.Text()
				}
			}
		}
	}
	if len(d) == 0 {
		return nil, fmt.Errorf("%s: no documented types", dir)
	}
	return d, nil
}

type generator struct {
	docs     docs
	types    []reflect.Type // the object types, config.Config first
	defNames map[reflect.Type]string
	errs     []string
}

func (g *generator) errorf(format string, args ...any) {
	g.errs = append(g.errs, fmt.Sprintf(format, args...))
}

// collect lists the struct types t reaches, in the order of their fields.
func (g *generator) collect(t reflect.Type) {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
		g.collect(t.Elem())
	case reflect.Struct:
		if _, seen := g.defNames[t]; seen {
			return
		}
		name := []rune(t.Name())
		name[0] = unicode.ToLower(name[0])
		g.defNames[t] = string(name)
		g.types = append(g.types, t)
		for _, f := range jsonFields(t) {
			g.collect(f.Type)
		}
	}
}

// jsonFields are a struct's fields that have a JSON name.
func jsonFields(t reflect.Type) []reflect.StructField {
	names := config.FieldNames(t)
	var out []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "-" {
			out = append(out, f)
		}
	}
	if len(out) != len(names) {
		panic("schemagen: config.FieldNames disagrees with the json tags of " + t.Name())
	}
	return out
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// checkKeywords refuses a key of config.SchemaKeywords that names no object
// type or field.
func (g *generator) checkKeywords() error {
	valid := map[string]bool{}
	for _, t := range append(slices.Clone(g.types), reflect.TypeFor[config.RulesFile]()) {
		valid[t.Name()] = true
		for _, f := range jsonFields(t) {
			valid[t.Name()+"."+jsonName(f)] = true
		}
	}
	var bad []string
	for k := range config.SchemaKeywords {
		if !valid[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("config.SchemaKeywords names no type or field: %s", strings.Join(bad, ", "))
	}
	return nil
}

// object is the schema of an object type: its description, its properties
// in the order of its fields, and its own keywords.
func (g *generator) object(t reflect.Type, refBase string) *ordered {
	o := &ordered{}
	o.set("description", g.typeDescription(t))
	o.set("type", "object")
	o.set("additionalProperties", false)
	props := &ordered{}
	for _, f := range jsonFields(t) {
		name := jsonName(f)
		s := g.typeSchema(f.Type, refBase, false)
		s["description"] = g.fieldDescription(t, f)
		s = merge(s, config.SchemaKeywords[t.Name()+"."+name])
		props.set(name, s)
	}
	o.set("properties", props)
	own := config.SchemaKeywords[t.Name()]
	for _, k := range sortedKeys(own) {
		o.set(k, copyValue(own[k]))
	}
	return o
}

// typeSchema derives a schema from a Go type; nullable says whether a
// pointer may be null (a map value: null removes a header).
func (g *generator) typeSchema(t reflect.Type, refBase string, nullable bool) config.Keywords {
	switch t.Kind() {
	case reflect.Pointer:
		if t.Elem().Kind() != reflect.Struct && nullable {
			s := g.typeSchema(t.Elem(), refBase, false)
			s["type"] = []any{s["type"], "null"}
			return s
		}
		return g.typeSchema(t.Elem(), refBase, false)
	case reflect.Struct:
		return config.Keywords{"$ref": refBase + g.defNames[t]}
	case reflect.String:
		return config.Keywords{"type": "string"}
	case reflect.Bool:
		return config.Keywords{"type": "boolean", "default": false}
	case reflect.Int, reflect.Int64:
		return config.Keywords{"type": "integer"}
	case reflect.Float64:
		return config.Keywords{"type": "number"}
	case reflect.Interface:
		return config.Keywords{} // any JSON value
	case reflect.Slice:
		return config.Keywords{"type": "array", "items": g.typeSchema(t.Elem(), refBase, false)}
	case reflect.Map:
		s := config.Keywords{"type": "object", "additionalProperties": g.typeSchema(t.Elem(), refBase, true)}
		if t.Key().Kind() == reflect.Int {
			s["propertyNames"] = config.Keywords{"pattern": `^[-+]?[0-9]+$`}
		}
		return s
	}
	g.errorf("no schema for the Go type %v", t)
	return config.Keywords{}
}

// typeDescription is a type's comment without its leading name ("Rule is
// one entry" gives "One entry"), its Go field names written as JSON ones.
func (g *generator) typeDescription(t reflect.Type) string {
	text := g.docs[t.Name()]
	if text == "" {
		g.errorf("config.%s has no comment", t.Name())
	}
	text = strings.TrimPrefix(text, t.Name()+" ")
	return g.clean(t, text)
}

// fieldDescription is a field's comment without its leading `Name ("name")`,
// which every documented field starts with, its Go field names written as
// JSON ones.
func (g *generator) fieldDescription(t reflect.Type, f reflect.StructField) string {
	text := g.docs[t.Name()+"."+f.Name]
	prefix := fmt.Sprintf("%s (%q) ", f.Name, jsonName(f))
	rest, ok := strings.CutPrefix(text, prefix)
	if !ok {
		g.errorf("the comment of config.%s.%s does not start with %q", t.Name(), f.Name, prefix)
	}
	return g.clean(t, rest)
}

var wordRE = regexp.MustCompile(`\b([A-Z][A-Za-z]*\.)?[A-Z][A-Za-z]*\b`)

// clean capitalizes a comment whose subject was cut off ("is how often"
// gives "How often"), writes the Go names of the fields of t, of any field
// qualified by its type (Fallback.OnStatus) and of fields whose names are
// not plain words (MaxBodyBytes) as their JSON names, and joins each
// paragraph's lines.
func (g *generator) clean(t reflect.Type, text string) string {
	for _, p := range []string{"is ", "are "} {
		text = strings.TrimPrefix(text, p)
	}
	own, qualified, compound := map[string]string{}, map[string]string{}, map[string]string{}
	for _, typ := range append(slices.Clone(g.types), reflect.TypeFor[config.RulesFile]()) {
		for _, f := range jsonFields(typ) {
			qualified[typ.Name()+"."+f.Name] = jsonName(f)
			if typ == t {
				own[f.Name] = jsonName(f)
			}
			if upper := strings.IndexFunc(f.Name[1:], unicode.IsUpper); upper >= 0 {
				compound[f.Name] = jsonName(f)
			}
		}
	}
	var out strings.Builder
	last := 0
	for _, m := range wordRE.FindAllStringIndex(text, -1) {
		// A word inside a hyphenated name (X-Forwarded-Host) is not a field.
		if m[0] > 0 && text[m[0]-1] == '-' || m[1] < len(text) && text[m[1]] == '-' {
			continue
		}
		w, j := text[m[0]:m[1]], ""
		if q, ok := qualified[w]; ok && strings.Contains(w, ".") {
			j = q
		} else if o, ok := own[w]; ok {
			j = o
		} else if c, ok := compound[w]; ok {
			j = c
		} else {
			continue
		}
		out.WriteString(text[last:m[0]] + j)
		last = m[1]
	}
	text = out.String() + text[last:]
	var paras []string
	for _, p := range strings.Split(strings.TrimSpace(text), "\n\n") {
		paras = append(paras, strings.Join(strings.Fields(p), " "))
	}
	text = strings.Join(paras, "\n\n")
	r, size := utf8.DecodeRuneInString(text)
	return string(unicode.ToUpper(r)) + text[size:]
}

// merge returns dst with src's keywords, objects merged into objects; it
// changes neither.
func merge(dst, src config.Keywords) config.Keywords {
	out := copyValue(dst).(config.Keywords)
	for k, v := range src {
		if sv, ok := v.(config.Keywords); ok {
			if dv, ok := out[k].(config.Keywords); ok {
				out[k] = merge(dv, sv)
				continue
			}
		}
		out[k] = copyValue(v)
	}
	return out
}

func copyValue(v any) any {
	switch v := v.(type) {
	case config.Keywords:
		out := make(config.Keywords, len(v))
		for k, x := range v {
			out[k] = copyValue(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = copyValue(x)
		}
		return out
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ordered is a JSON object whose keys keep the order they were set in.
type ordered struct {
	keys []string
	vals map[string]any
}

func (o *ordered) set(k string, v any) {
	if o.vals == nil {
		o.vals = map[string]any{}
	}
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *ordered) prepend(k string, v any) {
	o.set(k, v)
	o.keys = append([]string{k}, slices.DeleteFunc(o.keys, func(x string) bool { return x == k })...)
}

// keywordOrder is the order a schema's keywords are written in; others come
// after, sorted.
var keywordOrder = []string{
	"$schema", "$id", "$ref", "title", "description", "type", "enum", "const", "default",
	"minimum", "maximum", "minLength", "pattern", "minItems", "minProperties", "items",
	"propertyNames", "additionalProperties", "properties", "required", "oneOf", "anyOf",
	"dependentRequired", "dependentSchemas", "if", "then", "examples", "$defs",
}

func keywordRank(k string) int {
	if i := slices.Index(keywordOrder, k); i >= 0 {
		return i
	}
	return len(keywordOrder)
}

// encode writes a schema as indented JSON, two spaces a level, arrays of
// plain values on one line, with a final newline.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := write(&b, v, ""); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func write(b *bytes.Buffer, v any, indent string) error {
	switch v := v.(type) {
	case *ordered:
		return writeObject(b, v, indent)
	case config.Keywords:
		keys := sortedKeys(v)
		sort.SliceStable(keys, func(i, j int) bool { return keywordRank(keys[i]) < keywordRank(keys[j]) })
		o := &ordered{keys: keys, vals: v}
		return writeObject(b, o, indent)
	}
	rv := reflect.ValueOf(v)
	if v != nil && rv.Kind() == reflect.Slice {
		plain := true
		for i := range rv.Len() {
			switch rv.Index(i).Interface().(type) {
			case config.Keywords, *ordered:
				plain = false
			}
		}
		if plain {
			b.WriteByte('[')
			for i := range rv.Len() {
				if i > 0 {
					b.WriteString(", ")
				}
				if err := write(b, rv.Index(i).Interface(), indent); err != nil {
					return err
				}
			}
			b.WriteByte(']')
			return nil
		}
		b.WriteString("[\n")
		for i := range rv.Len() {
			b.WriteString(indent + "  ")
			if err := write(b, rv.Index(i).Interface(), indent+"  "); err != nil {
				return err
			}
			if i < rv.Len()-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "]")
		return nil
	}
	var s bytes.Buffer
	enc := json.NewEncoder(&s)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	// Spaces other than ' ' and invisible characters are written as \uXXXX,
	// so that a reader sees them.
	for _, r := range string(bytes.TrimSuffix(s.Bytes(), []byte("\n"))) {
		if r > 0x7f && (unicode.IsSpace(r) || !unicode.IsPrint(r)) {
			fmt.Fprintf(b, "\\u%04x", r)
		} else {
			b.WriteRune(r)
		}
	}
	return nil
}

func writeObject(b *bytes.Buffer, o *ordered, indent string) error {
	if len(o.keys) == 0 {
		b.WriteString("{}")
		return nil
	}
	b.WriteString("{\n")
	for i, k := range o.keys {
		b.WriteString(indent + "  ")
		if err := write(b, k, ""); err != nil {
			return err
		}
		b.WriteString(": ")
		if err := write(b, o.vals[k], indent+"  "); err != nil {
			return err
		}
		if i < len(o.keys)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(indent + "}")
	return nil
}
