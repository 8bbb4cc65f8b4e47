package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

// loadAndImport reads and imports a document; a panic in the loader or the
// converter (a document they do not expect) becomes an error, not a crash.
func loadAndImport(spec string, stdin io.Reader, opts importOptions) (file *rulesFile, notes []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot import this document: %v (a bug of the importer; the stack is %s)", r, firstFrames(debug.Stack()))
		}
	}()
	doc, err := loadOpenAPI(spec, stdin)
	if err != nil {
		return nil, nil, err
	}
	file, notes = importOpenAPI(doc, opts)
	return file, notes, nil
}

// firstFrames keeps a stack trace short enough for a message.
func firstFrames(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	if len(lines) > 12 {
		lines = lines[:12]
	}
	return strings.Join(lines, " | ")
}

// hoistSwaggerBodyParameters moves a Swagger 2.0 path item's body and
// formData parameters (which apply to each of its operations) into the
// operations that do not declare their own: the converter to OpenAPI 3
// refuses them on the path item, where OpenAPI 3 has no request body.
func hoistSwaggerBodyParameters(doc *openapi2.T) {
	for _, item := range doc.Paths {
		if item == nil {
			continue
		}
		var keep, move openapi2.Parameters
		for _, p := range item.Parameters {
			if in := swaggerParameterIn(doc, p); in == "body" || in == "formData" {
				move = append(move, p)
			} else {
				keep = append(keep, p)
			}
		}
		if len(move) == 0 {
			continue
		}
		item.Parameters = keep
		for _, op := range item.Operations() {
			hasBody := false
			for _, q := range op.Parameters {
				if in := swaggerParameterIn(doc, q); in == "body" || in == "formData" {
					hasBody = true
				}
			}
			if !hasBody {
				op.Parameters = append(op.Parameters, move...)
			}
		}
	}
}

// swaggerParameterIn is where a parameter goes, following a reference to
// the document's parameters.
func swaggerParameterIn(doc *openapi2.T, p *openapi2.Parameter) string {
	if p == nil {
		return ""
	}
	if name, ok := strings.CutPrefix(p.Ref, "#/parameters/"); ok {
		if q := doc.Parameters[name]; q != nil {
			return q.In
		}
	}
	return p.In
}

// locateSwaggerError finds the path item whose conversion fails, for an
// error that does not say where.
func locateSwaggerError(doc *openapi2.T, err error) error {
	for _, path := range sortedKeys(doc.Paths) {
		if _, e := openapi2conv.ToV3PathItem(doc, &openapi3.Components{}, doc.Paths[path], doc.Consumes); e != nil {
			return fmt.Errorf("%s: %v", pointer("paths", path), e)
		}
	}
	return err
}
