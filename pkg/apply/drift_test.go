package apply

import (
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// obj decodes an object as the clients do (integers as int64), so the schema accepts it.
func obj(t *testing.T, s string) *unstructured.Unstructured {
	t.Helper()
	return mustObj(t, s)
}

const lastDeploy = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ns, labels: {app: web}}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: web
        image: web:1
        resources: {limits: {cpu: "0.5"}}
      - name: sidecar
        image: side:1
`

func TestDriftAndManagers(t *testing.T) {
	last := obj(t, lastDeploy)
	live := obj(t, `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ns
  labels: {app: web}
  resourceVersion: "7"
spec:
  replicas: 5
  template:
    spec:
      containers:
      - name: sidecar
        image: side:1
        imagePullPolicy: IfNotPresent
      - name: web
        image: web:2
        resources: {limits: {cpu: 500m}}
status: {replicas: 5}
`)
	now := metav1.Now()
	live.SetManagedFields([]metav1.ManagedFieldsEntry{
		{Manager: "hoist", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "apps/v1",
			FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"sidecar\"}":{".":{},"f:image":{},"f:name":{}}}}}}}`)}},
		{Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "apps/v1", Time: &now,
			FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{"f:image":{}}}}}}}`)}},
		{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "scale", APIVersion: "apps/v1",
			FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:replicas":{}}}`)}},
	})
	if got := paths(Drift(last, live, "hoist")); got != ".spec.replicas .spec.template.spec.containers" {
		t.Errorf("without a schema: drifted paths %s, want the containers as one field", got)
	}
	got := drift(last, live, "hoist", testSchemas())
	want := `.spec.replicas .spec.template.spec.containers[name="web"].image`
	if paths(got) != want {
		t.Fatalf("drifted paths %v, want %s (cpu 0.5 = 500m, reordered containers, extra and status fields are no drift)", paths(got), want)
	}
	if m := got[0].Managers; len(m) != 1 || !strings.HasPrefix(m[0], "kubectl (Update, scale") {
		t.Errorf("replicas managers %v", m)
	}
	if m := got[1].Managers; len(m) != 1 || !strings.HasPrefix(m[0], "kubectl-edit (Update, ") || got[1].Live != "web:2" || got[1].Applied != "web:1" {
		t.Errorf("image drift %+v", got[1])
	}

	// A deleted field has no manager.
	live2 := obj(t, strings.Replace(lastDeploy, "labels: {app: web}", "", 1))
	d := drift(last, live2, "hoist", testSchemas())
	if len(d) != 1 || d[0].Path != ".metadata.labels" || d[0].Live != nil || len(d[0].Managers) != 0 ||
		!reflect.DeepEqual(d[0].Applied, map[string]any{"app": "web"}) {
		t.Errorf("removed labels: %+v", d)
	}
}

func TestDiffSeparatesChartFromDrift(t *testing.T) {
	last := obj(t, lastDeploy)
	desired := obj(t, strings.Replace(lastDeploy, "replicas: 2", "replicas: 3", 1))
	live := obj(t, strings.Replace(lastDeploy, "image: web:1", "image: web:hacked", 1))
	result := obj(t, strings.Replace(lastDeploy, "replicas: 2", "replicas: 3", 1))
	for _, schemas := range []*Schemas{nil, testSchemas()} {
		d := Diff(RefOf(desired), ActionConfigured, last, desired, live, result, DiffOptions{Context: 1, LastName: "revision 1", DesiredName: "upgrade", Schemas: schemas})
		if !strings.Contains(d.Chart, "-  replicas: 2\n+  replicas: 3\n") || strings.Contains(d.Chart, "hacked") {
			t.Errorf("chart diff:\n%s", d.Chart)
		}
		if !strings.Contains(d.Drift, "-      - image: web:hacked\n+      - image: web:1\n") || strings.Contains(d.Drift, "replicas") {
			t.Errorf("drift diff:\n%s", d.Drift)
		}
		if d.Cluster != "" {
			t.Errorf("cluster diff shown although chart and drift tell it:\n%s", d.Cluster)
		}
		if len(d.DriftedFields) != 1 {
			t.Errorf("drifted fields %+v", d.DriftedFields)
		}
	}

	// Drift the operation does not overwrite is not in the drift diff.
	d := Diff(RefOf(desired), ActionConfigured, last, desired, live, live, DiffOptions{Schemas: testSchemas()})
	if d.Drift != "" {
		t.Errorf("drift left alone shown:\n%s", d.Drift)
	}
}

func paths(fields []FieldDrift) string {
	var out []string
	for _, f := range fields {
		out = append(out, f.Path)
	}
	return strings.Join(out, " ")
}

// Drift in lists keyed otherwise than by name: by name else by index (the old rule)
// misses the first and misplaces the second.
func TestDriftKeyedLists(t *testing.T) {
	applied := mustObj(t, keyedDeployment)
	for _, c := range []struct {
		name string
		edit func(c map[string]any)
		want string
	}{
		{"no drift: the server defaults protocols and another manager adds a mount", func(c map[string]any) {
			c["volumeMounts"] = append(c["volumeMounts"].([]any), map[string]any{"name": "data", "mountPath": "/c"})
		}, ""},
		{"the port named dns-tcp turned UDP: the TCP port is gone", func(c map[string]any) {
			c["ports"].([]any)[1].(map[string]any)["protocol"] = "UDP"
			c["ports"].([]any)[1].(map[string]any)["containerPort"] = int64(5353)
		}, `.spec.template.spec.containers[name="c"].ports[containerPort=53,protocol="TCP"]`},
		{"mounts reordered, and /b no longer read-only", func(c map[string]any) {
			m := c["volumeMounts"].([]any)
			delete(m[1].(map[string]any), "readOnly")
			m[0], m[1] = m[1], m[0]
		}, `.spec.template.spec.containers[name="c"].volumeMounts[mountPath="/b"].readOnly`},
	} {
		live := keyedLive(t, applied, c.edit)
		if got := paths(drift(applied, live, "hoist", testSchemas())); got != c.want {
			t.Errorf("%s: drifted %q, want %q", c.name, got, c.want)
		}
	}
}

// What the operation overwrites, for a map removed live and a field of a keyed element.
func TestOverwrittenDrift(t *testing.T) {
	last := obj(t, lastDeploy)
	live := obj(t, strings.Replace(lastDeploy, "labels: {app: web}", "", 1))
	for _, s := range []*Schemas{nil, testSchemas()} {
		d := Diff(RefOf(last), ActionConfigured, last, last, live, last, DiffOptions{Schemas: s, DesiredName: "upgrade"})
		if !strings.Contains(d.Drift, "@@ -3,0 +4,2 @@\n+  labels:\n+    app: web\n") {
			t.Errorf("schemas %v: labels removed live, restored:\n%s", s != nil, d.Drift)
		}
	}

	applied := mustObj(t, keyedDeployment)
	drifted := keyedLive(t, applied, func(c map[string]any) {
		m := c["volumeMounts"].([]any)
		delete(m[1].(map[string]any), "readOnly")
		m[0], m[1] = m[1], m[0]
	})
	d := Diff(RefOf(applied), ActionConfigured, applied, applied, drifted, applied, DiffOptions{Schemas: testSchemas(), DesiredName: "upgrade", Context: 2})
	if !strings.Contains(d.Drift, "- mountPath: /b\n           name: data\n+          readOnly: true\n") {
		t.Errorf("readOnly of /b restored:\n%s", d.Drift)
	}
}
