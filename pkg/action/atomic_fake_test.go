package action_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/action/actiontest"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
)

var errNotReady = errors.New("deployment web-app is not ready")

// failFirstWait makes the first Wait fail and the later ones succeed (the rollback's).
func failFirstWait(e *actiontest.Env) *atomic.Int32 {
	var n atomic.Int32
	e.Apply.OnWait = func(context.Context, []release.ObjectRef) error {
		if n.Add(1) == 1 {
			return errNotReady
		}
		return nil
	}
	return &n
}

// TestUpgradeAtomicRollsBack pins upgrade --atomic: it waits without --wait, and when
// the wait fails it rolls back to the last deployed revision as a new revision, says so
// in the result, and returns the failure.
func TestUpgradeAtomicRollsBack(t *testing.T) {
	e, f := installedWeb(t, map[string]any{"msg": "one"})
	upgrade(t, e, action.UpgradeOptions{Name: "web", Chart: f, Values: map[string]any{"msg": "two"}})
	waits := failFirstWait(e)

	res, err := action.Upgrade{Config: e.Config}.Run(t.Context(), action.UpgradeOptions{
		Name: "web", Namespace: ns, Chart: f, Values: map[string]any{"msg": "three"},
		DeployOptions: action.DeployOptions{Atomic: true},
	})
	if !errors.Is(err, errNotReady) {
		t.Fatalf("error %v, want the wait's failure", err)
	}
	if waits.Load() != 2 {
		t.Fatalf("%d waits, want 2: --atomic waits for the upgrade and for the rollback", waits.Load())
	}
	if res == nil || !res.RolledBack || res.RolledBackTo != 2 {
		t.Fatalf("result %+v, want rolled back to 2", res)
	}
	if got := statuses(t, e, "web"); got != "1:superseded 2:superseded 3:failed 4:deployed" {
		t.Fatalf("history %s", got)
	}
	if d := revision(t, e, "web", 3).Description; !strings.HasPrefix(d, "Upgrade failed: ") || !strings.Contains(d, errNotReady.Error()) {
		t.Fatalf("revision 3 description %q", d)
	}
	if d := revision(t, e, "web", 4).Description; d != "Rollback to 2: upgrade to revision 3 failed" {
		t.Fatalf("revision 4 description %q", d)
	}
	if got := seenValues(t, e, "web")["msg"]; got != "two" {
		t.Fatalf("the cluster has msg=%v, want revision 2's two", got)
	}
}

// TestUpgradeAtomicWithoutDeployedRevision pins that upgrade --atomic of a release that
// was never deployed has nothing to roll back to: the failure is returned as is.
func TestUpgradeAtomicWithoutDeployedRevision(t *testing.T) {
	e := actiontest.NewEnv()
	f := defaultChart(t)
	e.Apply.FailApply("web-config", errors.New("admission webhook denied"))
	if _, err := (action.Install{Config: e.Config}).Run(t.Context(), action.InstallOptions{Name: "web", Namespace: ns, Chart: f}); err == nil {
		t.Fatal("install succeeded")
	}
	res, err := action.Upgrade{Config: e.Config}.Run(t.Context(), action.UpgradeOptions{
		Name: "web", Namespace: ns, Chart: f, DeployOptions: action.DeployOptions{Atomic: true},
	})
	if err == nil || res == nil || res.RolledBack {
		t.Fatalf("error %v, result %+v: want a failure without a rollback", err, res)
	}
	if got := statuses(t, e, "web"); got != "1:failed 2:failed" {
		t.Fatalf("history %s", got)
	}
}

// TestInstallAtomicUninstalls pins install --atomic: it waits, and a failure (of the
// wait, or of an object's apply) uninstalls the release, its objects and its history.
func TestInstallAtomicUninstalls(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fail      func(*actiontest.Env)
		wantWaits int
	}{
		{"wait fails", func(e *actiontest.Env) { e.Apply.FailWait(errNotReady) }, 1},
		{"apply fails", func(e *actiontest.Env) { e.Apply.FailApply("web-app", errNotReady) }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := actiontest.NewEnv()
			tc.fail(e)
			res, err := action.Install{Config: e.Config}.Run(t.Context(), action.InstallOptions{
				Name: "web", Namespace: ns, Chart: defaultChart(t), DeployOptions: action.DeployOptions{Atomic: true},
			})
			if !errors.Is(err, errNotReady) {
				t.Fatalf("error %v, want the failure", err)
			}
			if res == nil || !res.RolledBack || res.RolledBackTo != 0 {
				t.Fatalf("result %+v, want rolled back (uninstalled)", res)
			}
			if n := len(e.Apply.Waits()); n != tc.wantWaits {
				t.Fatalf("%d waits, want %d", n, tc.wantWaits)
			}
			if objs := e.Apply.Objects(); len(objs) != 0 {
				t.Fatalf("objects left after the uninstall: %v", objs)
			}
			if got := statuses(t, e, "web"); got != "" {
				t.Fatalf("history left after the uninstall: %s", got)
			}
			// The name is free again.
			e.Apply.FailWait(nil)
			e.Apply.FailApply("web-app", nil)
			if r := install(t, e, "web", defaultChart(t), nil, action.DeployOptions{}); r.Release.Revision != 1 {
				t.Fatalf("install again: revision %d", r.Release.Revision)
			}
		})
	}
}

