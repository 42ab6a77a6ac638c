package action

import (
	"strconv"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hoist-dev/hoist/pkg/release"
)

const hooksAllChart = "../../testdata/charts/hooks-all"

// TestE2EHooksEveryKind runs a chart with a hook for every event: weights order them,
// delete policies apply, failing hooks name themselves, and release tests record their
// outcome.
func TestE2EHooksEveryKind(t *testing.T) {
	t.Parallel()
	cfg, ns, ctx, cs, step := scenario(t, 3*time.Minute)
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
