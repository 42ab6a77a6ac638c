package charttest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// WriteFiles writes name->content under dir; names are slash-separated.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for n, c := range files {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Archive is a packaged minimal chart: Chart.yaml, a ConfigMap template and values.
func Archive(t testing.TB, name, version string) []byte {
	t.Helper()
	dir := t.TempDir()
	WriteFiles(t, dir, map[string]string{
		"Chart.yaml":        fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\n", name, version),
		"templates/cm.yaml": "kind: ConfigMap\n",
		"values.yaml":       "a: 1\n",
	})
	c, err := chart.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := chart.Write(&buf, c, chart.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Parent writes a chart "parent" 1.0.0 whose Chart.yaml lists dependencies (YAML list
// items), beside a local chart "sub" 0.1.0 it may depend on as file://../sub, and
// returns the parent's directory.
func Parent(t testing.TB, dependencies string) string {
	t.Helper()
	root := t.TempDir()
	WriteFiles(t, root, map[string]string{
		"sub/Chart.yaml":          "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
		"sub/templates/cm.yaml":   "kind: ConfigMap\n",
		"parent/Chart.yaml":       "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n" + dependencies,
		"parent/templates/x.yaml": "kind: Secret\n",
	})
	return filepath.Join(root, "parent")
}

// SubAndWeb are Parent's dependencies on sub (file://../sub) and on web ^1.0.0 from
// the chart repository https://charts.example.com/stable/, aliased frontend.
const SubAndWeb = `- name: sub
  version: "~0.1"
  repository: file://../sub
- name: web
  version: ^1.0.0
  repository: https://charts.example.com/stable/
  alias: frontend
`

// Vendored lists the names in the charts/ folder of the chart in dir.
func Vendored(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(dir, "charts"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}
