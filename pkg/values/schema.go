package values

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// ErrExternalSchemaRef is returned when a values.schema.json refers to a document
// outside itself and no SchemaLoader was given.
var ErrExternalSchemaRef = errors.New("external schema reference refused (no schema loader)")

// ErrInvalidSchema is returned when a chart's values.schema.json cannot be used: not
// JSON, not a valid schema, or a reference that cannot be resolved.
var ErrInvalidSchema = errors.New("invalid values.schema.json")

// SchemaViolation is one rule of a chart's values.schema.json that the values break.
type SchemaViolation struct {
	// Chart is the chart's full path ("parent/charts/sub").
	Chart string
	// Path is the JSON pointer of the offending value within the chart's values
	// ("/image/tag"), "" for the chart's values as a whole.
	Path string
	// Message is the rule broken ("got string, want integer"); for a broken
	// anyOf/oneOf/not it goes on with the alternatives' failures, one per line.
	Message string
}

// SchemaError lists every violation of the values.schema.json files of a chart and
// its subcharts.
type SchemaError struct {
	Violations []SchemaViolation
}

// Error lists the violations grouped by chart, as Helm does after its "values don't
// meet the specifications of the schema(s) in the following chart(s):" line (which
// is the caller's to add):
//
//	parent:
//	- at '/replicaCount': got string, want integer
//	parent/charts/sub:
//	- at '': missing property 'name'
func (e *SchemaError) Error() string {
	var b strings.Builder
	last := "\x00"
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteByte('\n')
		}
		if v.Chart != last {
			fmt.Fprintf(&b, "%s:\n", v.Chart)
			last = v.Chart
		}
		fmt.Fprintf(&b, "- at '%s': %s", v.Path, v.Message)
	}
	return b.String()
}

// schemaURL is where a chart's schema lives for the validator, as in Helm: relative
// references resolve against it.
const schemaURL = "file:///values.schema.json"

// ValidateAgainstSchemas checks values (as Coalesce returns them for c) against c's
// values.schema.json and each subchart's section against the subchart's schema,
// recursively, as Helm v4 does before rendering. A subchart whose section is absent
// or null is not checked. The draft is the one $schema names (04, 06, 07, 2019-09 or
// 2020-12), 2020-12 when there is none. Every violation of every chart is reported in
// one *SchemaError; a schema that cannot be used gives an error wrapping
// ErrInvalidSchema (and ErrExternalSchemaRef if it needed a document it may not
// load). The errors are joined when there are several.
func ValidateAgainstSchemas(c *chart.Chart, values map[string]any, opts ...Option) error {
	if c == nil {
		return errNoChart
	}
	s := newSettings(opts)
	var serr SchemaError
	var errs []error
	s.validateChart(c, values, &serr, &errs)
	if len(serr.Violations) > 0 {
		errs = append(errs, &serr)
	}
	return errors.Join(errs...)
}

func (s *settings) validateChart(c *chart.Chart, values map[string]any, serr *SchemaError, errs *[]error) {
	name := c.ChartFullPath()
	if c.Schema != nil {
		vs, err := s.validateOne(c.Schema, values)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("chart %s: %w", name, err))
		}
		for _, v := range vs {
			v.Chart = name
			serr.Violations = append(serr.Violations, v)
		}
	}
	for _, sub := range c.Dependencies() {
		raw, ok := values[sub.Name()]
		if !ok || raw == nil {
			continue
		}
		sv, ok := raw.(map[string]any)
		if !ok {
			serr.Violations = append(serr.Violations, SchemaViolation{
				Chart:   sub.ChartFullPath(),
				Message: fmt.Sprintf("invalid type for values: expected object (map), got %s", describe(raw)),
			})
			continue
		}
		s.validateChart(sub, sv, serr, errs)
	}
}

