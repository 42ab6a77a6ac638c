package values

import (
	"fmt"
	"io"
)

// Option adjusts Coalesce, ProcessDependencies and ValidateAgainstSchemas.
type Option func(*settings)

// WithWarnings writes the warnings Helm logs (a table meeting a non-table, a
// condition or tag that is not a boolean, a missing import-values table, an
// unresolved urn: schema reference) to w, one per line. Without it they are
// dropped.
func WithWarnings(w io.Writer) Option {
	return func(s *settings) { s.warnings = w }
}

// SchemaLoader returns the JSON document a values.schema.json refers to with a $ref
// (or $schema) outside itself: an https:// or file:// URL, or a urn:.
type SchemaLoader func(url string) ([]byte, error)

// WithSchemaLoader lets values.schema.json files refer to other documents, loaded
// with load. Without it such references are refused (ErrExternalSchemaRef), except
// urn: references, which are taken as the always-valid schema, as Helm does.
func WithSchemaLoader(load SchemaLoader) Option {
	return func(s *settings) { s.loadSchema = load }
}

type settings struct {
	warnings   io.Writer
	loadSchema SchemaLoader
}

func newSettings(opts []Option) *settings {
	s := &settings{}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	return s
}

func (s *settings) warn(format string, args ...any) {
	if s.warnings == nil {
		return
	}
	_, _ = fmt.Fprintf(s.warnings, format+"\n", args...)
}
