package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/oasdiff/yaml"
)

// maxDocumentDepth bounds how deeply a document's values nest. The
// loader decodes each inline schema again for every schema around it, so
// its time grows with the square of the nesting: 400 levels take a tenth
// of a second, 8 000 a minute and 20 GB. Real documents nest 8 (Kubernetes)
// to 24 (Stripe) levels.
const maxDocumentDepth = 512

// checkDepth refuses a document nested deeper than maxDocumentDepth,
// saying where (a JSON pointer to the first value too deep).
func checkDepth(data []byte) error {
	if !json.Valid(data) {
		text, err := yaml.YAMLToJSON(data)
		if err != nil {
			return nil // the loader says what is wrong with it
		}
		data = text
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	type level struct {
		object bool
		key    string // the member being read (objects)
		index  int    // the element being read (arrays)
		keyed  bool   // an object's key was read, its value is next
	}
	var stack []level
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return nil
		}
		// A value ends an object's member or an array's element.
		valueDone := func() {
			if len(stack) == 0 {
				return
			}
			top := &stack[len(stack)-1]
			if top.object {
				top.keyed = false
			} else {
				top.index++
			}
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) >= maxDocumentDepth {
					var names []string
					for i := range stack {
						l := stack[i]
						if l.object {
							names = append(names, l.key)
						} else {
							names = append(names, strconv.Itoa(l.index))
						}
					}
					return fmt.Errorf("%s: nested deeper than %d levels, which this importer does not read", pointer(names...), maxDocumentDepth)
				}
				stack = append(stack, level{object: t == '{'})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if len(stack) > 0 && stack[len(stack)-1].object && !stack[len(stack)-1].keyed {
				stack[len(stack)-1].key, stack[len(stack)-1].keyed = t, true
				continue
			}
			valueDone()
		default:
			valueDone()
		}
	}
}