// validateOne compiles one schema and returns the violations of values.
func (s *settings) validateOne(schemaJSON []byte, values map[string]any) (vs []SchemaViolation, err error) {
	defer func() {
		// The validator is third-party code run on a chart's input: a panic in it
		// is an invalid schema, not a crash (Helm recovers here too).
		if r := recover(); r != nil {
			vs, err = nil, fmt.Errorf("%w: validator failed: %v", ErrInvalidSchema, r)
		}
	}()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSchema, err)
	}
	ld := &schemaLoader{settings: s}
	compiler := jsonschema.NewCompiler()
	compiler.UseLoader(ld)
	if err := compiler.AddResource(schemaURL, doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSchema, err)
	}
	sch, err := compiler.Compile(schemaURL)
	if err != nil {
		if ld.refused != "" {
			return nil, fmt.Errorf("%w: %w: %s", ErrInvalidSchema, ErrExternalSchemaRef, ld.refused)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidSchema, err)
	}
	inst, err := jsonValue(values)
	if err != nil {
		return nil, fmt.Errorf("values cannot be validated: %w", err)
	}
	err = sch.Validate(inst)
	if err == nil {
		return nil, nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return nil, err
	}
	var out []SchemaViolation
	collectViolations(verr, message.NewPrinter(language.English), &out)
	return out, nil
}

// collectViolations flattens the validator's error tree into violations: the
// wrappers (the schema itself, $ref, allOf) are looked through, anything else is one
// violation, with its own causes as detail lines.
func collectViolations(e *jsonschema.ValidationError, p *message.Printer, out *[]SchemaViolation) {
	switch e.ErrorKind.(type) {
	case *kind.Schema, *kind.Reference, *kind.AllOf, *kind.Group:
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				collectViolations(c, p, out)
			}
			return
		}
	}
	var b strings.Builder
	b.WriteString(e.ErrorKind.LocalizedString(p))
	for _, c := range e.Causes {
		writeCause(&b, c, p, 1)
	}
	*out = append(*out, SchemaViolation{Path: pointer(e.InstanceLocation), Message: b.String()})
}

func writeCause(b *strings.Builder, e *jsonschema.ValidationError, p *message.Printer, depth int) {
	if _, ref := e.ErrorKind.(*kind.Reference); !ref || len(e.Causes) != 1 {
		fmt.Fprintf(b, "\n%s- at '%s': %s", strings.Repeat("  ", depth), pointer(e.InstanceLocation), e.ErrorKind.LocalizedString(p))
		depth++
	}
	for _, c := range e.Causes {
		writeCause(b, c, p, depth)
	}
}

// pointer renders a JSON pointer ("/a/b~1c").
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}

// schemaLoader resolves documents a schema refers to: the SchemaLoader if there is
// one, else urn: as the always-true schema (Helm's fallback) and nothing else.
type schemaLoader struct {
	*settings
	refused string
}

func (l *schemaLoader) Load(url string) (any, error) {
	if l.loadSchema != nil {
		data, err := l.loadSchema(url)
		if err != nil {
			return nil, err
		}
		return jsonschema.UnmarshalJSON(bytes.NewReader(data))
	}
	if strings.HasPrefix(url, "urn:") {
		l.warn("warning: unresolved URN reference %s in values.schema.json ignored; using a permissive schema", url)
		return true, nil
	}
	if l.refused == "" {
		l.refused = url
	}
	return nil, fmt.Errorf("%w: %s", ErrExternalSchemaRef, url)
}

// jsonValue converts values to the types the validator knows (JSON's: nil, bool,
// string, numbers, []any, map[string]any); other types go through encoding/json.
func jsonValue(v any) (any, error) {
	switch t := v.(type) {
	case nil, bool, string, json.Number,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return v, nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, fmt.Errorf("%v is not a JSON number", t)
		}
		return v, nil
	case float32:
		return jsonValue(float64(t))
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			c, err := jsonValue(x)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			c, err := jsonValue(x)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = c
		}
		return out, nil
	}
	if rv := reflect.ValueOf(v); (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Map || rv.Kind() == reflect.Slice) && rv.IsNil() {
		return nil, nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}
