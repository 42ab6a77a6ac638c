package action

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/kube"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
	"github.com/hoist-dev/hoist/pkg/testenv"
)

// Fixture charts of these tests.
const (
	rolloutChart   = "../../testdata/charts/rollout"
	hooksAllChart  = "../../testdata/charts/hooks-all"
	bigRecordChart = "../../testdata/charts/big-record"
	podinfoCorpus  = "/work/shared/conformance/charts/podinfo"
)

// moreE2E is e2eConfig plus a cleanup that deletes the namespace and force-deletes its
// pods: kwok leaves pods annotated kwok.x-k8s.io/status=custom Terminating for ever once
// deleted, which would keep the namespace Terminating for ever too.
func moreE2E(t *testing.T) (*Configuration, string, *testenv.Env) {
	t.Helper()
	cfg, ns := e2eConfig(t)
	env := testenv.Require(t)
	cs := clientsOf(cfg).Typed
	t.Cleanup(func() {
		if os.Getenv("HOIST_E2E_KEEP") == "1" {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		// A terminating namespace admits no new pods, so the loop ends.
		_ = cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
		zero := int64(0)
		for ctx.Err() == nil {
			pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err != nil || len(pods.Items) == 0 {
				return
			}
			for _, p := range pods.Items {
				_ = cs.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
			}
			time.Sleep(300 * time.Millisecond)
		}
	})
	return cfg, ns, env
}

// steps runs ordered scenario steps: a failed step stops the scenario.
func steps(t *testing.T) func(name string, f func(t *testing.T)) {
	return func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
}

func historyStatuses(t *testing.T, ctx context.Context, cfg *Configuration, ns, name string) []string {
	t.Helper()
	h, err := History{Config: cfg}.Run(ctx, HistoryOptions{Name: name, Namespace: ns, Max: 0})
	if err != nil {
		t.Fatalf("history of %s: %v", name, err)
	}
	out := make([]string, len(h))
	for i, r := range h {
		out[i] = string(r.Status)
		if r.Revision != i+1 {
			t.Fatalf("history of %s: revision %d at position %d", name, r.Revision, i)
		}
	}
	return out
}

func wantHistory(t *testing.T, ctx context.Context, cfg *Configuration, ns, name string, want ...release.Status) {
	t.Helper()
	got := historyStatuses(t, ctx, cfg, ns, name)
	ws := make([]string, len(want))
	for i, s := range want {
		ws[i] = string(s)
	}
	if strings.Join(got, ",") != strings.Join(ws, ",") {
		t.Fatalf("history of %s: %v, want %v", name, got, ws)
	}
}

// noPending fails when a revision of the release is left pending.
func noPending(t *testing.T, ctx context.Context, cfg *Configuration, ns, name string) {
	t.Helper()
	h, err := cfg.Storage.History(ctx, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range h {
		if r.Status.IsPending() {
			t.Fatalf("revision %d of %s is left %s: %q", r.Revision, name, r.Status, r.Description)
		}
	}
}

func getRecord(t *testing.T, ctx context.Context, cfg *Configuration, ns, name string, rev int) *release.Release {
	t.Helper()
	r, err := cfg.Storage.Get(ctx, ns, name, rev)
	if err != nil {
		t.Fatalf("revision %d of %s: %v", rev, name, err)
	}
	return r
}

func wantContains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Fatalf("%s should mention %q:\n%s", what, sub, s)
		}
	}
}

// noLease fails when the release's lock is still held.
func noLease(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, name string) {
	t.Helper()
	l, err := cs.CoordinationV1().Leases(ns).Get(ctx, storage.LeaseName(name), metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		holder := ""
		if l != nil && l.Spec.HolderIdentity != nil {
			holder = *l.Spec.HolderIdentity
		}
		t.Fatalf("the lock of %s should be released: %v (held by %q)", name, err, holder)
	}
}

func deploymentReady(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, name string, replicas int32) {
	t.Helper()
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status.ReadyReplicas != replicas || d.Status.UpdatedReplicas != replicas {
		t.Fatalf("deployment %s: %d ready, %d updated, want %d", name, d.Status.ReadyReplicas, d.Status.UpdatedReplicas, replicas)
	}
}

func configMapData(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, name, key string) string {
	t.Helper()
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("configmap %s: %v", name, err)
	}
	return cm.Data[key]
}

