package schema

// The schemas are written from package config's types, json tags, comments
// and config.SchemaKeywords; TestSchemasAreGenerated checks that the
// committed files are what the generator writes.
//go:generate go run ./gen
