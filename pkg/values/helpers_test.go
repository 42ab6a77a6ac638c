package values

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/chart"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/<name>.golden (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// dump prints a value on one line with the Go type of every number, so that
// int64(1), float64(1) and "1" can be told apart.
func dump(v any) string {
	var b strings.Builder
	dumpTo(&b, v)
	return b.String()
}

func dumpTo(b *strings.Builder, v any) {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		fmt.Fprintf(b, "%q", t)
	case bool:
		fmt.Fprintf(b, "%v", t)
	case []any:
		b.WriteByte('[')
		for i, x := range t {
			if i > 0 {
				b.WriteString(", ")
			}
			dumpTo(b, x)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(b, "%q: ", k)
			dumpTo(b, t[k])
		}
		b.WriteByte('}')
	default:
		fmt.Fprintf(b, "%T(%v)", v, v)
	}
}

// y parses YAML test input (numbers become float64, as in values files).
func y(t *testing.T, s string) map[string]any {
	t.Helper()
	m, err := ReadValues([]byte(s))
	if err != nil {
		t.Fatalf("bad test YAML %q: %v", s, err)
	}
	return m
}

// assertValues compares values as YAML (which does not tell int64 from float64),
// printing both on a difference.
func assertValues(t *testing.T, got map[string]any, want string) {
	t.Helper()
	w, err := ReadValues([]byte(want))
	if err != nil {
		t.Fatalf("bad expected YAML: %v", err)
	}
	gy, _ := yaml.Marshal(got)
	wy, _ := yaml.Marshal(w)
	if string(gy) != string(wy) {
		t.Errorf("values differ\n--- got\n%s--- want\n%s", gy, wy)
	}
}

// mkChart builds an in-memory chart with YAML default values.
func mkChart(t *testing.T, name, version, vals string, deps ...*chart.Dependency) *chart.Chart {
	t.Helper()
	c := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: version},
		Values:   y(t, vals),
	}
	if deps != nil {
		c.Metadata.Dependencies = deps
	}
	return c
}

// names lists the chart tree as "root[a[x],b]".
func names(c *chart.Chart) string {
	var parts []string
	for _, d := range c.Dependencies() {
		parts = append(parts, names(d))
	}
	if len(parts) == 0 {
		return c.Name()
	}
	return c.Name() + "[" + strings.Join(parts, ",") + "]"
}

func deepEqual(a, b any) bool { return reflect.DeepEqual(a, b) }
