package apply

import (
	"strings"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/openapi/openapitest"
)

// testSchemas are Kubernetes' own OpenAPI v3 schemas (core/v1, apps/v1, batch/v1…) as
// client-go embeds them for tests; shared, since each group-version parses in ~50 ms.
var testSchemas = sync.OnceValue(func() *Schemas { return NewSchemas(openapitest.NewEmbeddedFileClient()) })

const desiredDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ns
  labels: {a: b}
  annotations: {x: "z"}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: c
        image: nginx
        ports: [{containerPort: 80}]
        env: [{name: A, value: "1"}]
        args: [a, b]
        resources: {}
      tolerations: [{key: k, operator: Exists}]
`

// hoistFields is what the API server recorded for desiredDeployment (kube-apiserver
// 1.34, kubectl apply --server-side --field-manager hoist).
const hoistFields = `{"f:metadata":{"f:annotations":{"f:x":{}},"f:labels":{"f:a":{}}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:args":{},"f:env":{"k:{\"name\":\"A\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:name":{},"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}},"f:resources":{}}},"f:tolerations":{}}}}}`

// liveDeployment is desired as the server keeps it: defaults, status, other managers.
func liveDeployment(t *testing.T, desired *unstructured.Unstructured, fields string) *unstructured.Unstructured {
	t.Helper()
	live := desired.DeepCopy()
	live.SetResourceVersion("42")
	live.SetUID("u-1")
	live.SetGeneration(1)
	a := live.GetAnnotations()
	a["deployment.kubernetes.io/revision"] = "1"
	live.SetAnnotations(a)
	c := live.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	c["imagePullPolicy"] = "Always"
	c["terminationMessagePath"] = "/dev/termination-log"
	c["ports"].([]any)[0].(map[string]any)["protocol"] = "TCP"
	live.Object["spec"].(map[string]any)["strategy"] = map[string]any{"type": "RollingUpdate"}
	live.Object["status"] = map[string]any{"replicas": int64(1), "observedGeneration": int64(1)}
	live.SetManagedFields([]metav1.ManagedFieldsEntry{
		{Manager: "hoist", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "apps/v1", FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(fields)}},
		{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "apps/v1", Subresource: "status", FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:status":{"f:replicas":{}}}`)}},
	})
	return live
}

func TestProvablyUnchanged(t *testing.T) {
	desired := mustObj(t, desiredDeployment)
	// The server's field set is this library's serialisation, so unchangedWith may
	// compare it as text before decoding it.
	tvs, withSchema, err := typedObjects(testSchemas(), desired)
	if err != nil || !withSchema {
		t.Fatalf("no schema: %v", err)
	}
	set, _ := tvs[0].ToFieldSet()
	if js, _ := set.Difference(identityFields()).ToJSON(); string(js) != hoistFields {
		t.Errorf("field set as text\n%s\nthe server's\n%s", js, hoistFields)
	}
	for _, c := range []struct {
		name   string
		edit   func(d, l *unstructured.Unstructured)
		fields string
		want   bool
	}{
		{"same config", nil, hoistFields, true},
		{"value changed", func(d, _ *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(d.Object, int64(2), "spec", "replicas")
		}, hoistFields, false},
		{"field removed from the chart", func(d, _ *unstructured.Unstructured) {
			_ = unstructured.SetNestedStringMap(d.Object, map[string]string{}, "metadata", "annotations")
		}, hoistFields, false},
		{"field added to the chart, set live by another manager", func(d, l *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(d.Object, int64(5), "spec", "minReadySeconds")
			_ = unstructured.SetNestedField(l.Object, int64(5), "spec", "minReadySeconds")
		}, hoistFields, false},
		{"field taken by another manager, same value", nil,
			`{"f:metadata":{"f:annotations":{"f:x":{}},"f:labels":{"f:a":{}}},"f:spec":{"f:selector":{},"f:template":{}}}`, false},
		{"no hoist entry", func(_, l *unstructured.Unstructured) {
			l.SetManagedFields(l.GetManagedFields()[1:])
		}, hoistFields, false},
		{"other apiVersion", func(d, _ *unstructured.Unstructured) { d.SetAPIVersion("apps/v1beta2") }, hoistFields, false},
		{"null in the chart", func(d, l *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(d.Object, nil, "spec", "paused")
		}, hoistFields, false},
		// Server-side apply keeps the elements other managers own: the apply is a no-op.
		{"container added by another manager", func(_, l *unstructured.Unstructured) {
			spec := l.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
			spec["containers"] = append(spec["containers"].([]any), map[string]any{"name": "sidecar", "image": "s"})
		}, hoistFields, true},
		{"container added by the chart, live from another manager", func(d, l *unstructured.Unstructured) {
			for _, u := range []*unstructured.Unstructured{d, l} {
				spec := u.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
				spec["containers"] = append(spec["containers"].([]any), map[string]any{"name": "sidecar", "image": "s"})
			}
		}, hoistFields, false},
		{"normalised quantity", func(d, l *unstructured.Unstructured) {
			cd := d.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
			cl := l.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
			cd["resources"] = map[string]any{"limits": map[string]any{"cpu": "0.5"}}
			cl["resources"] = map[string]any{"limits": map[string]any{"cpu": "500m"}}
		}, hoistFields, false},
		{"being deleted", func(_, l *unstructured.Unstructured) {
			now := metav1.Now()
			l.SetDeletionTimestamp(&now)
		}, hoistFields, false},
		{"status in the chart", func(d, _ *unstructured.Unstructured) {
			d.Object["status"] = map[string]any{"replicas": int64(1)}
		}, hoistFields, false},
	} {
		d := desired.DeepCopy()
		l := liveDeployment(t, desired, c.fields)
		if c.edit != nil {
			c.edit(d, l)
		}
		if got := provablyUnchanged(d, l, "hoist", testSchemas()); got != c.want {
			t.Errorf("%s: provablyUnchanged = %v, want %v", c.name, got, c.want)
		}
	}
	if provablyUnchanged(desired, nil, "hoist", testSchemas()) {
		t.Error("an absent object is not unchanged")
	}
	if provablyUnchanged(desired, liveDeployment(t, desired, hoistFields), "someone-else", testSchemas()) {
		t.Error("another manager's entry proves nothing for hoist")
	}
}

func TestProvablyUnchangedLists(t *testing.T) {
	desired := mustObj(t, `
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  finalizers: [hoist.dev/x, hoist.dev/y]
data: {}
`)
	live := desired.DeepCopy()
	set := func(fields string) {
		live.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: "hoist", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "v1", FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(fields)}}})
	}
	set(`{"f:data":{},"f:metadata":{"f:finalizers":{"v:\"hoist.dev/x\"":{},"v:\"hoist.dev/y\"":{}}}}`)
	if !provablyUnchanged(desired, live, "hoist", testSchemas()) {
		t.Error("set list: want unchanged")
	}
	set(`{"f:data":{},"f:metadata":{"f:finalizers":{".":{},"v:\"hoist.dev/x\"":{}}}}`)
	if provablyUnchanged(desired, live, "hoist", testSchemas()) {
		t.Error("set list with an element hoist does not own: want changed")
	}
	set(`{"f:data":{},"f:metadata":{"f:finalizers":{"i:0":{},"i:1":{}}}}`)
	if provablyUnchanged(desired, live, "hoist", testSchemas()) {
		t.Error("index keys where the schema has a set: want changed")
	}
	set(`{"f:data":{},"f:metadata":{"f:finalizers":{"i:0":{},"i:0x":{}}}}`)
	if provablyUnchanged(desired, live, "hoist", testSchemas()) {
		t.Error("bad index key: want changed")
	}
	set(`not json`)
	if provablyUnchanged(desired, live, "hoist", testSchemas()) {
		t.Error("unreadable field set: want changed")
	}
}

