package values

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/chart"
)

func withSchema(c *chart.Chart, schema string) *chart.Chart {
	c.Schema = []byte(schema)
	return c
}

const rootSchema = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "required": ["name"],
  "properties": {
    "replicaCount": {"type": "integer", "minimum": 1},
    "mode": {"enum": ["daemonset", "deployment"]},
    "image": {
      "type": "object",
      "properties": {"tag": {"type": "string", "pattern": "^v"}},
      "additionalProperties": false
    },
    "ratio": {"type": "number", "maximum": 1}
  }
}`

func TestValidateAgainstSchemas(t *testing.T) {
	for _, tc := range []struct {
		name string
		vals string
		want []SchemaViolation // Chart is always "root" here
	}{
		{name: "valid", vals: "name: x\nreplicaCount: 3\nmode: deployment\nimage: {tag: v1}\nratio: 0.5"},
		{name: "integral float is an integer", vals: "name: x\nreplicaCount: 3.0"},
		{name: "type", vals: "name: x\nreplicaCount: '2'", want: []SchemaViolation{{Path: "/replicaCount", Message: "got string, want integer"}}},
		{name: "enum", vals: "name: x\nmode: sidecar", want: []SchemaViolation{{Path: "/mode", Message: "value must be one of 'daemonset', 'deployment'"}}},
		{name: "required", vals: "replicaCount: 1", want: []SchemaViolation{{Path: "", Message: "missing property 'name'"}}},
		{
			name: "every violation is reported",
			vals: "replicaCount: 0\nimage: {tag: latest, extra: 1}\nratio: 2",
			want: []SchemaViolation{
				{Path: "", Message: "missing property 'name'"},
				{Path: "/image", Message: "additional properties 'extra' not allowed"},
				{Path: "/image/tag", Message: "'latest' does not match pattern '^v'"},
				{Path: "/ratio", Message: "maximum: got 2, want 1"},
				{Path: "/replicaCount", Message: "minimum: got 0, want 1"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := withSchema(mkChart(t, "root", "1.0.0", ""), rootSchema)
			err := ValidateAgainstSchemas(c, y(t, tc.vals))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var serr *SchemaError
			if !errors.As(err, &serr) {
				t.Fatalf("got %v", err)
			}
			for i := range tc.want {
				tc.want[i].Chart = "root"
			}
			got := sortViolations(serr.Violations)
			if !deepEqual(got, sortViolations(tc.want)) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func sortViolations(vs []SchemaViolation) []SchemaViolation {
	out := append([]SchemaViolation(nil), vs...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].Path+out[j].Message < out[i].Path+out[i].Message {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// The --set, --set-string and -f types all validate as they should.
func TestValidateNumberTypes(t *testing.T) {
	c := withSchema(mkChart(t, "root", "1.0.0", ""), `{"properties": {"n": {"type": "integer"}, "f": {"type": "number"}}}`)
	for _, tc := range []struct {
		vals map[string]any
		ok   bool
	}{
		{map[string]any{"n": int64(3), "f": int64(3)}, true},
		{map[string]any{"n": float64(3), "f": 2.5}, true},
		{map[string]any{"n": 3, "f": float32(1.5)}, true},
		{map[string]any{"n": uint8(3)}, true},
		{map[string]any{"n": 2.5}, false},
		{map[string]any{"n": "3"}, false},
		{map[string]any{"n": []string{"x"}}, false},
		{map[string]any{"n": map[string]string{"a": "b"}}, false},
	} {
		err := ValidateAgainstSchemas(c, tc.vals)
		if (err == nil) != tc.ok {
			t.Errorf("%s: got %v", dump(tc.vals), err)
		}
	}
}

func TestValidateSubcharts(t *testing.T) {
	build := func() *chart.Chart {
		root := withSchema(mkChart(t, "root", "1.0.0", ""), `{"properties": {"a": {"type": "string"}}}`)
		sub := withSchema(mkChart(t, "sub", "1.0.0", ""), `{"required": ["port"], "properties": {"port": {"type": "integer"}}}`)
		leaf := withSchema(mkChart(t, "leaf", "1.0.0", ""), `{"properties": {"flag": {"type": "boolean"}}}`)
		noSchema := mkChart(t, "plain", "1.0.0", "")
		sub.AddDependency(leaf)
		root.AddDependency(sub, noSchema)
		return root
	}
	err := ValidateAgainstSchemas(build(), y(t, "a: 1\nsub: {port: x, leaf: {flag: 'yes'}}\nplain: {anything: 1}"))
	var serr *SchemaError
	if !errors.As(err, &serr) {
		t.Fatalf("got %v", err)
	}
	want := `root:
