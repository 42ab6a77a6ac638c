package apply_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hoist-dev/hoist/pkg/apply"
)

const crdManifest = `---
# Source: widgets/templates/cr.yaml
apiVersion: %[1]s/v1
kind: Widget
metadata: {name: w1}
spec: {size: 3}
---
apiVersion: v1
kind: Namespace
metadata: {name: %[2]s}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: in-new-namespace, namespace: %[2]s}
data: {a: b}
---
# Source: widgets/crds/widget.yaml
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.%[1]s}
spec:
  group: %[1]s
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
`

// TestE2EApplyDefinitions applies a CRD and a custom resource of it, and a Namespace and
// an object in it, in one apply; then waits on the custom resource's Ready condition and
// uninstalls.
func TestE2EApplyDefinitions(t *testing.T) {
	e := newE2E(t)
	ns := e.namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	group := fmt.Sprintf("w%d.e2e.hoist.dev", time.Now().UnixNano())
	newNS := ns + "-extra"
	owner := apply.Owner{ReleaseName: "widgets", ReleaseNamespace: ns}
	crdGVR := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	widgetGVR := schema.GroupVersionResource{Group: group, Version: "v1", Resource: "widgets"}
	t.Cleanup(func() {
		bg := context.Background()
		_ = e.clients.Dynamic.Resource(crdGVR).Delete(bg, "widgets."+group, metav1.DeleteOptions{})
		_ = e.clients.Typed.CoreV1().Namespaces().Delete(bg, newNS, metav1.DeleteOptions{})
	})

	var objs []*unstructured.Unstructured
	t.Run("build accepts a kind its CRD defines in the same manifest", func(t *testing.T) {
		objs = e.build(t, fmt.Sprintf(crdManifest, group, newNS), ns)
		if got := objs[0].GetNamespace(); got != ns {
			t.Errorf("custom resource namespace %q, want the default %q (the CRD says Namespaced)", got, ns)
		}
		_, err := e.m.Build("---\n# Source: x/templates/bad.yaml\napiVersion: nope.hoist.dev/v1\nkind: Nothing\nmetadata: {name: x1}\n", ns)
		if !errors.Is(err, apply.ErrUnknownKind) || !strings.Contains(err.Error(), "document 1 (x/templates/bad.yaml)") {
			t.Errorf("want an unknown-kind error naming the document, got %v", err)
		}
	})

	t.Run("server dry run writes nothing", func(t *testing.T) {
		e.counter.reset()
		cs, err := e.m.Apply(ctx, objs, apply.ApplyOptions{Owner: owner, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		wantActions(t, cs, map[string]apply.Action{"CustomResourceDefinition/widgets." + group: apply.ActionCreated, "Widget/w1": apply.ActionCreated, "Namespace/" + newNS: apply.ActionCreated, "ConfigMap/in-new-namespace": apply.ActionCreated})
		if w := e.counter.writes.Load(); w != 0 {
			t.Errorf("dry run wrote %d times", w)
		}
		t.Logf("dry run:\n%s", cs)
	})

	t.Run("apply creates the definitions first, then the rest", func(t *testing.T) {
		cs, err := e.m.Apply(ctx, objs, apply.ApplyOptions{Owner: owner})
		if err != nil {
			t.Fatal(err)
		}
		if got := cs.Summary(); got != "4 created" {
			t.Errorf("Summary() = %q\n%s", got, cs)
		}
		var order []string
		for _, c := range cs.Changes {
			order = append(order, c.Object.Kind)
		}
		if got := strings.Join(order, ","); got != "Namespace,CustomResourceDefinition,ConfigMap,Widget" {
			t.Errorf("order %s", got)
		}
		e.get(t, widgetGVR, ns, "w1")
		e.get(t, cmGVR, newNS, "in-new-namespace")

		cs, err = e.m.Apply(ctx, objs, apply.ApplyOptions{Owner: owner})
		if err != nil || cs.Summary() != "4 unchanged" {
			t.Errorf("re-apply: %s, %v", cs.Summary(), err)
		}
	})

	t.Run("wait follows a custom resource's Ready condition", func(t *testing.T) {
		setReady := func(status string) {
			w := e.get(t, widgetGVR, ns, "w1")
			_ = unstructured.SetNestedSlice(w.Object, []any{map[string]any{"type": "Ready", "status": status, "reason": "Testing", "message": "ready is " + status}}, "status", "conditions")
			if _, err := e.clients.Dynamic.Resource(widgetGVR).Namespace(ns).UpdateStatus(ctx, w, metav1.UpdateOptions{}); err != nil {
				t.Error(err)
			}
		}
		setReady("False")
		// Ready turns True once the wait has reported it not ready: driven by the first
		// progress report, not by a sleep.
		var once sync.Once
		ready := make(chan struct{})
		var saw []apply.ObjectStatus
		err := e.m.Wait(ctx, apply.RefsOf(objs[:1]), apply.WaitOptions{Timeout: 30 * time.Second, Progress: func(p apply.Progress) {
			saw = append(saw, p.Changed...)
			once.Do(func() {
				go func() { // not from the callback: the wait delivers the update's event
					defer close(ready)
					setReady("True")
				}()
			})
		}})
		if err != nil {
			t.Fatal(err)
		}
		<-ready
		if len(saw) < 2 || saw[0].Status != apply.StatusInProgress || saw[0].Message != "ready is False" || saw[len(saw)-1].Status != apply.StatusCurrent {
			t.Errorf("statuses seen: %v", saw)
		}
	})

	t.Run("uninstall deletes custom resources first and keeps the CRD", func(t *testing.T) {
		cs, err := e.m.Delete(ctx, apply.RefsOf(objs), apply.DeleteOptions{Owner: owner, Wait: true, Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("delete:\n%s", cs)
		wantActions(t, cs, map[string]apply.Action{"Widget/w1": apply.ActionDeleted, "CustomResourceDefinition/widgets." + group: apply.ActionKept, "ConfigMap/in-new-namespace": apply.ActionDeleted, "Namespace/" + newNS: apply.ActionDeleted})
		if cs.Changes[0].Object.Kind != "Widget" {
			t.Errorf("custom resources are not deleted first: %s", cs)
		}
		if _, err := e.clients.Dynamic.Resource(widgetGVR).Namespace(ns).Get(ctx, "w1", metav1.GetOptions{}); err == nil {
			t.Error("the Widget still exists after a delete that waited")
		}
		cs, err = e.m.Delete(ctx, apply.RefsOf(objs), apply.DeleteOptions{Owner: owner, DeleteCRDs: true, Wait: true, Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		wantActions(t, cs, map[string]apply.Action{"CustomResourceDefinition/widgets." + group: apply.ActionDeleted, "Widget/w1": apply.ActionSkipped})
	})
}

// TestE2EWaitJobs waits for Jobs: complete with WaitForJobs, failed fails the wait at
// once, and without WaitForJobs Jobs are not waited for.
func TestE2EWaitJobs(t *testing.T) {
	e := newE2E(t)
	ns := e.namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	owner := apply.Owner{ReleaseName: "jobs", ReleaseNamespace: ns}
	job := func(name, annotations, extra string) string {
		return fmt.Sprintf(`---
apiVersion: batch/v1
kind: Job
metadata: {name: %s}
spec:
  backoffLimit: 0
%s
  template:
    metadata: {annotations: {%s}}
    spec:
      restartPolicy: Never
      containers: [{name: job, image: registry.invalid/job:1}]
`, name, extra, annotations)
	}
	objs := e.build(t, job("ok", "", "")+job("doomed", "kwok.x-k8s.io/status: custom", "  activeDeadlineSeconds: 2"), ns)
	if _, err := e.m.Apply(ctx, objs, apply.ApplyOptions{Owner: owner}); err != nil {
		t.Fatal(err)
	}
	t.Run("without WaitForJobs they are ready at once", func(t *testing.T) {
		if err := e.m.Wait(ctx, apply.RefsOf(objs), apply.WaitOptions{Timeout: 10 * time.Second}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a completed Job is ready", func(t *testing.T) {
		if err := e.m.Wait(ctx, apply.RefsOf(objs[:1]), apply.WaitOptions{Timeout: time.Minute, WaitForJobs: true}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a failed Job fails the wait before the timeout", func(t *testing.T) {
		start := time.Now()
		err := e.m.Wait(ctx, apply.RefsOf(objs), apply.WaitOptions{Timeout: 2 * time.Minute, WaitForJobs: true})
		if !errors.Is(err, apply.ErrWaitFailed) || !strings.Contains(err.Error(), "Job/"+ns+"/doomed") {
			t.Fatalf("want the doomed Job to fail the wait, got %v", err)
		}
		if time.Since(start) > time.Minute {
			t.Errorf("took %s", time.Since(start))
		}
		t.Logf("error: %v", err)
	})
}

// TestE2EApplyUnchangedNoWrites applies 500 ConfigMaps twice: the second apply makes
// no write at all.
func TestE2EApplyUnchangedNoWrites(t *testing.T) {
	e := newE2E(t)
	ns := e.namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var b strings.Builder
	for i := range 500 {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%d}\ndata: {index: \"%d\"}\n", i, i)
	}
	objs := e.build(t, b.String(), ns)
	opts := apply.ApplyOptions{Owner: apply.Owner{ReleaseName: "many", ReleaseNamespace: ns}}

	e.counter.reset()
	start := time.Now()
	cs, err := e.m.Apply(ctx, objs, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first apply: %s in %s, %d requests, %d writes", cs.Summary(), time.Since(start).Round(time.Millisecond), e.counter.all.Load(), e.counter.writes.Load())
	if cs.Count(apply.ActionCreated) != 500 {
		t.Fatalf("first apply: %s", cs.Summary())
	}

	for _, always := range []bool{false, true} {
		e.counter.reset()
		start = time.Now()
		o := opts
		o.AlwaysDryRun = always
		cs, err = e.m.Apply(ctx, objs, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("unchanged apply (AlwaysDryRun=%v): %s in %s, %d requests (%d dry runs), %d writes", always, cs.Summary(), time.Since(start).Round(time.Millisecond), e.counter.all.Load(), e.counter.dryRuns.Load(), e.counter.writes.Load())
		if cs.Summary() != "500 unchanged" {
			t.Errorf("unchanged apply (AlwaysDryRun=%v): %s", always, cs.Summary())
		}
		if w := e.counter.writes.Load(); w != 0 {
			t.Errorf("unchanged apply (AlwaysDryRun=%v) wrote %d times, want 0", always, w)
		}
	}
}