func BenchmarkProvablyUnchanged(b *testing.B) {
	t := &testing.T{}
	desired := mustObj(t, desiredDeployment)
	live := liveDeployment(t, desired, hoistFields)
	b.ReportAllocs()
	for b.Loop() {
		if !provablyUnchanged(desired, live, "hoist", testSchemas()) {
			b.Fatal("want unchanged")
		}
	}
}

// keyedDeployment has lists keyed otherwise than by name: ports by containerPort and
// protocol (two ports share 53), volume mounts by mountPath (two mount one volume).
const keyedDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: dns, namespace: ns}
spec:
  selector: {matchLabels: {app: dns}}
  template:
    metadata: {labels: {app: dns}}
    spec:
      containers:
      - name: c
        image: dns
        ports:
        - {containerPort: 53, protocol: UDP, name: dns}
        - {containerPort: 53, name: dns-tcp}
        volumeMounts:
        - {name: data, mountPath: /a}
        - {name: data, mountPath: /b, readOnly: true}
`

// keyedLive is desired as the server keeps it after hoist applied it: protocols
// defaulted, hoist's field set as the server records it (the schema's, with defaulted
// key fields), edit applied to the live object afterwards.
func keyedLive(t *testing.T, applied *unstructured.Unstructured, edit func(c map[string]any)) *unstructured.Unstructured {
	t.Helper()
	tvs, withSchema, err := typedObjects(testSchemas(), applied)
	if err != nil || !withSchema {
		t.Fatalf("no schema for %s: %v", applied.GroupVersionKind(), err)
	}
	set, err := tvs[0].ToFieldSet()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := set.Difference(identityFields()).ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	live := applied.DeepCopy()
	c := containerOf(live)
	for _, p := range c["ports"].([]any) {
		if _, ok := p.(map[string]any)["protocol"]; !ok {
			p.(map[string]any)["protocol"] = "TCP"
		}
	}
	if edit != nil {
		edit(c)
	}
	live.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: "hoist", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "apps/v1", FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: raw}}})
	return live
}

func containerOf(u *unstructured.Unstructured) map[string]any {
	return u.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
}

func TestProvablyUnchangedKeyedLists(t *testing.T) {
	applied := mustObj(t, keyedDeployment)
	if set := string(keyedLive(t, applied, nil).GetManagedFields()[0].FieldsV1.Raw); !strings.Contains(set, `k:{\"containerPort\":53,\"protocol\":\"TCP\"}`) || !strings.Contains(set, `k:{\"mountPath\":\"/b\"}`) {
		t.Fatalf("field set not keyed by the schema: %s", set)
	}
	for _, c := range []struct {
		name    string
		desired func(c map[string]any)
		live    func(c map[string]any)
		want    bool
	}{
		{"same config", nil, nil, true},
		{"readOnly moves to the other mount of the volume", func(c map[string]any) {
			m := c["volumeMounts"].([]any)
			m[0].(map[string]any)["readOnly"] = true
			delete(m[1].(map[string]any), "readOnly")
		}, nil, false},
		{"the TCP port becomes UDP", func(c map[string]any) {
			c["ports"].([]any)[1].(map[string]any)["protocol"] = "UDP"
			c["ports"].([]any)[1].(map[string]any)["containerPort"] = int64(5353)
		}, nil, false},
		{"a mount added live by another manager", nil, func(c map[string]any) {
			c["volumeMounts"] = append(c["volumeMounts"].([]any), map[string]any{"name": "data", "mountPath": "/c"})
		}, true},
		{"a mount's path changed live", nil, func(c map[string]any) {
			c["volumeMounts"].([]any)[1].(map[string]any)["mountPath"] = "/c"
		}, false},
	} {
		d := applied.DeepCopy()
		if c.desired != nil {
			c.desired(containerOf(d))
		}
		live := keyedLive(t, applied, c.live)
		if got := provablyUnchanged(d, live, "hoist", testSchemas()); got != c.want {
			t.Errorf("%s: provablyUnchanged = %v, want %v", c.name, got, c.want)
		}
		// Without a schema every list is atomic: never unchanged, since hoist's field set
		// has list elements.
		if provablyUnchanged(d, live, "hoist", NewSchemas(nil)) {
			t.Errorf("%s: unchanged without a schema", c.name)
		}
	}
}

