package cli

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const crdChart = "testdata/charts/crdchart"

func TestTemplate(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"template-default", []string{"template", "rel", crdChart, "-n", "prod"}},
		{"template-include-crds", []string{"template", "rel", crdChart, "--include-crds"}},
		{"template-set-and-skip-tests", []string{"template", "rel", crdChart, "--set", "greeting=hello", "--set", "sub.port=9000", "--skip-tests"}},
		{"template-no-hooks", []string{"template", "rel", crdChart, "--no-hooks"}},
		{"template-show-only", []string{"template", "rel", crdChart, "-s", "charts/sub/templates/svc.yaml", "-s", "templates/cm.yaml"}},
		{"template-example-hello", []string{"template", "web", "../../charts/examples/hello", "--set", "message=hey"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden(t, tc.name, out)
		})
	}
}

func TestTemplateOutputDir(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := run(t, "template", "rel", crdChart, "--output-dir", dir, "--release-name")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var files []string
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return nil
	})
	sort.Strings(files)
	want := "rel/crdchart/charts/sub/templates/svc.yaml rel/crdchart/templates/cm.yaml rel/crdchart/templates/hooks.yaml rel/crdchart/templates/widget.yaml"
	if got := strings.Join(files, " "); got != want {
		t.Fatalf("files written: %s\nwant %s", got, want)
	}
	hooks, _ := os.ReadFile(filepath.Join(dir, "rel/crdchart/templates/hooks.yaml"))
	if strings.Count(string(hooks), "# Source: crdchart/templates/hooks.yaml") != 2 {
		t.Fatalf("both hooks should be appended to hooks.yaml:\n%s", hooks)
	}
	if !strings.Contains(out, "wrote "+filepath.Join(dir, "rel/crdchart/templates/cm.yaml")) {
		t.Fatalf("output should list written files:\n%s", out)
	}
}

// Bad input fails with a message naming the file (and line), and prints nothing on stdout.
func TestTemplateErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("bad/Chart.yaml", "apiVersion: v2\nname: bad\nversion: 1.0.0\n")
	write("bad/templates/ok.yaml", "kind: ConfigMap\napiVersion: v1\nmetadata: {name: ok}\n")
	write("bad/templates/req.yaml", "{{ if .Values.needX }}{{ required \"x is required\" .Values.x }}{{ end }}\n")
	write("bad/templates/yaml.yaml", "{{ if .Values.badYAML }}a: [\n{{ end }}")
	write("bad/templates/loop.yaml", "{{ define \"l\" }}{{ include \"l\" . }}{{ end }}{{ if .Values.loop }}{{ include \"l\" . }}{{ end }}")
	write("bad/values.schema.json", `{"type":"object","properties":{"replicas":{"type":"integer"}}}`)
	write("baddeps/Chart.yaml", "apiVersion: v2\nname: baddeps\nversion: 1.0.0\ndependencies:\n- name: missing\n  version: 1.0.0\n  repository: https://example.test\n")
	write("badchartyaml/Chart.yaml", "apiVersion: v2\nname: [unclosed\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"required", []string{"--set", "needX=true"}, "bad/templates/req.yaml:1"},
		{"invalid yaml", []string{"--set", "badYAML=true"}, "bad/templates/yaml.yaml"},
		{"cyclic include", []string{"--set", "loop=true"}, "nested reference name: l"},
		{"schema violation", []string{"--set-string", "replicas=two"}, "replicas"},
		{"bad --set", []string{"--set", "a[99999999]=1"}, "a"},
		{"missing values file", []string{"-f", filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, append([]string{"template", "r", filepath.Join(dir, "bad")}, tc.args...)...)
			if code == 0 || out != "" || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want a failure naming %q and no output", code, out, errOut, tc.want)
			}
		})
	}
	for name, want := range map[string]string{"baddeps": "missing", "badchartyaml": "Chart.yaml"} {
		out, errOut, code := run(t, "template", "r", filepath.Join(dir, name))
		if code == 0 || out != "" || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want a failure naming %q", name, code, out, errOut, want)
		}
	}
	if _, errOut, code := run(t, "template", "Bad_Name", crdChart); code == 0 || !strings.Contains(errOut, "invalid release name") {
		t.Errorf("bad release name: exit %d, %s", code, errOut)
	}
	if _, errOut, code := run(t, "template", "r", crdChart, "--kube-version", "x.y"); code == 0 || !strings.Contains(errOut, "invalid kube version") {
		t.Errorf("bad kube version: exit %d, %s", code, errOut)
	}
}

func TestCreateLintsCleanAndRenders(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "web")
	if out, errOut, code := run(t, "create", dir); code != 0 || !strings.Contains(out, "Created chart web") {
		t.Fatalf("create: exit %d %s %s", code, out, errOut)
	}
	out, errOut, code := run(t, "lint", dir, "--strict")
	if code != 0 || !strings.Contains(out, "1 chart(s) linted, 0 chart(s) failed") {
		t.Fatalf("lint --strict of a new chart: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := run(t, "template", "web", dir, "--set", "ingress.enabled=true,autoscaling.enabled=true"); code != 0 {
		t.Fatalf("template: %s", errOut)
	}
	if _, errOut, code := run(t, "create", dir); code == 0 || !strings.Contains(errOut, "not empty") {
		t.Fatalf("create over an existing chart: exit %d %s", code, errOut)
	}
}

func TestLintFindings(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c")
	_ = os.MkdirAll(filepath.Join(p, "templates"), 0o755)
	_ = os.WriteFile(filepath.Join(p, "Chart.yaml"), []byte("apiVersion: v2\nname: c\nversion: 1.0.0\n"), 0o644)
	_ = os.WriteFile(filepath.Join(p, "templates", "d.yaml"), []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: Bad_Name\nspec: {}\n"), 0o644)
	out, _, code := run(t, "lint", p)
	if code == 0 {
		t.Fatal("lint passed a chart with errors")
	}
	for _, want := range []string{
		`[WARNING] templates/d.yaml: object name does not conform to Kubernetes naming requirements: "Bad_Name"`,
		`[ERROR] templates/d.yaml: a Deployment must contain matchLabels or matchExpressions`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lint output lacks %q:\n%s", want, out)
		}
	}
	_ = os.WriteFile(filepath.Join(p, "Chart.yaml"), []byte("apiVersion: v2\nname: c\nversion: one\n"), 0o644)
	if out, _, code := run(t, "lint", p); code == 0 || !strings.Contains(out, `[ERROR] Chart.yaml:`) || !strings.Contains(out, `"one"`) {
		t.Errorf("lint of a bad version: exit %d\n%s", code, out)
	}
	jsonOut, _, _ := run(t, "lint", p, "-o", "json")
	if !strings.Contains(jsonOut, `"severity": 2`) {
		t.Errorf("lint -o json:\n%s", jsonOut)
	}
}

func TestShow(t *testing.T) {
	for _, what := range []string{"chart", "values", "crds", "all"} {
		out, errOut, code := run(t, "show", what, crdChart)
		if code != 0 {
			t.Fatalf("show %s: %s", what, errOut)
		}
		golden(t, "show-"+what, out)
	}
}