// TestE2EFailedRolloutWithoutAtomic: a rollout that never becomes ready, without
// --atomic, records a failed revision naming the Deployment; a good upgrade follows, and
// a rollback to the good revision before the failure works.
func TestE2EFailedRolloutWithoutAtomic(t *testing.T) {
	t.Parallel()
	cfg, ns, _ := moreE2E(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cs := clientsOf(cfg).Typed
	step := steps(t)
	const name = "fail"
	chart := fetchLocal(t, rolloutChart)
	wait := DeployOptions{Wait: true, Timeout: 60 * time.Second, HistoryMax: 10}
	app := "Deployment/" + ns + "/" + name + "-app"

	step("install", func(t *testing.T) {
		if _, err := (Install{Config: cfg}).Run(ctx, InstallOptions{Name: name, Namespace: ns, Chart: chart, DeployOptions: wait}); err != nil {
			t.Fatal(err)
		}
		deploymentReady(t, ctx, cs, ns, name+"-app", 2)
	})

	step("never-ready rollout fails the revision", func(t *testing.T) {
		start := time.Now()
		res, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{
			Name: name, Namespace: ns, Chart: chart, Values: map[string]any{"message": "broken", "neverReady": true},
			DeployOptions: DeployOptions{Wait: true, Timeout: 6 * time.Second, HistoryMax: 10},
		})
		if err == nil {
			t.Fatal("the upgrade should fail: its pods never become ready")
		}
		if !errors.Is(err, apply.ErrWaitTimeout) {
			t.Fatalf("want a wait timeout, got %v", err)
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), app)
		if res == nil || res.RolledBack || res.Release.Status != release.StatusFailed {
			t.Fatalf("result %+v", res)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Fatalf("a 6s timeout took %s", d)
		}
		r := getRecord(t, ctx, cfg, ns, name, 2)
		if r.Status != release.StatusFailed || !strings.HasPrefix(r.Description, "Upgrade failed: ") {
			t.Fatalf("revision 2: %s %q", r.Status, r.Description)
		}
		wantContains(t, "the description", r.Description, app, "timed out")
		// Without --atomic, what was applied stays applied.
		if got := configMapData(t, ctx, cs, ns, name+"-config", "message"); got != "broken" {
			t.Fatalf("message %q", got)
		}
		noLease(t, ctx, cs, ns, name)
	})

	step("good upgrade after the failure", func(t *testing.T) {
		res, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{
			Name: name, Namespace: ns, Chart: chart, Values: map[string]any{"message": "three"}, DeployOptions: wait,
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Revision != 3 || res.Release.Status != release.StatusDeployed {
			t.Fatalf("revision %d %s", res.Release.Revision, res.Release.Status)
		}
		deploymentReady(t, ctx, cs, ns, name+"-app", 2)
		wantHistory(t, ctx, cfg, ns, name, release.StatusSuperseded, release.StatusFailed, release.StatusDeployed)
	})

	step("rollback to the good revision before the failure", func(t *testing.T) {
		res, err := Rollback{Config: cfg}.Run(ctx, RollbackOptions{Name: name, Namespace: ns, Revision: 1, DeployOptions: wait})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Revision != 4 || res.Release.Description != "Rollback to 1" {
			t.Fatalf("revision %d %q", res.Release.Revision, res.Release.Description)
		}
		if got := configMapData(t, ctx, cs, ns, name+"-config", "message"); got != "one" {
			t.Fatalf("message %q after rollback to 1", got)
		}
		d, _ := cs.AppsV1().Deployments(ns).Get(ctx, name+"-app", metav1.GetOptions{})
		if d.Spec.Template.Annotations["message"] != "one" || d.Spec.Template.Annotations["kwok.x-k8s.io/status"] != "" {
			t.Fatalf("pod template after rollback: %v", d.Spec.Template.Annotations)
		}
		deploymentReady(t, ctx, cs, ns, name+"-app", 2)
		wantHistory(t, ctx, cfg, ns, name, release.StatusSuperseded, release.StatusFailed, release.StatusSuperseded, release.StatusDeployed)
	})
}

