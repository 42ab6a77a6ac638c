package values

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// FuzzValidateAgainstSchemas compiles an arbitrary values.schema.json (for the chart and
// its subchart sub) and validates arbitrary values YAML against it. It must not panic,
// nor need its recover (a panic in the validator is a bug to fix, not an input to
// refuse); every error must be ErrInvalidSchema or a *SchemaError whose violations name
// their chart, or come from values JSON cannot hold; and the result must not depend on
// the run (the same report twice, up to order: the validator reports the properties
// of an object in map order, so only the characters of the report are compared).
func FuzzValidateAgainstSchemas(f *testing.F) {
	f.Add([]byte(rootSchema), []byte("name: x\nreplicaCount: 3\nmode: deployment\nimage: {tag: v1}\nratio: 0.5\nsub: {name: y}"))
	f.Add([]byte(rootSchema), []byte("replicaCount: 0\nimage: {tag: latest, extra: 1}\nratio: 2\nsub: [1]"))
	for _, s := range []string{
		`{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":{"a":{"type":"string"}},"properties":{"name":{"$ref":"#/$defs/a"}}}`,
		`{"$schema":"http://json-schema.org/draft-04/schema#","properties":{"n":{"type":"integer","maximum":3,"exclusiveMaximum":true}}}`,
		`{"properties":{"name":{"$ref":"https://example.com/s.json"}}}`,
		`{"properties":{"name":{"$ref":"urn:x"}}}`,
		`{"$ref":"#"}`, `{"allOf":[{"$ref":"#/allOf/0"}]}`,
		`{"patternProperties":{"^(a+)+$":{"type":"string"}},"additionalProperties":false}`,
		`{"type":"object","minProperties":1,"uniqueItems":true,"format":"email"}`,
		`true`, `false`, `{}`, `[]`, `{"type":7}`, `{`, ``,
	} {
		f.Add([]byte(s), []byte("name: 1\nn: 4\nsub:\n  name: [a]\n"))
	}
	f.Add([]byte(`{"properties":{"f":{"type":"number"}}}`), []byte("f: .nan\nsub: {f: .inf}"))

	f.Fuzz(func(t *testing.T, schema, vals []byte) {
		values, err := ReadValues(vals)
		if err != nil {
			return
		}
		build := func() *chart.Chart {
			sub := &chart.Chart{Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "sub", Version: "1.0.0"}, Schema: schema}
			root := &chart.Chart{Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "root", Version: "1.0.0"}, Schema: schema}
			root.AddDependency(sub)
			return root
		}
		err = ValidateAgainstSchemas(build(), values)
		again := ValidateAgainstSchemas(build(), values)
		// The outcome must not change between runs. The wording of a schema refused by
		// the metaschema may (the validator reports whichever keyword it checked first),
		// so those compare by kind only.
		sameKind := errors.Is(err, ErrInvalidSchema) && errors.Is(again, ErrInvalidSchema)
		if (err == nil) != (again == nil) || (err != nil && !sameKind && sortedRunes(err) != sortedRunes(again)) {
			t.Fatalf("two runs differ:\n%v\n%v", err, again)
		}
		if err == nil {
			return
		}
		if strings.Contains(err.Error(), "validator failed") {
			t.Fatalf("the validator panicked: %v", err)
		}
		errs := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = j.Unwrap()
		}
		for _, e := range errs {
			var serr *SchemaError
			switch {
			case errors.As(e, &serr):
				for _, v := range serr.Violations {
					if v.Chart != "root" && v.Chart != "root/charts/sub" && !strings.HasSuffix(v.Chart, "sub") {
						t.Fatalf("violation of chart %q: %+v", v.Chart, v)
					}
				}
			case errors.Is(e, ErrInvalidSchema), strings.Contains(e.Error(), "values cannot be validated"):
			default:
				t.Fatalf("unexpected error: %v", e)
			}
		}
	})
}

func sortedRunes(err error) string {
	r := []rune(err.Error())
	slices.Sort(r)
	return string(r)
}
