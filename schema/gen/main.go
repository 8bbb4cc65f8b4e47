// Command gen writes the JSON Schemas of the configuration
// (krakend-rules.schema.json) and of a rules_file (rules-file.schema.json)
// into the current directory, from package config. Run it as
// go generate ./schema/.
package main

import (
	"fmt"
	"os"

	"krakend-rules/internal/schemagen"
)

func main() {
	mainSchema, rulesFileSchema, err := schemagen.Generate("../config")
	if err != nil {
		fmt.Fprintln(os.Stderr, "schema/gen:", err)
		os.Exit(1)
	}
	for name, content := range map[string][]byte{
		schemagen.MainFile:      mainSchema,
		schemagen.RulesFileFile: rulesFileSchema,
	} {
		if err := os.WriteFile(name, content, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "schema/gen:", err)
			os.Exit(1)
		}
	}
}
