package render

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hoist-dev/hoist/pkg/chart"
)

func load(t *testing.T, files map[string]string) *chart.Chart {
	t.Helper()
	fsys := fstest.MapFS{"Chart.yaml": {Data: []byte("apiVersion: v2\nname: c\nversion: 1.0.0\n")}}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	c, err := chart.LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const replicasSchema = `{"type": "object", "properties": {"replicas": {"type": "integer", "minimum": 1}}}`

// Schema validation runs beside the render; its violation is what is reported, even
// when the render fails too, as when it ran first.
func TestSchemaViolationWinsOverRenderError(t *testing.T) {
	c := load(t, map[string]string{
		"values.yaml":        "replicas: 1\n",
		"values.schema.json": replicasSchema,
		"templates/a.yaml":   `{{ if lt (int .Values.replicas) 1 }}{{ fail "no replicas" }}{{ end }}kind: ConfigMap`,
	})
	_, err := Chart(context.Background(), c, Options{ReleaseName: "r", Namespace: "n", Values: map[string]any{"replicas": 0}})
	if err == nil || !strings.Contains(err.Error(), "values don't meet the specifications of the schema") || strings.Contains(err.Error(), "no replicas") {
		t.Fatalf("got %v, want the schema violation alone", err)
	}
	if _, err := Chart(context.Background(), c, Options{ReleaseName: "r", Namespace: "n", Values: map[string]any{"replicas": 2}}); err != nil {
		t.Fatalf("valid values: %v", err)
	}
}

// Templates that change .Values change the release's values, not what the schema
// sees (it checks the values as coalesced).
func TestTemplatesChangingValues(t *testing.T) {
	c := load(t, map[string]string{
		"values.yaml":        "replicas: 1\n",
		"values.schema.json": replicasSchema,
		"templates/a.yaml":   `{{ $_ := set .Values "replicas" "many" }}kind: ConfigMap`,
	})
	r, err := Chart(context.Background(), c, Options{ReleaseName: "r", Namespace: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Values["replicas"] != "many" {
		t.Errorf("values after the render: %v", r.Values)
	}
}

// A schema error and an incompatible kubeVersion: the schema's is reported, as before.
func TestSchemaViolationBeforeKubeVersion(t *testing.T) {
	c := load(t, map[string]string{
		"Chart.yaml":         "apiVersion: v2\nname: c\nversion: 1.0.0\nkubeVersion: '<1.20'\n",
		"values.schema.json": replicasSchema,
		"templates/a.yaml":   "kind: ConfigMap",
	})
	_, err := Chart(context.Background(), c, Options{ReleaseName: "r", Namespace: "n", Values: map[string]any{"replicas": "x"}})
	if err == nil || !strings.Contains(err.Error(), "schema") {
		t.Fatalf("got %v, want the schema violation", err)
	}
}