// TestUpgradeWaitFailureWithoutAtomic pins that without --atomic a failed wait leaves
// the revision failed and the previous one deployed (nothing is rolled back).
func TestUpgradeWaitFailureWithoutAtomic(t *testing.T) {
	e, f := installedWeb(t, nil)
	e.Apply.FailWait(errNotReady)
	res, err := action.Upgrade{Config: e.Config}.Run(t.Context(), action.UpgradeOptions{
		Name: "web", Namespace: ns, Chart: f, Values: map[string]any{"msg": "two"}, DeployOptions: action.DeployOptions{Wait: true},
	})
	if !errors.Is(err, errNotReady) || res.RolledBack {
		t.Fatalf("error %v, rolled back %v", err, res.RolledBack)
	}
	if got := statuses(t, e, "web"); got != "1:deployed 2:failed" {
		t.Fatalf("history %s", got)
	}
	if r := revision(t, e, "web", 2); r.Status != release.StatusFailed || len(r.Inventory) != 2 {
		t.Fatalf("revision 2: %s, inventory %v (what it applied before failing)", r.Status, r.Inventory)
	}
}

// failingDeletes is a storage whose deletes fail (pruning history, then).
type failingDeletes struct{ storage.Driver }

var errStorageDown = errors.New("storage unavailable")

func (failingDeletes) Delete(context.Context, string, string, int) error { return errStorageDown }

// TestUpgradeAtomicKeepsSuccessfulRollout pins that --atomic undoes failed rollouts
// only: when the rollout succeeded and was recorded deployed, and only the bookkeeping
// after it failed (pruning history), the error is returned and nothing is rolled back.
func TestUpgradeAtomicKeepsSuccessfulRollout(t *testing.T) {
	e, f := installedWeb(t, map[string]any{"msg": "one"})
	e.Config.Storage = failingDeletes{e.Storage}
	res, err := action.Upgrade{Config: e.Config}.Run(t.Context(), action.UpgradeOptions{
		Name: "web", Namespace: ns, Chart: f, Values: map[string]any{"msg": "two"},
		DeployOptions: action.DeployOptions{Atomic: true, HistoryMax: 1},
	})
	if !errors.Is(err, errStorageDown) {
		t.Fatalf("upgrade: %v, want the pruning's failure", err)
	}
	if res.RolledBack {
		t.Fatalf("a rollout recorded deployed was rolled back: history %s", statuses(t, e, "web"))
	}
	if got := statuses(t, e, "web"); got != "1:superseded 2:deployed" {
		t.Fatalf("history %s", got)
	}
	if got := seenValues(t, e, "web")["msg"]; got != "two" {
		t.Fatalf("the cluster has msg=%v, want two", got)
	}
}

// TestUpgradeAtomicRollbackBookkeepingFails pins that the result says a rollback
// happened when its revision was recorded deployed, even if pruning history after it
// failed; every failure is in the error.
func TestUpgradeAtomicRollbackBookkeepingFails(t *testing.T) {
	e, f := installedWeb(t, map[string]any{"msg": "one"})
	failFirstWait(e)
	e.Config.Storage = failingDeletes{e.Storage}
	res, err := action.Upgrade{Config: e.Config}.Run(t.Context(), action.UpgradeOptions{
		Name: "web", Namespace: ns, Chart: f, Values: map[string]any{"msg": "two"},
		DeployOptions: action.DeployOptions{Atomic: true, HistoryMax: 1},
	})
	if !errors.Is(err, errNotReady) || !errors.Is(err, errStorageDown) {
		t.Fatalf("upgrade: %v, want the wait's and the pruning's failures", err)
	}
	if !res.RolledBack || res.RolledBackTo != 1 {
		t.Fatalf("rolled back %v to %d, want rolled back to 1", res.RolledBack, res.RolledBackTo)
	}
	if got := statuses(t, e, "web"); got != "1:superseded 2:failed 3:deployed" {
		t.Fatalf("history %s", got)
	}
	if got := seenValues(t, e, "web")["msg"]; got != "one" {
		t.Fatalf("the cluster has msg=%v, want one", got)
	}
}

// TestInstallAtomicKeepsSuccessfulRollout pins the same for install --atomic: an install
// recorded deployed is not uninstalled because pruning history after it failed.
func TestInstallAtomicKeepsSuccessfulRollout(t *testing.T) {
	e := actiontest.NewEnv()
	f := defaultChart(t)
	e.Apply.FailApply("web-app", errNotReady)
	if _, err := (action.Install{Config: e.Config}).Run(t.Context(), action.InstallOptions{Name: "web", Namespace: ns, Chart: f}); err == nil {
		t.Fatal("install succeeded")
	}
	e.Apply.FailApply("web-app", nil)
	e.Config.Storage = failingDeletes{e.Storage}
	res, err := action.Install{Config: e.Config}.Run(t.Context(), action.InstallOptions{
		Name: "web", Namespace: ns, Chart: f, DeployOptions: action.DeployOptions{Atomic: true, HistoryMax: 1},
	})
	if !errors.Is(err, errStorageDown) || res.RolledBack {
		t.Fatalf("install: %v, rolled back %v: want the pruning's failure and no uninstall", err, res.RolledBack)
	}
	if got := statuses(t, e, "web"); got != "1:failed 2:deployed" {
		t.Fatalf("history %s", got)
	}
	if e.Apply.Get("Deployment", ns, "web-app") == nil {
		t.Fatal("the installed Deployment was deleted")
	}
}
