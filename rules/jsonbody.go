package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"krakend-rules/config"
	"unicode/utf8"
)

// jsonBody is a response "body" encoded at load: literal JSON bytes with
// holes where string leaves are templates. A body without templates is a
// single literal. A hole is always emitted as a JSON string with its output
// escaped, so no template output can change the structure of the document.
type jsonBody struct {
	parts []jsonPart
}

type jsonPart struct {
	literal  []byte
	template int // index in the templateSet; -1 for a literal
}

// compileJSONBody encodes v (as decoded from JSON: maps, slices, strings,
// float64, bool, nil) with object keys sorted.
func compileJSONBody(errs *config.Errors, s *templateSet, loc config.Path, v any) jsonBody {
	e := jsonEncoder{errs: errs, set: s}
	e.value(loc, v)
	e.flush()
	return jsonBody{parts: e.parts}
}

// static returns the encoded body when it has no templates.
func (b jsonBody) static() ([]byte, bool) {
	switch {
	case len(b.parts) == 0:
		return nil, true
	case len(b.parts) == 1 && b.parts[0].template < 0:
		return b.parts[0].literal, true
	}
	return nil, false
}

// render writes the body for one request into buf, using scratch for the
// template outputs before they are escaped.
func (b jsonBody) render(bt *boundTemplates, buf, scratch *bytes.Buffer) error {
	for _, p := range b.parts {
		if p.template < 0 {
			buf.Write(p.literal)
			continue
		}
		scratch.Reset()
		if err := bt.execute(scratch, p.template); err != nil {
			return err
		}
		buf.Write(appendJSONString(buf.AvailableBuffer(), scratch.Bytes()))
	}
	return nil
}

type jsonEncoder struct {
	errs  *config.Errors
	set   *templateSet
	buf   []byte
	parts []jsonPart
}

func (e *jsonEncoder) flush() {
	if len(e.buf) > 0 {
		e.parts = append(e.parts, jsonPart{literal: e.buf, template: -1})
		e.buf = nil
	}
}

func (e *jsonEncoder) value(loc config.Path, v any) {
	switch v := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool, float64, int, int64:
		b, err := json.Marshal(v)
		if err != nil { // NaN or infinity cannot come from JSON, but say so if they do
			e.errs.Add(loc, "cannot be encoded as JSON: %v", err)
		}
		e.buf = append(e.buf, b...)
	case string:
		if !isTemplate(v) {
			e.buf = appendJSONString(e.buf, []byte(v))
			return
		}
		i, err := e.set.add(loc, v)
		if err != nil {
			e.errs.Add(loc, "%v", err)
			return
		}
		e.flush()
		e.parts = append(e.parts, jsonPart{template: i})
	case []any:
		e.buf = append(e.buf, '[')
		for i, el := range v {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.value(loc.Index(i), el)
		}
		e.buf = append(e.buf, ']')
	case map[string]any:
		e.buf = append(e.buf, '{')
		for i, k := range config.SortedKeys(v) {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.buf = appendJSONString(e.buf, []byte(k))
			e.buf = append(e.buf, ':')
			e.value(loc.Field(k), v[k])
		}
		e.buf = append(e.buf, '}')
	default:
		e.errs.Add(loc, "cannot be encoded as JSON: unexpected %s", fmt.Sprintf("%T", v))
	}
}

// appendJSONString appends s as a JSON string, escaped as encoding/json does
// (including <, > and & so that a body is also safe inside HTML, and
// invalid UTF-8 replaced by U+FFFD).
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but end lines in JavaScript.
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
