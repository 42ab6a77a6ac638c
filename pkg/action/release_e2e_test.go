package action

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
)

const lifecycleChart = "../../testdata/charts/lifecycle"

// TestE2EReleaseLifecycle installs, upgrades, rolls back and uninstalls a release on
// the real cluster, checking records, objects, hooks and pruning at each step.
func TestE2EReleaseLifecycle(t *testing.T) {
	cfg, ns := e2eConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cs := clientsOf(cfg).Typed
	wait := DeployOptions{Wait: true, WaitForJobs: true, Timeout: 90 * time.Second, HistoryMax: 10}

	t.Run("install", func(t *testing.T) {
		res, err := Install{Config: cfg}.Run(ctx, InstallOptions{
			Name: "life", Namespace: ns, Chart: fetchLocal(t, lifecycleChart), DeployOptions: wait,
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Status != release.StatusDeployed || res.Release.Revision != 1 {
			t.Fatalf("status %s revision %d", res.Release.Status, res.Release.Revision)
		}
		if !strings.Contains(res.Release.Notes, "life revision 1 says one") {
			t.Fatalf("notes: %q", res.Release.Notes)
		}
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, "life-app", metav1.GetOptions{})
		if err != nil || d.Status.ReadyReplicas != 2 {
			t.Fatalf("deployment not ready: %v %+v", err, d.Status)
		}
		if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "life-pre-hook", metav1.GetOptions{}); err != nil {
			t.Fatalf("pre-install hook did not run: %v", err)
		}
		if _, err := cs.BatchV1().Jobs(ns).Get(ctx, "life-post-job", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("post-install job should be deleted after success (hook-succeeded): %v", err)
		}
	})

	t.Run("install again is refused", func(t *testing.T) {
		_, err := Install{Config: cfg}.Run(ctx, InstallOptions{Name: "life", Namespace: ns, Chart: fetchLocal(t, lifecycleChart)})
		if !errors.Is(err, ErrNameInUse) {
			t.Fatalf("want ErrNameInUse, got %v", err)
		}
	})

	t.Run("upgrade changes, adds and prunes", func(t *testing.T) {
		res, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{
			Name: "life", Namespace: ns, Chart: fetchLocal(t, lifecycleChart),
			Values: map[string]any{"message": "two", "replicas": 3, "extraConfigMap": true, "keepConfigMap": true}, DeployOptions: wait,
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Revision != 2 || res.Release.Status != release.StatusDeployed {
			t.Fatalf("revision %d status %s", res.Release.Revision, res.Release.Status)
		}
		cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "life-config", metav1.GetOptions{})
		if err != nil || cm.Data["message"] != "two" {
			t.Fatalf("configmap not updated: %v %v", err, cm.Data)
		}
		// A third revision drops the extra ConfigMap (pruned) and the kept one (kept).
		_, err = Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{
			Name: "life", Namespace: ns, Chart: fetchLocal(t, lifecycleChart),
			Values: map[string]any{"message": "three"}, DeployOptions: wait,
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "life-extra", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("life-extra should have been pruned: %v", err)
		}
		if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "life-kept", metav1.GetOptions{}); err != nil {
			t.Fatalf("life-kept has resource-policy keep and must stay: %v", err)
		}
		h, err := History{Config: cfg}.Run(ctx, HistoryOptions{Name: "life", Namespace: ns, Max: 0})
		if err != nil || len(h) != 3 || h[0].Status != release.StatusSuperseded || h[1].Status != release.StatusSuperseded || h[2].Status != release.StatusDeployed {
			t.Fatalf("history after upgrades: %v %v", err, statuses(h))
		}
	})

	t.Run("rollback to revision 2", func(t *testing.T) {
		res, err := Rollback{Config: cfg}.Run(ctx, RollbackOptions{Name: "life", Namespace: ns, Revision: 2, DeployOptions: wait})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Revision != 4 || res.Release.Description != "Rollback to 2" {
			t.Fatalf("revision %d description %q", res.Release.Revision, res.Release.Description)
		}
		cm, _ := cs.CoreV1().ConfigMaps(ns).Get(ctx, "life-config", metav1.GetOptions{})
		if cm.Data["message"] != "two" {
			t.Fatalf("rollback did not restore the message: %v", cm.Data)
		}
		if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "life-extra", metav1.GetOptions{}); err != nil {
			t.Fatalf("rollback to 2 should recreate life-extra: %v", err)
		}
		d, _ := cs.AppsV1().Deployments(ns).Get(ctx, "life-app", metav1.GetOptions{})
		if *d.Spec.Replicas != 3 {
			t.Fatalf("replicas %d, want 3", *d.Spec.Replicas)
		}
	})

	t.Run("failed upgrade with atomic rolls back", func(t *testing.T) {
		res, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{
			Name: "life", Namespace: ns, Chart: fetchLocal(t, lifecycleChart),
			Values:        map[string]any{"message": "broken", "neverReady": true},
			DeployOptions: DeployOptions{Atomic: true, Wait: true, Timeout: 8 * time.Second, HistoryMax: 10},
		})
		if err == nil || res == nil || !res.RolledBack {
			t.Fatalf("want a failure rolled back, got %v (result %+v)", err, res)
		}
		if !strings.Contains(err.Error(), "life-app") {
			t.Fatalf("the error should name the object that failed: %v", err)
		}
		h, _ := History{Config: cfg}.Run(ctx, HistoryOptions{Name: "life", Namespace: ns, Max: 0})
		last := h[len(h)-1]
		if last.Status != release.StatusDeployed || !strings.Contains(last.Description, "Rollback to 4") {
			t.Fatalf("after atomic rollback: %v, last %q", statuses(h), last.Description)
		}
		cm, _ := cs.CoreV1().ConfigMaps(ns).Get(ctx, "life-config", metav1.GetOptions{})
		if cm.Data["message"] != "two" {
			t.Fatalf("atomic rollback did not restore the message: %v", cm.Data)
		}
	})

	t.Run("interrupted operation is taken over", func(t *testing.T) {
		// Simulate a killed upgrade: a pending revision and an expired lease.
		h, _ := History{Config: cfg}.Run(ctx, HistoryOptions{Name: "life", Namespace: ns, Max: 0})
		pending := *h[len(h)-1]
		pending.Revision++
		pending.SetStatus(release.StatusPendingUpgrade, "Operation in progress")
		if err := cfg.Storage.Create(ctx, &pending); err != nil {
			t.Fatal(err)
		}
		// The lease a killed process left: renewed an hour ago, never again; its 3 s
		// duration is how long the next operation watches it before taking over.
		hourAgo := metav1.NewMicroTime(time.Now().Add(-time.Hour))
		if _, err := cs.CoordinationV1().Leases(ns).Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: storage.LeaseName("life"), Namespace: ns},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("killed-process"), LeaseDurationSeconds: ptr.To(int32(3)),
				AcquireTime: &hourAgo, RenewTime: &hourAgo},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		res, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{Name: "life", Namespace: ns, Chart: fetchLocal(t, lifecycleChart), DeployOptions: wait})
		if err != nil {
			t.Fatalf("upgrade after an interrupted one: %v", err)
		}
		got, _ := cfg.Storage.Get(ctx, ns, "life", pending.Revision)
		if got.Status != release.StatusFailed || !strings.Contains(got.Description, "killed-process") {
			t.Fatalf("interrupted revision: %s %q", got.Status, got.Description)
		}
		if res.Release.Revision != pending.Revision+1 {
			t.Fatalf("revision %d", res.Release.Revision)
		}
	})

	t.Run("uninstall keeping history", func(t *testing.T) {
		if _, err := (Uninstall{Config: cfg}).Run(ctx, UninstallOptions{Name: "life", Namespace: ns, KeepHistory: true, Wait: true, Timeout: time.Minute}); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.AppsV1().Deployments(ns).Get(ctx, "life-app", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("deployment should be gone: %v", err)
		}
		if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "life-kept", metav1.GetOptions{}); err != nil {
			t.Fatalf("kept configmap must survive uninstall: %v", err)
		}
		r, err := Get{Config: cfg}.Run(ctx, GetOptions{Name: "life", Namespace: ns})
		if err != nil || r.Status != release.StatusUninstalled {
			t.Fatalf("latest after uninstall: %v %v", r, err)
		}
	})
}

func statuses(h []*release.Release) []string {
	var out []string
	for _, r := range h {
		out = append(out, string(r.Status))
	}
	return out
}
