package apply

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestUnifiedDiff(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
	b := "a\nb\nc\nD\ne\nf\ng\nh\ni\nj\nk\n"
	want := `--- old
+++ new
@@ -2,5 +2,5 @@
 b
 c
-d
+D
 e
 f
@@ -9,2 +9,3 @@
 i
 j
+k
`
	if got := UnifiedDiff("old", "new", a, b, 2); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := UnifiedDiff("old", "new", a, a, 3); got != "" {
		t.Errorf("equal texts: %q", got)
	}
	// One hunk when the changes are close.
	if got := UnifiedDiff("old", "new", a, b, 3); strings.Count(got, "@@ -") != 1 {
		t.Errorf("want one hunk:\n%s", got)
	}
	if got := UnifiedDiff("old", "new", "", "x\n", 3); got != "--- old\n+++ new\n@@ -0,0 +1 @@\n+x\n" {
		t.Errorf("from empty: %q", got)
	}
	if got := UnifiedDiff("old", "new", "x\ny", "x\n", 3); !strings.Contains(got, "-y\n\\ No newline at end of file\n") {
		t.Errorf("missing newline marker: %q", got)
	}
}

// The edit script is a valid one: its '-' and ' ' lines give a, its '+' and ' ' lines b,
// and no longer than the trivial one.
func TestDiffLinesProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	gen := func() []string {
		n := rng.Intn(30)
		out := make([]string, n)
		for i := range out {
			out[i] = string(rune('a'+rng.Intn(4))) + "\n"
		}
		return out
	}
	for round := 0; round < 2000; round++ {
		a, b := gen(), gen()
		ops := diffLines(a, b)
		var ga, gb []string
		edits := 0
		for _, o := range ops {
			if o.kind != '+' {
				ga = append(ga, o.text)
			}
			if o.kind != '-' {
				gb = append(gb, o.text)
			}
			if o.kind != ' ' {
				edits++
			}
		}
		if strings.Join(ga, "") != strings.Join(a, "") || strings.Join(gb, "") != strings.Join(b, "") {
			t.Fatalf("round %d: script does not reproduce the inputs\na=%q\nb=%q", round, a, b)
		}
		if edits > len(a)+len(b) {
			t.Fatalf("round %d: %d edits", round, edits)
		}
		if lcs := lcsLen(a, b); edits != len(a)+len(b)-2*lcs {
			t.Fatalf("round %d: %d edits, the shortest has %d", round, edits, len(a)+len(b)-2*lcs)
		}
	}
}

func lcsLen(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

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

func TestMaskSecrets(t *testing.T) {
	a := Normalize(obj(t, `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {kubectl.kubernetes.io/last-applied-configuration: "{\"data\":{\"a\":\"c2VjcmV0\"}}"}}, data: {a: c2VjcmV0, b: b2xk, gone: eA==}}`))
	b := Normalize(obj(t, `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: c2VjcmV0, b: bmV3, new: eQ==}}`))
	ma, mb := MaskSecrets(a, b)
	text := UnifiedDiff("a", "b", toYAML(ma), toYAML(mb), 5)
	for _, secret := range []string{"c2VjcmV0", "b2xk", "bmV3", "eA==", "eQ=="} {
		if strings.Contains(text, secret) {
			t.Errorf("secret value %s shown:\n%s", secret, text)
		}
	}
	for _, want := range []string{"   a: (hidden)\n", "-  b: (hidden, before)\n", "+  b: (hidden, changed)\n", "-  gone: (hidden)\n", "+  new: (hidden)\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("want %q in\n%s", want, text)
		}
	}
	cm := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"a": "x"}}
	if x, _ := MaskSecrets(cm, nil); x["data"].(map[string]any)["a"] != "x" {
		t.Error("ConfigMap masked")
	}
}

func TestTakeOverEntries(t *testing.T) {
	t0, t1 := metav1.Unix(100, 0), metav1.Unix(200, 0)
	entries := []metav1.ManagedFieldsEntry{
		{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", APIVersion: "apps/v1",
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:status":{"f:replicas":{}}}`)}},
		{Manager: "helm", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "apps/v1", Time: &t0,
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:replicas":{}}}`)}},
		{Manager: "helm", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "apps/v1", Time: &t1,
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:labels":{"f:a":{}}}}`)}},
		{Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "apps/v1",
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:paused":{}}}`)}},
	}
	out, taken, err := takeOverEntries(entries, map[string]bool{"helm": true}, "hoist", "apps/v1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(taken, ",") != "helm (Apply),helm (Update)" {
		t.Errorf("taken %v", taken)
	}
	var managers []string
	for _, e := range out {
		managers = append(managers, e.Manager+"/"+string(e.Operation))
		if e.Manager == "hoist" {
			if string(e.FieldsV1.Raw) != `{"f:metadata":{"f:labels":{"f:a":{}}},"f:spec":{"f:replicas":{}}}` || e.Time == nil || !e.Time.Equal(&t1) || e.APIVersion != "apps/v1" {
				t.Errorf("merged entry %s %v %s", e.FieldsV1.Raw, e.Time, e.APIVersion)
			}
		}
	}
	if strings.Join(managers, " ") != "hoist/Apply kube-controller-manager/Update kubectl-edit/Update" {
		t.Errorf("entries %v", managers)
	}
	if _, taken, _ := takeOverEntries(out, map[string]bool{"helm": true}, "hoist", "apps/v1"); len(taken) != 0 {
		t.Errorf("second take-over took %v", taken)
	}
	bad := []metav1.ManagedFieldsEntry{{Manager: "helm", Operation: metav1.ManagedFieldsOperationUpdate, FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"x`)}}}
	if _, _, err := takeOverEntries(bad, map[string]bool{"helm": true}, "hoist", "v1"); err == nil || !strings.Contains(err.Error(), "helm") {
		t.Errorf("corrupt entry: %v", err)
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