// TestE2EImmutableSelector: changing a Deployment's selector fails without ForceReplace
// (naming the object and the field, leaving it intact) and recreates it with it.
func TestE2EImmutableSelector(t *testing.T) {
	t.Parallel()
	cfg, ns, _ := moreE2E(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cs := clientsOf(cfg).Typed
	step := steps(t)
	const name = "imm"
	chart := fetchLocal(t, rolloutChart)
	wait := DeployOptions{Wait: true, Timeout: 60 * time.Second, HistoryMax: 10}
	app := "Deployment/" + ns + "/" + name + "-app"
	var uid string

	step("install", func(t *testing.T) {
		if _, err := (Install{Config: cfg}).Run(ctx, InstallOptions{Name: name, Namespace: ns, Chart: chart, DeployOptions: wait}); err != nil {
			t.Fatal(err)
		}
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name+"-app", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		uid = string(d.UID)
	})

	step("selector change without force-replace fails", func(t *testing.T) {
		_, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{
			Name: name, Namespace: ns, Chart: chart, Values: map[string]any{"tier": "blue"}, DeployOptions: wait,
		})
		if !errors.Is(err, apply.ErrImmutable) {
			t.Fatalf("want an immutable-field error, got %v", err)
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), app, "spec.selector", "force-replace")
		r := getRecord(t, ctx, cfg, ns, name, 2)
		if r.Status != release.StatusFailed {
			t.Fatalf("revision 2 is %s", r.Status)
		}
		wantContains(t, "the description", r.Description, app, "spec.selector")
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name+"-app", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if string(d.UID) != uid || d.Spec.Selector.MatchLabels["tier"] != "" {
			t.Fatalf("the deployment changed: uid %s (was %s), selector %v", d.UID, uid, d.Spec.Selector.MatchLabels)
		}
		deploymentReady(t, ctx, cs, ns, name+"-app", 2)
		for _, o := range []string{name + "-config"} {
			if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, o, metav1.GetOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := cs.CoreV1().Services(ns).Get(ctx, name+"-svc", metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
		noPending(t, ctx, cfg, ns, name)
	})

	step("selector change with force-replace recreates the deployment", func(t *testing.T) {
		opts := wait
		opts.ForceReplace = true
		res, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{
			Name: name, Namespace: ns, Chart: chart, Values: map[string]any{"tier": "blue"}, DeployOptions: opts,
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Revision != 3 || res.Release.Status != release.StatusDeployed {
			t.Fatalf("revision %d %s", res.Release.Revision, res.Release.Status)
		}
		replaced := res.Changes.Objects(apply.ActionReplaced)
		if len(replaced) != 1 || replaced[0].String() != app {
			t.Fatalf("replaced %v, want %s; changes:\n%s", replaced, app, res.Changes)
		}
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name+"-app", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if string(d.UID) == uid || d.Spec.Selector.MatchLabels["tier"] != "blue" {
			t.Fatalf("not recreated: uid %s (was %s), selector %v", d.UID, uid, d.Spec.Selector.MatchLabels)
		}
		deploymentReady(t, ctx, cs, ns, name+"-app", 2)
		wantHistory(t, ctx, cfg, ns, name, release.StatusSuperseded, release.StatusFailed, release.StatusDeployed)
	})
}

// TestE2EHooksEveryKind runs a chart with a hook for every event: weights order them,
// delete policies apply, failing hooks name themselves, and release tests record their
// outcome.
func TestE2EHooksEveryKind(t *testing.T) {
	t.Parallel()
	cfg, ns, _ := moreE2E(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cs := clientsOf(cfg).Typed
	step := steps(t)
	const name = "hk"
	chart := fetchLocal(t, hooksAllChart)
	wait := DeployOptions{Wait: true, WaitForJobs: true, Timeout: 60 * time.Second, HistoryMax: 10}

	// rv is the resourceVersion of a ConfigMap written once: the API server's (etcd's)
	// revision counter, so it orders writes within the cluster.
	rv := func(t *testing.T, cm string) int64 {
		t.Helper()
		o, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, name+"-"+cm, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("configmap %s-%s: %v", name, cm, err)
		}
		n, err := strconv.ParseInt(o.ResourceVersion, 10, 64)
		if err != nil {
			t.Skipf("resourceVersion %q is not a number: cannot order writes", o.ResourceVersion)
		}
		return n
	}
	inOrder := func(t *testing.T, cms ...string) {
		t.Helper()
		for i := 1; i < len(cms); i++ {
			if a, b := rv(t, cms[i-1]), rv(t, cms[i]); a >= b {
				t.Fatalf("%s (rv %d) should have been written before %s (rv %d)", cms[i-1], a, cms[i], b)
			}
		}
	}
	gone := func(t *testing.T, job string) {
		t.Helper()
		if _, err := cs.BatchV1().Jobs(ns).Get(ctx, name+"-"+job, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("job %s-%s should have been deleted: %v", name, job, err)
		}
	}
	hookOf := func(t *testing.T, r *release.Release, hook string) *release.Hook {
		t.Helper()
		for _, h := range r.Hooks {
			if h.Name == name+"-"+hook {
				return h
			}
		}
		t.Fatalf("revision %d has no hook %s-%s", r.Revision, name, hook)
		return nil
	}
	var sharedUID string

	step("install runs pre-install hooks by weight, then the objects, then post-install", func(t *testing.T) {
		if _, err := (Install{Config: cfg}).Run(ctx, InstallOptions{Name: name, Namespace: ns, Chart: chart, DeployOptions: wait}); err != nil {
			t.Fatal(err)
		}
		r := getRecord(t, ctx, cfg, ns, name, 1)
		order := []string{"pre-a", "pre-job", "pre-shared", "pre-b", "post-install"} // weights -5, 0, 0, 5; then post
		var prev *release.Hook
		for _, n := range order {
			h := hookOf(t, r, n)
			if h.LastRun.Phase != "Succeeded" || h.LastRun.StartedAt.IsZero() || h.LastRun.CompletedAt.Before(h.LastRun.StartedAt) {
				t.Fatalf("hook %s last run: %+v", n, h.LastRun)
			}
			if prev != nil && !h.LastRun.StartedAt.After(prev.LastRun.CompletedAt) && !h.LastRun.StartedAt.Equal(prev.LastRun.CompletedAt) {
				t.Fatalf("hook %s started %s, before %s completed %s", n, h.LastRun.StartedAt, prev.Name, prev.LastRun.CompletedAt)
			}
			prev = h
		}
		for _, n := range []string{"pre-upgrade", "post-upgrade", "pre-rollback", "post-rollback", "pre-delete", "post-delete", "test-ok"} {
			if h := hookOf(t, r, n); !h.LastRun.StartedAt.IsZero() {
				t.Fatalf("hook %s should not have run on install: %+v", n, h.LastRun)
			}
		}
		inOrder(t, "pre-a", "pre-shared", "pre-b", "main", "post-install")
		gone(t, "pre-job") // hook-succeeded
		for _, n := range []string{"pre-upgrade", "post-upgrade", "pre-rollback", "pre-delete"} {
			if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, name+"-"+n, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Fatalf("hook %s should not exist yet: %v", n, err)
			}
		}
		sh, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, name+"-pre-shared", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sharedUID = string(sh.UID)
	})

	step("release test passes and is recorded", func(t *testing.T) {
		r, err := releaseTest(ctx, cfg, ns, name, 60*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if h := hookOf(t, r, "test-ok"); h.LastRun.Phase != "Succeeded" {
			t.Fatalf("test-ok: %+v", h.LastRun)
		}
		stored := getRecord(t, ctx, cfg, ns, name, 1)
		if h := hookOf(t, stored, "test-ok"); h.LastRun.Phase != "Succeeded" || h.LastRun.CompletedAt.IsZero() {
			t.Fatalf("stored test-ok: %+v", h.LastRun)
		}
		if stored.Status != release.StatusDeployed {
			t.Fatalf("a test must not change the status: %s", stored.Status)
		}
		// Default policy (before-hook-creation): the Job stays until the next run.
		if _, err := cs.BatchV1().Jobs(ns).Get(ctx, name+"-test-ok", metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
		noLease(t, ctx, cs, ns, name)
	})

	step("upgrade runs pre-upgrade and post-upgrade; before-hook-creation recreates", func(t *testing.T) {
		if _, err := (Upgrade{Config: cfg}).Run(ctx, UpgradeOptions{Name: name, Namespace: ns, Chart: chart, Values: map[string]any{"message": "two"}, DeployOptions: wait}); err != nil {
			t.Fatal(err)
		}
		// Weight 0 both: pre-shared before pre-upgrade by name.
		inOrder(t, "pre-shared", "pre-upgrade", "main", "post-upgrade")
		for _, n := range []string{"pre-upgrade", "post-upgrade", "pre-shared"} {
			if got := configMapData(t, ctx, cs, ns, name+"-"+n, "revision"); got != "2" {
				t.Fatalf("hook %s holds revision %q, want 2", n, got)
			}
		}
		sh, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, name+"-pre-shared", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if string(sh.UID) == sharedUID {
			t.Fatalf("pre-shared should have been deleted and created again (before-hook-creation)")
		}
		if got := configMapData(t, ctx, cs, ns, name+"-main", "message"); got != "two" {
			t.Fatalf("main message %q", got)
		}
		r := getRecord(t, ctx, cfg, ns, name, 2)
		if hookOf(t, r, "pre-upgrade").LastRun.Phase != "Succeeded" || hookOf(t, r, "post-upgrade").LastRun.Phase != "Succeeded" {
			t.Fatalf("upgrade hooks: %+v %+v", hookOf(t, r, "pre-upgrade").LastRun, hookOf(t, r, "post-upgrade").LastRun)
		}
	})

	step("failing pre-upgrade hook fails the revision and names the hook", func(t *testing.T) {
		start := time.Now()
		_, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{
			Name: name, Namespace: ns, Chart: chart, Values: map[string]any{"message": "three", "failPreUpgrade": true},
			DeployOptions: DeployOptions{Wait: true, WaitForJobs: true, Timeout: 30 * time.Second, HistoryMax: 10},
		})
		if err == nil {
			t.Fatal("the upgrade should fail: its pre-upgrade hook fails")
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), "pre-upgrade hook Job/"+name+"-bad-pre-upgrade", "job failed", "deadline")
		if d := time.Since(start); d > 25*time.Second {
			t.Fatalf("the hook failed after 1s but the upgrade took %s", d)
		}
		r := getRecord(t, ctx, cfg, ns, name, 3)
		if r.Status != release.StatusFailed {
			t.Fatalf("revision 3 is %s", r.Status)
		}
		wantContains(t, "the description", r.Description, name+"-bad-pre-upgrade")
		if h := hookOf(t, r, "bad-pre-upgrade"); h.LastRun.Phase != "Failed" {
			t.Fatalf("bad-pre-upgrade last run: %+v", h.LastRun)
		}
		// The objects were not touched: pre-upgrade hooks run before them.
		if got := configMapData(t, ctx, cs, ns, name+"-main", "message"); got != "two" {
			t.Fatalf("main message %q, want two", got)
		}
		// No hook-failed policy: the failed Job stays for inspection.
		if _, err := cs.BatchV1().Jobs(ns).Get(ctx, name+"-bad-pre-upgrade", metav1.GetOptions{}); err != nil {
			t.Fatalf("the failed hook Job should stay: %v", err)
		}
		noPending(t, ctx, cfg, ns, name)
	})

	step("failing release test is recorded, named and deleted (hook-failed)", func(t *testing.T) {
		if _, err := (Upgrade{Config: cfg}).Run(ctx, UpgradeOptions{Name: name, Namespace: ns, Chart: chart, Values: map[string]any{"message": "four", "failingTest": true}, DeployOptions: wait}); err != nil {
			t.Fatal(err)
		}
		r, err := releaseTest(ctx, cfg, ns, name, 30*time.Second)
		if err == nil {
			t.Fatal("the release test should fail")
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), "test hook Job/"+name+"-test-bad", "job failed")
		if r == nil || r.Revision != 4 {
			t.Fatalf("tested revision: %+v", r)
		}
		stored := getRecord(t, ctx, cfg, ns, name, 4)
		if h := hookOf(t, stored, "test-ok"); h.LastRun.Phase != "Succeeded" {
			t.Fatalf("test-ok (weight 0) should pass first: %+v", h.LastRun)
		}
		if h := hookOf(t, stored, "test-bad"); h.LastRun.Phase != "Failed" || h.LastRun.CompletedAt.IsZero() {
			t.Fatalf("test-bad: %+v", h.LastRun)
		}
		if stored.Status != release.StatusDeployed {
			t.Fatalf("a failed test must not change the status: %s", stored.Status)
		}
		gone(t, "test-bad")
		noLease(t, ctx, cs, ns, name)
	})

	step("rollback runs pre-rollback and post-rollback of the target revision", func(t *testing.T) {
		res, err := Rollback{Config: cfg}.Run(ctx, RollbackOptions{Name: name, Namespace: ns, Revision: 2, DeployOptions: wait})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Revision != 5 {
			t.Fatalf("revision %d", res.Release.Revision)
		}
		inOrder(t, "pre-rollback", "main", "post-rollback")
		for _, n := range []string{"pre-rollback", "post-rollback"} {
			if got := configMapData(t, ctx, cs, ns, name+"-"+n, "message"); got != "two" {
				t.Fatalf("hook %s holds message %q, want two (revision 2's hooks)", n, got)
			}
		}
		if got := configMapData(t, ctx, cs, ns, name+"-main", "message"); got != "two" {
			t.Fatalf("main message %q", got)
		}
		r := getRecord(t, ctx, cfg, ns, name, 5)
		if hookOf(t, r, "pre-rollback").LastRun.Phase != "Succeeded" || hookOf(t, r, "post-rollback").LastRun.Phase != "Succeeded" {
			t.Fatal("rollback hooks not recorded")
		}
		// Revision 5 ran only its rollback hooks: the runs of revision 2 are not its own.
		for _, n := range []string{"pre-upgrade", "post-upgrade", "pre-shared"} {
			if h := hookOf(t, r, n); !h.LastRun.StartedAt.IsZero() {
				t.Fatalf("revision 5 records a run of %s it did not make: %+v", n, h.LastRun)
			}
		}
		if h := hookOf(t, getRecord(t, ctx, cfg, ns, name, 2), "pre-rollback"); !h.LastRun.StartedAt.IsZero() {
			t.Fatalf("revision 2's record should not change: pre-rollback %+v", h.LastRun)
		}
	})

	step("uninstall runs pre-delete, deletes, then post-delete", func(t *testing.T) {
		if _, err := (Uninstall{Config: cfg}).Run(ctx, UninstallOptions{Name: name, Namespace: ns, Wait: true, Timeout: 60 * time.Second}); err != nil {
			t.Fatal(err)
		}
		inOrder(t, "pre-delete", "post-delete")
		if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, name+"-main", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("main should be deleted: %v", err)
		}
		if h, err := cfg.Storage.History(ctx, ns, name); err != nil || len(h) != 0 {
			t.Fatalf("history after uninstall: %d revisions, %v", len(h), err)
		}
		noLease(t, ctx, cs, ns, name)
	})
}

