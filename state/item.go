package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
)

// NewItem normalises a JSON object into an Item: the object re-encoded with
// its keys sorted (numbers kept as written), and its id read from idField
// as a string ("42" for 42). An object without the id field gets
// generate()'s id: a number when it is an integer, else a string.
func NewItem(object []byte, idField string, generate func() string) (*Item, error) {
	fields, err := decodeObject(object)
	if err != nil {
		return nil, err
	}
	id := ""
	if raw, ok := fields[idField]; !ok || raw == nil {
		id = generate()
		fields[idField] = idValue(id)
	} else {
		raw := fields[idField]
		switch v := raw.(type) {
		case string:
			id = v
		case json.Number:
			id = v.String()
		default:
			return nil, errors.New("the id field " + strconv.Quote(idField) + " must be a string or a number")
		}
		if id == "" {
			return nil, errors.New("the id field " + strconv.Quote(idField) + " must not be empty")
		}
	}
	return encodeItem(id, fields)
}

func encodeItem(id string, fields map[string]any) (*Item, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fields); err != nil {
		return nil, err
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return &Item{ID: id, JSON: b, Length: []string{strconv.Itoa(len(b))}}, nil
}

// ItemFromStored rebuilds an Item from its stored JSON (Redis).
func ItemFromStored(id string, stored []byte) *Item {
	return &Item{ID: id, JSON: stored, Length: []string{strconv.Itoa(len(stored))}}
}

// Merge applies a JSON merge patch (RFC 7396) to an object: patch's
// members replace the object's, null removes one, and objects merge
// recursively (bounded by the patch's own depth, which the engine has
// checked). The id field keeps its value.
func Merge(old, patch []byte, idField string) ([]byte, error) {
	base, err := decodeObject(old)
	if err != nil {
		return nil, err
	}
	p, err := decodeObject(patch)
	if err != nil {
		return nil, err
	}
	id := base[idField]
	mergeInto(base, p)
	base[idField] = id
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(base); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func mergeInto(dst, patch map[string]any) {
	for k, v := range patch {
		if v == nil {
			delete(dst, k)
			continue
		}
		if pv, ok := v.(map[string]any); ok {
			if dv, ok := dst[k].(map[string]any); ok {
				mergeInto(dv, pv)
				continue
			}
			nested := map[string]any{}
			mergeInto(nested, pv)
			dst[k] = nested
			continue
		}
		dst[k] = v
	}
}

func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return nil, errors.New("not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("not a JSON object")
	}
	return fields, nil
}

// idValue is how a generated or path id is written into an object: an
// integer as a number, anything else as a string.
func idValue(id string) any {
	if _, err := strconv.ParseInt(id, 10, 64); err == nil && (id == "0" || id[0] != '0') && id[0] != '+' {
		return json.Number(id)
	}
	return id
}

// Replace returns object with the id field of old: a PUT replaces every
// member but the id.
func Replace(old, object []byte, idField string) ([]byte, error) {
	base, err := decodeObject(old)
	if err != nil {
		return nil, err
	}
	fields, err := decodeObject(object)
	if err != nil {
		return nil, err
	}
	fields[idField] = base[idField]
	it, err := encodeItem("", fields)
	if err != nil {
		return nil, err
	}
	return it.JSON, nil
}
