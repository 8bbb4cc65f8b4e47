package schema

import (
	"bytes"
	"os"
	"testing"

	"krakend-rules/internal/schemagen"
)

// TestSchemasAreGenerated runs the generator into memory and compares what
// it writes with the committed schemas, byte for byte: the schemas are
// written from package config, never by hand.
func TestSchemasAreGenerated(t *testing.T) {
	mainSchema, rulesFileSchema, err := schemagen.Generate("../config")
	if err != nil {
		t.Fatalf("the generator fails: %v", err)
	}
	for _, c := range []struct {
		file string
		want []byte
	}{
		{mainFile, mainSchema},
		{rulesFileFile, rulesFileSchema},
	} {
		got, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, c.want) {
			t.Errorf("%s is not what the generator writes from package config: run go generate ./schema/ and commit the result", c.file)
		}
	}
	if mainFile != schemagen.MainFile || rulesFileFile != schemagen.RulesFileFile {
		t.Errorf("the generator writes %s and %s, the tests read %s and %s", schemagen.MainFile, schemagen.RulesFileFile, mainFile, rulesFileFile)
	}
}