// TestE2EBigRecord: a release whose record is over 1 MiB compressed is stored across
// several Secrets, each under 1 MiB, and install, upgrade, history and rollback work.
func TestE2EBigRecord(t *testing.T) {
	t.Parallel()
	cfg, ns, _ := moreE2E(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cs := clientsOf(cfg).Typed
	step := steps(t)
	const name = "big"
	chart := fetchLocal(t, bigRecordChart)
	opts := DeployOptions{Timeout: 60 * time.Second, HistoryMax: 10}
	blobSums := map[string][sha256.Size]byte{}

	// secretsOf checks the storage of a revision: split, each part under 1 MiB, and
	// returns the number of Secrets and the size of the encoded record.
	secretsOf := func(t *testing.T, rev int) (n, total int) {
		t.Helper()
		list, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.Set{
			storage.LabelOwner: "hoist", storage.LabelName: name, storage.LabelRevision: strconv.Itoa(rev),
		}.String()})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list.Items {
			size := 0
			for k, v := range s.Data {
				size += len(k) + len(v)
			}
			if size >= 1<<20 {
				t.Fatalf("secret %s holds %d bytes: over 1 MiB", s.Name, size)
			}
			total += size
		}
		return len(list.Items), total
	}
	blobs := func(t *testing.T, seed string) {
		t.Helper()
		for i := range 6 {
			cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, fmt.Sprintf("%s-blob-%d", name, i), metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if cm.Data["seed"] != seed || len(cm.Data["blob"]) != 512<<10 {
				t.Fatalf("blob %d: seed %q, %d bytes", i, cm.Data["seed"], len(cm.Data["blob"]))
			}
			k := fmt.Sprintf("%s/%d", seed, i)
			sum := sha256.Sum256([]byte(cm.Data["blob"]))
			if prev, ok := blobSums[k]; ok && prev != sum {
				t.Fatalf("blob %d of seed %s differs from the one first applied", i, seed)
			}
			blobSums[k] = sum
		}
	}

	step("install", func(t *testing.T) {
		res, err := Install{Config: cfg}.Run(ctx, InstallOptions{Name: name, Namespace: ns, Chart: chart, DeployOptions: opts})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Status != release.StatusDeployed {
			t.Fatalf("status %s", res.Release.Status)
		}
		n, total := secretsOf(t, 1)
		if n < 2 || total <= 1<<20 {
			t.Fatalf("revision 1 is stored in %d Secrets, %d bytes: want a record over 1 MiB in several Secrets", n, total)
		}
		t.Logf("revision 1: %d Secrets, %d bytes", n, total)
		blobs(t, "one")
	})

	step("upgrade", func(t *testing.T) {
		res, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{Name: name, Namespace: ns, Chart: chart, Values: map[string]any{"seed": "two"}, DeployOptions: opts})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Revision != 2 || res.Changes.Count(apply.ActionConfigured) != 6 {
			t.Fatalf("revision %d, changes %s", res.Release.Revision, res.Changes.Summary())
		}
		if n, _ := secretsOf(t, 2); n < 2 {
			t.Fatalf("revision 2 in %d Secrets", n)
		}
		blobs(t, "two")
	})

	step("history", func(t *testing.T) {
		h, err := History{Config: cfg}.Run(ctx, HistoryOptions{Name: name, Namespace: ns, Max: 0})
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 2 || h[0].Status != release.StatusSuperseded || h[1].Status != release.StatusDeployed {
			t.Fatalf("history: %d revisions", len(h))
		}
		for _, r := range h {
			if len(r.Manifest) < 3<<20 {
				t.Fatalf("revision %d manifest: %d bytes", r.Revision, len(r.Manifest))
			}
		}
		if !strings.Contains(h[0].Manifest, "seed: \"one\"") || !strings.Contains(h[1].Manifest, "seed: \"two\"") {
			t.Fatal("the records do not hold their manifests")
		}
	})

	step("rollback", func(t *testing.T) {
		res, err := Rollback{Config: cfg}.Run(ctx, RollbackOptions{Name: name, Namespace: ns, Revision: 1, DeployOptions: opts})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Revision != 3 || res.Release.Status != release.StatusDeployed {
			t.Fatalf("revision %d %s", res.Release.Revision, res.Release.Status)
		}
		blobs(t, "one")
		if n, _ := secretsOf(t, 3); n < 2 {
			t.Fatalf("revision 3 in %d Secrets", n)
		}
		wantHistory(t, ctx, cfg, ns, name, release.StatusSuperseded, release.StatusSuperseded, release.StatusDeployed)
	})

	step("no part is left over", func(t *testing.T) {
		// Every continuation Secret is listed by its record (updates replace parts).
		list, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: storage.LabelName + "=" + name})
		if err != nil {
			t.Fatal(err)
		}
		listed := map[string]bool{}
		for _, s := range list.Items {
			for _, p := range strings.Split(s.Annotations["hoist.dev/chunks"], ",") {
				listed[p] = true
			}
		}
		for _, s := range list.Items {
			if of := s.Labels["hoist.dev/chunk-of"]; of != "" && !listed[s.Name] {
				t.Fatalf("part %s of %s is not listed by its record", s.Name, of)
			}
		}
	})
}