- at '/a': got number, want string
root/charts/sub:
- at '/port': got string, want integer
root/charts/sub/charts/leaf:
- at '/flag': got string, want boolean`
	if err.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", err, want)
	}

	// A subchart section that is missing or null is not checked (Helm), one that is
	// not a map is a violation.
	if err := ValidateAgainstSchemas(build(), y(t, "a: x\nsub: null")); err != nil {
		t.Errorf("null section: %v", err)
	}
	if err := ValidateAgainstSchemas(build(), y(t, "a: x")); err != nil {
		t.Errorf("missing section: %v", err)
	}
	err = ValidateAgainstSchemas(build(), y(t, "a: x\nsub: [1]"))
	if err == nil || err.Error() != "root/charts/sub:\n- at '': invalid type for values: expected object (map), got a list" {
		t.Errorf("got %v", err)
	}
}

func TestValidateDrafts(t *testing.T) {
	for _, tc := range []struct {
		name, schema, vals string
		ok                 bool
	}{
		// exclusiveMaximum is a boolean in draft-04 and a number later.
		{"draft-04", `{"$schema": "http://json-schema.org/draft-04/schema#", "properties": {"num": {"maximum": 5, "exclusiveMaximum": true}}}`, "num: 5", false},
		{"draft-06", `{"$schema": "http://json-schema.org/draft-06/schema#", "properties": {"num": {"exclusiveMaximum": 5}}}`, "num: 5", false},
		{"draft 2019-09", `{"$schema": "https://json-schema.org/draft/2019-09/schema", "properties": {"num": {"exclusiveMaximum": 5}}}`, "num: 4", true},
		// prefixItems exists in 2020-12 only, the default draft.
		{"no $schema is 2020-12", `{"properties": {"l": {"prefixItems": [{"type": "string"}]}}}`, "l: [1]", false},
		{"draft-07 ignores prefixItems", `{"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"l": {"prefixItems": [{"type": "string"}]}}}`, "l: [1]", true},
		{"latest", `{"$schema": "http://json-schema.org/schema#", "properties": {"l": {"prefixItems": [{"type": "string"}]}}}`, "l: [1]", false},
		// Local references work.
		{"$defs", `{"$defs": {"port": {"type": "integer"}}, "properties": {"p": {"$ref": "#/$defs/port"}}}`, "p: x", false},
		{"definitions", `{"$schema": "http://json-schema.org/draft-07/schema#", "definitions": {"port": {"type": "integer"}}, "properties": {"p": {"$ref": "#/definitions/port"}}}`, "p: 1", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := withSchema(mkChart(t, "root", "1.0.0", ""), tc.schema)
			err := ValidateAgainstSchemas(c, y(t, tc.vals))
			if (err == nil) != tc.ok {
				t.Errorf("got %v", err)
			}
			if err != nil && errors.Is(err, ErrInvalidSchema) {
				t.Errorf("schema refused: %v", err)
			}
		})
	}
}

