package action_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/action/actiontest"
	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/source"
)

const ns = "apps"

// appTemplates are a small chart's templates: a ConfigMap showing the values the
// templates saw, an optional extra ConfigMap (for pruning), and two hooks.
var appTemplates = map[string]string{
	"templates/config.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  values: {{ toJson .Values | quote }}
  revision: {{ .Release.Revision | quote }}
`,
	"templates/extra.yaml": `{{- if .Values.extra }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-extra
data: {a: b}
{{- end }}
`,
	"templates/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-app
spec:
  replicas: 1
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec: {containers: [{name: app, image: "app:{{ .Chart.Version }}"}]}
`,
	"templates/hooks.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-pre
  annotations: {helm.sh/hook: "pre-install,pre-upgrade,pre-rollback"}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-post
  annotations: {helm.sh/hook: "post-install,post-upgrade,post-rollback"}
`,
}

// testChart builds the chart "app" of that version with values.yaml in memory.
func testChart(t *testing.T, version, valuesYAML string) *source.Fetched {
	t.Helper()
	return chartWith(t, version, valuesYAML, appTemplates)
}

// chartWith builds the chart "app" with these templates in memory.
func chartWith(t *testing.T, version, valuesYAML string, templates map[string]string) *source.Fetched {
	t.Helper()
	files := []*chart.File{
		{Name: "Chart.yaml", Data: fmt.Appendf(nil, "apiVersion: v2\nname: app\nversion: %s\n", version)},
		{Name: "values.yaml", Data: []byte(valuesYAML)},
	}
	for name, text := range templates {
		files = append(files, &chart.File{Name: name, Data: []byte(text)})
	}
	c, err := chart.LoadFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	return &source.Fetched{Chart: c, Version: version, Digest: "sha256:app-" + version, Source: "test/app:" + version}
}

// defaultChart is testChart 1.0.0 with no defaults that matter.
func defaultChart(t *testing.T) *source.Fetched { return testChart(t, "1.0.0", "extra: false\n") }

// installedWeb is a fake environment in which the release "web" is installed from
// defaultChart with vals, and that chart.
func installedWeb(t *testing.T, vals map[string]any) (*actiontest.Env, *source.Fetched) {
	t.Helper()
	e := actiontest.NewEnv()
	f := defaultChart(t)
	install(t, e, "web", f, vals, action.DeployOptions{})
	return e, f
}

func install(t *testing.T, e *actiontest.Env, name string, f *source.Fetched, vals map[string]any, dep action.DeployOptions) *action.Result {
	t.Helper()
	res, err := action.Install{Config: e.Config}.Run(context.Background(), action.InstallOptions{
		Name: name, Namespace: ns, Chart: f, Values: vals, DeployOptions: dep,
	})
	if err != nil {
		t.Fatalf("install %s: %v", name, err)
	}
	return res
}

func upgrade(t *testing.T, e *actiontest.Env, opts action.UpgradeOptions) *action.Result {
	t.Helper()
	opts.Namespace = ns
	res, err := action.Upgrade{Config: e.Config}.Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("upgrade %s: %v", opts.Name, err)
	}
	return res
}

// statuses is a release's history as "1:superseded 2:deployed".
func statuses(t *testing.T, e *actiontest.Env, name string) string {
	t.Helper()
	h, err := e.Storage.History(context.Background(), ns, name)
	if err != nil {
		t.Fatal(err)
	}
	s := ""
	for _, r := range h {
		if s != "" {
			s += " "
		}
		s += fmt.Sprintf("%d:%s", r.Revision, r.Status)
	}
	return s
}

func revision(t *testing.T, e *actiontest.Env, name string, rev int) *release.Release {
	t.Helper()
	r, err := e.Storage.Get(context.Background(), ns, name, rev)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// seenValues are the values the templates saw, as the applied ConfigMap shows them.
func seenValues(t *testing.T, e *actiontest.Env, name string) map[string]any {
	t.Helper()
	cm := e.Apply.Get("ConfigMap", ns, name+"-config")
	if cm == nil {
		t.Fatalf("ConfigMap %s-config was not applied", name)
	}
	s, _, _ := unstructured.NestedString(cm.Object, "data", "values")
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("values in the ConfigMap: %v", err)
	}
	return v
}

// snapshot is every stored record of a release, encoded, by revision: what a test
// compares to prove nothing was written.
func snapshot(t *testing.T, e *actiontest.Env, name string) map[int]string {
	t.Helper()
	h, err := e.Storage.History(context.Background(), ns, name)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for _, r := range h {
		b, err := release.Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		out[r.Revision] = string(b) + "@" + r.StoredVersion
	}
	return out
}

// jsonRoundTrip makes numbers float64, as values read back from JSON are.
func jsonRoundTrip(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