// TestE2ENonAdmin: a user without rights gets errors that name what was forbidden, and
// no pending revision or lock is left behind.
func TestE2ENonAdmin(t *testing.T) {
	t.Parallel()
	admin, ns, env := moreE2E(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	acs := clientsOf(admin).Typed
	step := steps(t)
	chart := fetchLocal(t, rolloutChart)

	rc, err := clientcmd.BuildConfigFromFlags("", env.UserKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	clients, err := kube.NewClients(rc)
	if err != nil {
		t.Fatal(err)
	}
	user := NewConfiguration(clients, "e2e-user", nil)
	grant := func(t *testing.T, role string, rules ...rbacv1.PolicyRule) {
		t.Helper()
		if _, err := acs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: role}, Rules: rules}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := acs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: role},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: role},
			Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: env.UserName}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		// Wait until the authorizer sees the binding.
		r := rules[len(rules)-1]
		deadline := time.Now().Add(20 * time.Second)
		for {
			rev, err := clients.Typed.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
				Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
					Namespace: ns, Verb: r.Verbs[len(r.Verbs)-1], Group: r.APIGroups[0], Resource: r.Resources[0],
				}},
			}, metav1.CreateOptions{})
			if err == nil && rev.Status.Allowed {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("role %s not in effect: %v %+v", role, err, rev)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	step("no rights: the lock is forbidden", func(t *testing.T) {
		_, err := Install{Config: user}.Run(ctx, InstallOptions{Name: "nr", Namespace: ns, Chart: chart})
		if !apierrors.IsForbidden(err) {
			t.Fatalf("want forbidden, got %v", err)
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), "release nr in "+ns, "forbidden", "leases", env.UserName)
		if h, err := admin.Storage.History(ctx, ns, "nr"); err != nil || len(h) != 0 {
			t.Fatalf("nothing should be recorded: %d revisions, %v", len(h), err)
		}
		noLease(t, ctx, acs, ns, "nr")
	})

	step("admin installs", func(t *testing.T) {
		if _, err := (Install{Config: admin}).Run(ctx, InstallOptions{Name: "nr", Namespace: ns, Chart: chart}); err != nil {
			t.Fatal(err)
		}
	})

	step("read-only records: recording the revision is forbidden", func(t *testing.T) {
		grant(t, "hoist-locks", rbacv1.PolicyRule{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update", "delete"}})
		grant(t, "hoist-records-read", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}})
		_, err := Upgrade{Config: user}.Run(ctx, UpgradeOptions{Name: "nr", Namespace: ns, Chart: chart, Values: map[string]any{"message": "user"}})
		if !apierrors.IsForbidden(err) {
			t.Fatalf("want forbidden, got %v", err)
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), "nr.v2", "forbidden", "secrets", env.UserName)
		wantHistory(t, ctx, admin, ns, "nr", release.StatusDeployed)
		noLease(t, ctx, acs, ns, "nr")
	})

	step("records allowed, objects not: the revision fails naming the objects", func(t *testing.T) {
		grant(t, "hoist-records", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "create", "update", "delete"}})
		d, err := acs.AppsV1().Deployments(ns).Get(ctx, "nr-app", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = Upgrade{Config: user}.Run(ctx, UpgradeOptions{Name: "nr", Namespace: ns, Chart: chart, Values: map[string]any{"message": "user"}})
		if !apierrors.IsForbidden(err) {
			t.Fatalf("want forbidden, got %v", err)
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), "Deployment/"+ns+"/nr-app", "ConfigMap/"+ns+"/nr-config", "forbidden", env.UserName)
		r := getRecord(t, ctx, admin, ns, "nr", 2)
		if r.Status != release.StatusFailed {
			t.Fatalf("revision 2 is %s", r.Status)
		}
		wantContains(t, "the description", r.Description, "Deployment/"+ns+"/nr-app", "forbidden")
		wantHistory(t, ctx, admin, ns, "nr", release.StatusDeployed, release.StatusFailed)
		noLease(t, ctx, acs, ns, "nr")
		after, err := acs.AppsV1().Deployments(ns).Get(ctx, "nr-app", metav1.GetOptions{})
		if err != nil || after.UID != d.UID || after.Generation != d.Generation {
			t.Fatalf("the deployment should be untouched: %v", err)
		}
		if got := configMapData(t, ctx, acs, ns, "nr-config", "message"); got != "one" {
			t.Fatalf("message %q", got)
		}
	})
}

