package apply_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/release"
)

const appManifest = `---
# Source: app/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  key: %[1]s
%[2]s
---
# Source: app/templates/deploy.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: %[3]s}
  template:
    metadata:
      labels: {app: %[3]s}
    spec:
      containers:
      - name: app
        image: registry.invalid/web:1
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
`

// manifest renders appManifest: the ConfigMap's key, extra data lines, the selector label.
func manifest(key, extra, selector string) string {
	return fmt.Sprintf(appManifest, key, extra, selector)
}

// TestE2EApply runs the apply engine through a release's life in one namespace.
func TestE2EApply(t *testing.T) {
	e := newE2E(t)
	ns := e.namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	owner := apply.Owner{ReleaseName: "app", ReleaseNamespace: ns}
	opts := apply.ApplyOptions{Owner: owner}
	current := e.build(t, manifest("one", "  extra: here", "web"), ns)

	t.Run("create", func(t *testing.T) {
		cs, err := e.m.Apply(ctx, current, opts)
		if err != nil {
			t.Fatal(err)
		}
		wantActions(t, cs, map[string]apply.Action{"ConfigMap/settings": apply.ActionCreated, "Deployment/web": apply.ActionCreated, "Service/web": apply.ActionCreated})
		if got := cs.Summary(); got != "3 created" {
			t.Errorf("Summary() = %q", got)
		}
		// Install order: ConfigMap, Service, Deployment.
		var kinds []string
		for _, c := range cs.Changes {
			kinds = append(kinds, c.Object.Kind)
		}
		if strings.Join(kinds, ",") != "ConfigMap,Service,Deployment" {
			t.Errorf("order %v", kinds)
		}
		cm := e.get(t, cmGVR, ns, "settings")
		a := cm.GetAnnotations()
		if a[apply.AnnotationReleaseName] != "app" || a[apply.AnnotationReleaseNamespace] != ns {
			t.Errorf("ownership annotations %v", a)
		}
	})

	t.Run("re-apply unchanged makes no write", func(t *testing.T) {
		for _, always := range []bool{false, true} {
			e.counter.reset()
			o := opts
			o.AlwaysDryRun = always
			cs, err := e.m.Apply(ctx, current, o)
			if err != nil {
				t.Fatal(err)
			}
			if got := cs.Summary(); got != "3 unchanged" {
				t.Errorf("AlwaysDryRun=%v: Summary() = %q", always, got)
			}
			if w := e.counter.writes.Load(); w != 0 {
				t.Errorf("AlwaysDryRun=%v: %d writes, want none", always, w)
			}
			if d := e.counter.dryRuns.Load(); (d == 0) == always {
				t.Errorf("AlwaysDryRun=%v: %d dry runs", always, d)
			}
			t.Logf("AlwaysDryRun=%v: %d requests (%d dry runs)", always, e.counter.all.Load(), e.counter.dryRuns.Load())
		}
	})

	t.Run("change is configured", func(t *testing.T) {
		current = e.build(t, manifest("two", "  extra: here", "web"), ns)
		e.counter.reset()
		cs, err := e.m.Apply(ctx, current, opts)
		if err != nil {
			t.Fatal(err)
		}
		wantActions(t, cs, map[string]apply.Action{"ConfigMap/settings": apply.ActionConfigured, "Deployment/web": apply.ActionUnchanged, "Service/web": apply.ActionUnchanged})
		if w := e.counter.writes.Load(); w != 1 {
			t.Errorf("%d writes, want 1", w)
		}
		if v, _, _ := unstructured.NestedString(e.get(t, cmGVR, ns, "settings").Object, "data", "key"); v != "two" {
			t.Errorf("data.key = %q", v)
		}
	})

	t.Run("field set by another manager is taken over and reported", func(t *testing.T) {
		// kubectl apply --server-side --field-manager other --force-conflicts
		theirs := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "settings", "namespace": ns},
			"data":     map[string]any{"key": "theirs", "own": "theirs"},
		}}
		if _, err := e.clients.Dynamic.Resource(cmGVR).Namespace(ns).Apply(ctx, "settings", theirs,
			metav1.ApplyOptions{FieldManager: "other", Force: true}); err != nil {
			t.Fatal(err)
		}
		cs, err := e.m.Apply(ctx, current, opts)
		if err != nil {
			t.Fatal(err)
		}
		wantActions(t, cs, map[string]apply.Action{"ConfigMap/settings": apply.ActionConfigured})
		c := cs.ByAction()[apply.ActionConfigured][0]
		if len(c.Conflicts) != 1 || c.Conflicts[0] != (apply.Conflict{Manager: "other", Field: ".data.key"}) {
			t.Errorf("conflicts %v, want .data.key from other", c.Conflicts)
		}
		data, _, _ := unstructured.NestedStringMap(e.get(t, cmGVR, ns, "settings").Object, "data")
		if data["key"] != "two" || data["own"] != "theirs" {
			t.Errorf("data %v: want key=two (ours) and own=theirs (left alone)", data)
		}
	})

	t.Run("field removed from the chart is removed live", func(t *testing.T) {
		current = e.build(t, manifest("two", "", "web"), ns)
		cs, err := e.m.Apply(ctx, current, opts)
		if err != nil {
			t.Fatal(err)
		}
		wantActions(t, cs, map[string]apply.Action{"ConfigMap/settings": apply.ActionConfigured})
		data, _, _ := unstructured.NestedStringMap(e.get(t, cmGVR, ns, "settings").Object, "data")
		if _, ok := data["extra"]; ok {
			t.Errorf("data.extra still there: %v", data)
		}
	})

	t.Run("drift in the cluster is reverted", func(t *testing.T) {
		cs, err := e.env.Clientset()
		if err != nil {
			t.Fatal(err)
		}
		// kubectl edit: an Update by another manager changes a field hoist owns.
		cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cm.Data["key"] = "edited"
		if _, err := cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
			t.Fatal(err)
		}
		changes, err := e.m.Apply(ctx, current, opts)
		if err != nil {
			t.Fatal(err)
		}
		wantActions(t, changes, map[string]apply.Action{"ConfigMap/settings": apply.ActionConfigured, "Deployment/web": apply.ActionUnchanged})
		if v, _, _ := unstructured.NestedString(e.get(t, cmGVR, ns, "settings").Object, "data", "key"); v != "two" {
			t.Errorf("data.key = %q, want the chart's value back", v)
		}

		// The value set back to the chart's by the other manager: equal values, but hoist
		// lost the field; the apply takes it back (a write), so that a later removal from
		// the chart removes it.
		for _, v := range []string{"edited", "two"} {
			cm, err = cs.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			cm.Data["key"] = v
			if _, err := cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
				t.Fatal(err)
			}
		}
		changes, err = e.m.Apply(ctx, current, opts)
		if err != nil {
			t.Fatal(err)
		}
		wantActions(t, changes, map[string]apply.Action{"ConfigMap/settings": apply.ActionConfigured})
		e.counter.reset()
		changes, err = e.m.Apply(ctx, current, opts)
		if err != nil || changes.Summary() != "3 unchanged" || e.counter.writes.Load() != 0 {
			t.Errorf("after taking it back: %s, %d writes, %v", changes.Summary(), e.counter.writes.Load(), err)
		}
	})

	t.Run("ownership refused, then taken", func(t *testing.T) {
		cs, err := e.env.Clientset()
		if err != nil {
			t.Fatal(err)
		}
		for name, ann := range map[string]map[string]string{
			"unowned":   nil,
			"other-rel": {apply.AnnotationReleaseName: "other", apply.AnnotationReleaseNamespace: ns},
			"from-helm": {apply.HelmAnnotationReleaseName: "app", apply.HelmAnnotationReleaseNamespace: ns},
		} {
			if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: ann}, Data: map[string]string{"v": "old"},
			}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		extra := func(names ...string) []*unstructured.Unstructured {
			var docs strings.Builder
			for _, n := range names {
				fmt.Fprintf(&docs, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {v: new}\n", n)
			}
			return append(append([]*unstructured.Unstructured{}, current...), e.build(t, docs.String(), ns)...)
		}

		e.counter.reset()
		_, err = e.m.Apply(ctx, extra("unowned", "other-rel"), opts)
		var oe *apply.OwnershipError
		if !errors.Is(err, apply.ErrNotOwned) || !errors.As(err, &oe) {
			t.Fatalf("want an ownership error, got %v", err)
		}
		msg := err.Error()
		for _, want := range []string{"ConfigMap/" + ns + "/unowned", "no hoist or Helm ownership", "ConfigMap/" + ns + "/other-rel", "release " + ns + "/other"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not mention %q", msg, want)
			}
		}
		if w := e.counter.writes.Load(); w != 0 {
			t.Errorf("a refused apply wrote %d times", w)
		}

		// Helm's annotations for the same release count as owned.
		cs2, err := e.m.Apply(ctx, extra("from-helm"), opts)
		if err != nil {
			t.Fatalf("Helm-owned object of the same release: %v", err)
		}
		wantActions(t, cs2, map[string]apply.Action{"ConfigMap/from-helm": apply.ActionConfigured})

		taken := opts
		taken.TakeOwnership = true
		cs2, err = e.m.Apply(ctx, extra("unowned", "other-rel"), taken)
		if err != nil {
			t.Fatal(err)
		}
		wantActions(t, cs2, map[string]apply.Action{"ConfigMap/unowned": apply.ActionConfigured, "ConfigMap/other-rel": apply.ActionConfigured})
		if a := e.get(t, cmGVR, ns, "other-rel").GetAnnotations(); a[apply.AnnotationReleaseName] != "app" {
			t.Errorf("not adopted: %v", a)
		}
	})

	t.Run("immutable field fails, ForceReplace recreates", func(t *testing.T) {
		before := e.get(t, deployGVR, ns, "web").GetUID()
		changed := e.build(t, manifest("two", "", "web2"), ns)
		_, err := e.m.Apply(ctx, changed, opts)
		var ie *apply.ImmutableError
		if !errors.Is(err, apply.ErrImmutable) || !errors.As(err, &ie) {
			t.Fatalf("want an immutable-field error, got %v", err)
		}
		if !strings.Contains(err.Error(), "Deployment/"+ns+"/web") || !strings.Contains(err.Error(), "spec.selector") {
			t.Errorf("error does not name the object and field: %v", err)
		}
		t.Logf("error: %v", err)

		replace := opts
		replace.ForceReplace = true
		cs, err := e.m.Apply(ctx, changed, replace)
		if err != nil {
			t.Fatal(err)
		}
		wantActions(t, cs, map[string]apply.Action{"Deployment/web": apply.ActionReplaced, "ConfigMap/settings": apply.ActionUnchanged})
		if after := e.get(t, deployGVR, ns, "web").GetUID(); after == before {
			t.Error("the Deployment was not recreated")
		}
		current = changed
	})

	t.Run("wait for a 3-replica Deployment to roll out", func(t *testing.T) {
		var updates []apply.Progress
		err := e.m.Wait(ctx, apply.RefsOf(current), apply.WaitOptions{
			Timeout:  2 * time.Minute,
			Progress: func(p apply.Progress) { updates = append(updates, p) },
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(updates) == 0 {
			t.Fatal("no progress reported")
		}
		last := updates[len(updates)-1]
		if last.Ready != 3 || last.Total != 3 {
			t.Errorf("last progress %d/%d ready", last.Ready, last.Total)
		}
		for _, u := range updates {
			for _, c := range u.Changed {
				t.Logf("%6s %s", u.Elapsed.Round(time.Millisecond), c)
			}
		}
	})

	t.Run("wait times out on a Deployment that never becomes ready", func(t *testing.T) {
		stuck := e.build(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: stuck}
spec:
  replicas: 2
  selector: {matchLabels: {app: stuck}}
  template:
    metadata:
      labels: {app: stuck}
      annotations: {kwok.x-k8s.io/status: custom}
    spec:
      containers: [{name: app, image: registry.invalid/stuck:1}]
`, ns)
		if _, err := e.m.Apply(ctx, stuck, opts); err != nil {
			t.Fatal(err)
		}
		objs := append(apply.RefsOf(current), apply.RefsOf(stuck)...)
		start := time.Now()
		err := e.m.Wait(ctx, objs, apply.WaitOptions{Timeout: 5 * time.Second})
		if !errors.Is(err, apply.ErrWaitTimeout) {
			t.Fatalf("want a timeout, got %v", err)
		}
		if d := time.Since(start); d > 8*time.Second {
			t.Errorf("took %s for a 5s timeout", d)
		}
		var we *apply.WaitError
		if !errors.As(err, &we) || len(we.NotReady) != 1 || we.NotReady[0].Object.Name != "stuck" {
			t.Errorf("want only the stuck Deployment not ready: %v", err)
		}
		if !strings.Contains(err.Error(), "Deployment/"+ns+"/stuck") {
			t.Errorf("error does not name the Deployment: %v", err)
		}
		t.Logf("error: %v", err)
		current = append(current, stuck...)
	})

	t.Run("prune deletes what the chart dropped, keeps what it must", func(t *testing.T) {
		kept := e.build(t, `apiVersion: v1
kind: ConfigMap
metadata:
  name: precious
  annotations: {helm.sh/resource-policy: keep}
`, ns)
		if _, err := e.m.Apply(ctx, append(append([]*unstructured.Unstructured{}, current...), kept...), opts); err != nil {
			t.Fatal(err)
		}
		previous := append(apply.RefsOf(current), apply.RefsOf(kept)...)
		previous = append(previous,
			release.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: ns, Name: "unowned"}, // adopted above: ours
			release.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: ns, Name: "never-existed"},
		)
		// The chart now has only the ConfigMap "settings"; "unowned" moved to another release.
		cs, err := e.env.Clientset()
		if err != nil {
			t.Fatal(err)
		}
		cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "unowned", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cm.Annotations[apply.AnnotationReleaseName] = "another"
		if _, err := cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		now := current[:1]
		pruned, err := e.m.Prune(ctx, previous, now, apply.PruneOptions{Owner: owner, Wait: true, Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("prune: %s\n%s", pruned.Summary(), pruned)
		wantActions(t, pruned, map[string]apply.Action{
			"Deployment/web": apply.ActionDeleted, "Deployment/stuck": apply.ActionDeleted, "Service/web": apply.ActionDeleted,
			"ConfigMap/precious": apply.ActionKept, "ConfigMap/unowned": apply.ActionSkipped, "ConfigMap/never-existed": apply.ActionSkipped,
		})
		if _, ok := actions(pruned)["ConfigMap/settings"]; ok {
			t.Error("pruned an object the chart still has")
		}
		// Uninstall order: Deployments before the Service.
		var order []string
		for _, c := range pruned.Changes {
			order = append(order, c.Object.Kind)
		}
		if d, s := strings.Index(strings.Join(order, ","), "Deployment"), strings.Index(strings.Join(order, ","), "Service"); d > s {
			t.Errorf("uninstall order %v", order)
		}
		if _, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{}); err == nil {
			t.Error("Deployment web still exists after a prune that waited")
		}
		if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "precious", metav1.GetOptions{}); err != nil {
			t.Errorf("kept ConfigMap: %v", err)
		}
	})
}