func TestValidateExternalRefs(t *testing.T) {
	schema := `{"properties": {"p": {"$ref": "https://example.test/port.json"}}}`
	c := withSchema(mkChart(t, "root", "1.0.0", ""), schema)
	err := ValidateAgainstSchemas(c, y(t, "p: x"))
	if !errors.Is(err, ErrExternalSchemaRef) || !errors.Is(err, ErrInvalidSchema) ||
		!strings.Contains(err.Error(), "chart root") || !strings.Contains(err.Error(), "https://example.test/port.json") {
		t.Fatalf("got %v", err)
	}

	var asked []string
	load := func(url string) ([]byte, error) {
		asked = append(asked, url)
		if url == "https://example.test/port.json" {
			return []byte(`{"type": "integer"}`), nil
		}
		return nil, errors.New("not found")
	}
	err = ValidateAgainstSchemas(c, y(t, "p: x"), WithSchemaLoader(load))
	var serr *SchemaError
	if !errors.As(err, &serr) || serr.Violations[0].Path != "/p" || len(asked) != 1 {
		t.Errorf("got %v (asked %v)", err, asked)
	}
	if err := ValidateAgainstSchemas(c, y(t, "p: 1"), WithSchemaLoader(load)); err != nil {
		t.Error(err)
	}

	// A relative reference resolves against file:///values.schema.json, as in Helm.
	rel := withSchema(mkChart(t, "root", "1.0.0", ""), `{"properties": {"p": {"$ref": "defs.json"}}}`)
	err = ValidateAgainstSchemas(rel, y(t, "p: 1"))
	if !errors.Is(err, ErrExternalSchemaRef) || !strings.Contains(err.Error(), "file:///defs.json") {
		t.Errorf("got %v", err)
	}

	// urn: references are permissive, with a warning.
	urn := withSchema(mkChart(t, "root", "1.0.0", ""), `{"properties": {"p": {"$ref": "urn:example:port"}}}`)
	var w bytes.Buffer
	if err := ValidateAgainstSchemas(urn, y(t, "p: anything"), WithWarnings(&w)); err != nil {
		t.Error(err)
	}
	if !strings.Contains(w.String(), "urn:example:port") {
		t.Errorf("warnings %q", w.String())
	}
}

func TestValidateInvalidSchemas(t *testing.T) {
	for _, schema := range []string{
		`{"type": `,
		`{"type": "object"} trailing`,
		`{"type": 12}`,
		`{"properties": {"p": {"$ref": "#/nowhere"}}}`,
	} {
		root := withSchema(mkChart(t, "root", "1.0.0", ""), schema)
		sub := withSchema(mkChart(t, "sub", "1.0.0", ""), `{"properties": {"a": {"type": "string"}}}`)
		root.AddDependency(sub)
		err := ValidateAgainstSchemas(root, y(t, "sub: {a: 1}"))
		if !errors.Is(err, ErrInvalidSchema) || !strings.HasPrefix(err.Error(), "chart root: invalid values.schema.json") {
			t.Errorf("%s: got %v", schema, err)
		}
		// The subchart's violation is still reported alongside.
		var serr *SchemaError
		if !errors.As(err, &serr) || serr.Violations[0].Chart != "root/charts/sub" {
			t.Errorf("%s: subchart violation missing: %v", schema, err)
		}
	}
}

func TestValidateGroupedMessages(t *testing.T) {
	c := withSchema(mkChart(t, "root", "1.0.0", ""), `{"properties": {"p": {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^[0-9]+$"}]}}}`)
	err := ValidateAgainstSchemas(c, y(t, "p: abc"))
	want := "root:\n- at '/p': 'anyOf' failed\n  - at '/p': got string, want integer\n  - at '/p': 'abc' does not match pattern '^[0-9]+$'"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

// What Helm does end to end: the schema sees the coalesced values.
func TestValidateCoalesced(t *testing.T) {
	c := withSchema(mkChart(t, "root", "1.0.0", "replicaCount: 1\nname: x"), rootSchema)
	user, err := Options{StringValues: []string{"replicaCount=2"}}.Merge(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := Coalesce(c, user)
	if err != nil {
		t.Fatal(err)
	}
	err = ValidateAgainstSchemas(c, vals)
	if err == nil || err.Error() != "root:\n- at '/replicaCount': got string, want integer" {
		t.Errorf("got %v", err)
	}
}