// Field sets without list elements are proven with the deduced schema, no schema read.
func TestProvablyUnchangedWithoutSchema(t *testing.T) {
	desired := mustObj(t, `
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: ns, annotations: {hoist.dev/release-name: app}}
data: {index: "1", other: "2"}
`)
	// As kube-apiserver 1.34 records it.
	const fields = `{"f:data":{"f:index":{},"f:other":{}},"f:metadata":{"f:annotations":{"f:hoist.dev/release-name":{}}}}`
	for _, c := range []struct {
		name string
		edit func(d, l *unstructured.Unstructured)
		want bool
	}{
		{"same config", nil, true},
		{"value changed", func(d, _ *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(d.Object, "2", "data", "index")
		}, false},
		{"key removed from the chart", func(d, _ *unstructured.Unstructured) {
			unstructured.RemoveNestedField(d.Object, "data", "other")
		}, false},
		{"key added live by another manager", func(_, l *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(l.Object, "x", "data", "theirs")
		}, true},
		{"key changed live", func(_, l *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(l.Object, "x", "data", "other")
		}, false},
	} {
		d, l := desired.DeepCopy(), desired.DeepCopy()
		l.SetResourceVersion("7")
		l.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: "hoist", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "v1", FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(fields)}}})
		if c.edit != nil {
			c.edit(d, l)
		}
		if got := provablyUnchanged(d, l, "hoist", NewSchemas(nil)); got != c.want {
			t.Errorf("%s: provablyUnchanged = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestScalarsDiffer(t *testing.T) {
	live := map[string]any{
		"metadata": map[string]any{"name": "a", "labels": map[string]any{"x": "1"}},
		"spec":     map[string]any{"replicas": int64(2), "ports": []any{map[string]any{"port": int64(80)}}},
	}
	for _, c := range []struct {
		name    string
		desired map[string]any
		want    bool
	}{
		{"same scalars", map[string]any{"metadata": map[string]any{"name": "a"}, "spec": map[string]any{"replicas": int64(2)}}, false},
		{"a changed scalar", map[string]any{"spec": map[string]any{"replicas": int64(3)}}, true},
		{"a new field", map[string]any{"spec": map[string]any{"paused": true}}, true},
		{"a map where live has a scalar", map[string]any{"spec": map[string]any{"replicas": map[string]any{}}}, true},
		{"lists are left to the proof", map[string]any{"spec": map[string]any{"ports": []any{map[string]any{"port": int64(81)}}}}, false},
		{"a list where live has none", map[string]any{"spec": map[string]any{"volumes": []any{}}}, true},
		// A false "changed" costs a dry run; a false "unchanged" would skip an apply.
		{"another number type", map[string]any{"spec": map[string]any{"replicas": float64(2)}}, true},
	} {
		if got := scalarsDiffer(c.desired, live); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
