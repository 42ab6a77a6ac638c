package apply

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

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
		{"container added by another manager", func(_, l *unstructured.Unstructured) {
			spec := l.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
			spec["containers"] = append(spec["containers"].([]any), map[string]any{"name": "sidecar", "image": "s"})
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
		if got := provablyUnchanged(d, l, "hoist"); got != c.want {
			t.Errorf("%s: provablyUnchanged = %v, want %v", c.name, got, c.want)
		}
	}
	if provablyUnchanged(desired, nil, "hoist") {
		t.Error("an absent object is not unchanged")
	}
	if provablyUnchanged(desired, liveDeployment(t, desired, hoistFields), "someone-else") {
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
	set(`{"f:data":{},"f:metadata":{"f:finalizers":{".":{},"v:\"hoist.dev/x\"":{},"v:\"hoist.dev/y\"":{}}}}`)
	if !provablyUnchanged(desired, live, "hoist") {
		t.Error("set list: want unchanged")
	}
	set(`{"f:data":{},"f:metadata":{"f:finalizers":{".":{},"v:\"hoist.dev/x\"":{}}}}`)
	if provablyUnchanged(desired, live, "hoist") {
		t.Error("set list with an element hoist does not own: want changed")
	}
	set(`{"f:data":{},"f:metadata":{"f:finalizers":{"i:0":{},"i:1":{}}}}`)
	if !provablyUnchanged(desired, live, "hoist") {
		t.Error("index keys: want unchanged")
	}
	set(`{"f:data":{},"f:metadata":{"f:finalizers":{"i:0":{},"i:0x":{}}}}`)
	if provablyUnchanged(desired, live, "hoist") {
		t.Error("bad index key: want changed")
	}
	set(`not json`)
	if provablyUnchanged(desired, live, "hoist") {
		t.Error("unreadable field set: want changed")
	}
}