// copyTree copies a chart directory.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func rewrite(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(b), old) != 1 {
		t.Fatalf("%s: %q found %d times, want once", path, old, strings.Count(string(b), old))
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestE2EConformanceUpgrade upgrades podinfo (a real public chart) to a "version 2" with
// other values, waits, and rolls back.
func TestE2EConformanceUpgrade(t *testing.T) {
	if _, err := os.Stat(filepath.Join(podinfoCorpus, "Chart.yaml")); err != nil {
		t.Skipf("conformance corpus absent (%v): the podinfo chart is needed", err)
	}
	t.Parallel()
	cfg, ns, _ := moreE2E(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cs := clientsOf(cfg).Typed
	step := steps(t)
	const name = "podinfo"
	wait := DeployOptions{Wait: true, Timeout: 90 * time.Second, HistoryMax: 10}

	v2 := filepath.Join(t.TempDir(), "podinfo")
	copyTree(t, podinfoCorpus, v2)
	rewrite(t, filepath.Join(v2, "Chart.yaml"), "version: 6.14.1", "version: 6.14.2")
	rewrite(t, filepath.Join(v2, "values.yaml"), "replicaCount: 1\n", "replicaCount: 2\n")
	rewrite(t, filepath.Join(v2, "values.yaml"), "  tag: 6.14.1\n", "  tag: 6.14.2\n")
	image := func(t *testing.T) (string, int32) {
		t.Helper()
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d.Spec.Template.Spec.Containers[0].Image, *d.Spec.Replicas
	}

	step("install version 1", func(t *testing.T) {
		res, err := Install{Config: cfg}.Run(ctx, InstallOptions{Name: name, Namespace: ns, Chart: fetchLocal(t, podinfoCorpus), DeployOptions: wait})
		if err != nil {
			t.Fatal(err)
		}
		if v := res.Release.Chart.Metadata.Version; v != "6.14.1" {
			t.Fatalf("chart version %s", v)
		}
		if img, n := image(t); img != "ghcr.io/stefanprodan/podinfo:6.14.1" || n != 1 {
			t.Fatalf("image %s replicas %d", img, n)
		}
		deploymentReady(t, ctx, cs, ns, name, 1)
	})

	step("upgrade to version 2 with wait", func(t *testing.T) {
		res, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{Name: name, Namespace: ns, Chart: fetchLocal(t, v2), DeployOptions: wait})
		if err != nil {
			t.Fatal(err)
		}
		if v := res.Release.Chart.Metadata.Version; v != "6.14.2" || res.Release.Revision != 2 {
			t.Fatalf("chart version %s revision %d", v, res.Release.Revision)
		}
		configured := false
		for _, o := range res.Changes.Objects(apply.ActionConfigured) {
			configured = configured || o.String() == "Deployment/"+ns+"/"+name
		}
		if !configured {
			t.Fatalf("the deployment should be configured:\n%s", res.Changes)
		}
		if img, n := image(t); img != "ghcr.io/stefanprodan/podinfo:6.14.2" || n != 2 {
			t.Fatalf("image %s replicas %d", img, n)
		}
		deploymentReady(t, ctx, cs, ns, name, 2)
		h, err := History{Config: cfg}.Run(ctx, HistoryOptions{Name: name, Namespace: ns, Max: 0})
		if err != nil || len(h) != 2 {
			t.Fatalf("history: %v", err)
		}
		if h[0].Status != release.StatusSuperseded || h[0].Chart.Metadata.Version != "6.14.1" ||
			h[1].Status != release.StatusDeployed || h[1].Chart.Metadata.Version != "6.14.2" {
			t.Fatalf("history: %s %s, %s %s", h[0].Status, h[0].Chart.Metadata.Version, h[1].Status, h[1].Chart.Metadata.Version)
		}
	})

	step("rollback to version 1", func(t *testing.T) {
		if _, err := (Rollback{Config: cfg}).Run(ctx, RollbackOptions{Name: name, Namespace: ns, DeployOptions: wait}); err != nil {
			t.Fatal(err)
		}
		if img, n := image(t); img != "ghcr.io/stefanprodan/podinfo:6.14.1" || n != 1 {
			t.Fatalf("image %s replicas %d", img, n)
		}
		deploymentReady(t, ctx, cs, ns, name, 1)
		r, err := Get{Config: cfg}.Run(ctx, GetOptions{Name: name, Namespace: ns})
		if err != nil || r.Revision != 3 || r.Chart.Metadata.Version != "6.14.1" {
			t.Fatalf("latest: %v %+v", err, r)
		}
	})
}

// TestE2EBadInput: objects the API server rejects, a kind the cluster does not serve, a
// missing namespace and concurrent operations all fail clearly, leave nothing pending,
// and leave the release rollback-able.
func TestE2EBadInput(t *testing.T) {
	t.Parallel()
	cfg, ns, env := moreE2E(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cs := clientsOf(cfg).Typed
	step := steps(t)
	const name = "bad"
	chart := fetchLocal(t, rolloutChart)
	wait := DeployOptions{Wait: true, Timeout: 60 * time.Second, HistoryMax: 20}
	app := "Deployment/" + ns + "/" + name + "-app"
	var appUID string

	upgradeFails := func(t *testing.T, vals map[string]any, rev int, mention ...string) error {
		t.Helper()
		_, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{Name: name, Namespace: ns, Chart: chart, Values: vals, DeployOptions: wait})
		if err == nil {
			t.Fatalf("upgrade with %v should fail", vals)
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), mention...)
		if rev > 0 {
			r := getRecord(t, ctx, cfg, ns, name, rev)
			if r.Status != release.StatusFailed {
				t.Fatalf("revision %d is %s", rev, r.Status)
			}
			wantContains(t, "the description", r.Description, mention...)
		}
		noPending(t, ctx, cfg, ns, name)
		noLease(t, ctx, cs, ns, name)
		// The deployment of revision 1 is intact.
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name+"-app", metav1.GetOptions{})
		if err != nil || string(d.UID) != appUID || *d.Spec.Replicas != 2 || d.Spec.Template.Annotations["message"] != "one" {
			t.Fatalf("deployment changed: %v", err)
		}
		return err
	}

	step("install", func(t *testing.T) {
		if _, err := (Install{Config: cfg}).Run(ctx, InstallOptions{Name: name, Namespace: ns, Chart: chart, DeployOptions: wait}); err != nil {
			t.Fatal(err)
		}
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name+"-app", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		appUID = string(d.UID)
	})

	step("invalid value: negative replicas", func(t *testing.T) {
		// The failed revision also adds a ConfigMap, applied before the Deployment failed.
		upgradeFails(t, map[string]any{"message": "two", "badInput": "negativeReplicas", "extraConfigMap": true}, 2, app, "spec.replicas", "must be greater than or equal to 0")
	})

	step("unknown field", func(t *testing.T) {
		upgradeFails(t, map[string]any{"message": "three", "badInput": "unknownField"}, 3, app, "bogusField", "field not declared in schema")
	})

	step("invalid name", func(t *testing.T) {
		upgradeFails(t, map[string]any{"message": "four", "badInput": "badName"}, 4, "ConfigMap/"+ns+"/"+name+"-Bad_Name", "metadata.name")
	})

	step("unknown kind: refused before anything is recorded", func(t *testing.T) {
		upgradeFails(t, map[string]any{"message": "five", "badInput": "unknownKind"}, 0, "Widget", name+"-widget", "templates/configmap.yaml")
		wantHistory(t, ctx, cfg, ns, name, release.StatusDeployed, release.StatusFailed, release.StatusFailed, release.StatusFailed)
	})

	step("rollback to the last good revision", func(t *testing.T) {
		res, err := Rollback{Config: cfg}.Run(ctx, RollbackOptions{Name: name, Namespace: ns, Revision: 1, DeployOptions: wait})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Revision != 5 || res.Release.Status != release.StatusDeployed {
			t.Fatalf("revision %d %s", res.Release.Revision, res.Release.Status)
		}
		if got := configMapData(t, ctx, cs, ns, name+"-config", "message"); got != "one" {
			t.Fatalf("message %q", got)
		}
		// The ConfigMap only the failed revision 2 had is not part of revision 1.
		if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, name+"-extra", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("%s-extra, applied by the failed revision 2, should be pruned: %v", name, err)
		}
		deploymentReady(t, ctx, cs, ns, name+"-app", 2)
		wantHistory(t, ctx, cfg, ns, name, release.StatusSuperseded, release.StatusFailed, release.StatusFailed, release.StatusFailed, release.StatusDeployed)
	})

	step("missing namespace without create-namespace", func(t *testing.T) {
		missing := ns + "-missing"
		_, err := Install{Config: cfg}.Run(ctx, InstallOptions{Name: name, Namespace: missing, Chart: chart})
		if err == nil {
			t.Fatal("install into a missing namespace should fail")
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), "release "+name+" in "+missing, "namespace not found", "create-namespace")
		_, err = Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{Name: name, Namespace: missing, Chart: chart, Install: true})
		if err == nil {
			t.Fatal("upgrade --install into a missing namespace should fail")
		}
		wantContains(t, "the error", err.Error(), "release "+name+" in "+missing, "namespace not found", "create-namespace")
		if _, err := cs.CoreV1().Namespaces().Get(ctx, missing, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("namespace %s should not exist: %v", missing, err)
		}
		if h, err := cfg.Storage.History(ctx, missing, name); err != nil || len(h) != 0 {
			t.Fatalf("nothing should be recorded: %d, %v", len(h), err)
		}
	})

	step("upgrade --install --create-namespace into a new namespace", func(t *testing.T) {
		created := ns + "-created"
		t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), created, metav1.DeleteOptions{}) })
		res, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{Name: name, Namespace: created, Chart: chart, Install: true, CreateNamespace: true, DeployOptions: wait})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Revision != 1 || res.Release.Status != release.StatusDeployed {
			t.Fatalf("revision %d %s", res.Release.Revision, res.Release.Status)
		}
		deploymentReady(t, ctx, cs, created, name+"-app", 2)
	})

	step("two upgrades at once: the second fails at once naming the holder", func(t *testing.T) {
		rc, err := env.RESTConfig()
		if err != nil {
			t.Fatal(err)
		}
		clients, err := kube.NewClients(rc)
		if err != nil {
			t.Fatal(err)
		}
		second := NewConfiguration(clients, "e2e-second-operator", nil)
		holder := cfg.Locker.(*storage.LeaseLocker).Identity
		var wg sync.WaitGroup
		var firstErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, firstErr = Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{
				Name: name, Namespace: ns, Chart: chart, Values: map[string]any{"message": "slow", "neverReady": true},
				DeployOptions: DeployOptions{Wait: true, Timeout: 8 * time.Second, HistoryMax: 20},
			})
		}()
		// Once the first upgrade holds the lock…
		deadline := time.Now().Add(20 * time.Second)
		for {
			l, err := cs.CoordinationV1().Leases(ns).Get(ctx, storage.LeaseName(name), metav1.GetOptions{})
			if err == nil && l.Spec.HolderIdentity != nil && *l.Spec.HolderIdentity == holder {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the first upgrade never took the lock: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		start := time.Now()
		_, err = Upgrade{Config: second}.Run(ctx, UpgradeOptions{Name: name, Namespace: ns, Chart: chart, Values: map[string]any{"message": "second"}})
		if !errors.Is(err, storage.ErrLocked) {
			t.Fatalf("want ErrLocked, got %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("the second upgrade should fail at once, it took %s", d)
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), "held by "+holder, "release "+name+" in "+ns)
		wg.Wait()
		if firstErr == nil || !strings.Contains(firstErr.Error(), app) {
			t.Fatalf("the first upgrade should time out naming the deployment: %v", firstErr)
		}
		noPending(t, ctx, cfg, ns, name)
		noLease(t, ctx, cs, ns, name)

		// A lock held by another live process (taken by hand) blocks a rollback too.
		other := &storage.LeaseLocker{Client: cs, Identity: "someone-else@elsewhere"}
		l, err := other.Lock(ctx, ns, name)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Rollback{Config: second}.Run(ctx, RollbackOptions{Name: name, Namespace: ns, Revision: 5})
		if !errors.Is(err, storage.ErrLocked) || !strings.Contains(err.Error(), "someone-else@elsewhere") {
			t.Fatalf("want ErrLocked naming someone-else@elsewhere, got %v", err)
		}
		l.Release()
		if _, err := (Rollback{Config: second}).Run(ctx, RollbackOptions{Name: name, Namespace: ns, Revision: 5, DeployOptions: wait}); err != nil {
			t.Fatalf("rollback once the lock is free: %v", err)
		}
		deploymentReady(t, ctx, cs, ns, name+"-app", 2)
		noPending(t, ctx, cfg, ns, name)
	})
}
