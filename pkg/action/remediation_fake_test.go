package action_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/action/actiontest"
	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/release"
)

// TestUpgradeOfOnlyFailedRevisions pins Helm's rule that a release whose only revisions
// failed can be upgraded (from the latest one); the new revision prunes what the
// failed ones applied and it lacks.
func TestUpgradeOfOnlyFailedRevisions(t *testing.T) {
	e := actiontest.NewEnv()
	e.Apply.FailApply("web-app", errNotReady)
	_, err := action.Install{Config: e.Config}.Run(t.Context(), action.InstallOptions{
		Name: "web", Namespace: ns, Chart: testChart(t, "1.0.0", "extra: true\n"),
	})
	if !errors.Is(err, errNotReady) {
		t.Fatalf("install: %v", err)
	}
	if r := revision(t, e, "web", 1); r.Status != release.StatusFailed || len(r.Inventory) != 2 {
		t.Fatalf("revision 1: %s, inventory %v: want failed with the two ConfigMaps applied before the Deployment", r.Status, r.Inventory)
	}
	e.Apply.FailApply("web-app", nil)
	res := upgrade(t, e, action.UpgradeOptions{Name: "web", Chart: testChart(t, "1.0.0", "extra: true\n"), Values: map[string]any{"extra": false}})
	if res.Release.Revision != 2 || res.Release.Status != release.StatusDeployed {
		t.Fatalf("upgrade: revision %d %s", res.Release.Revision, res.Release.Status)
	}
	if e.Apply.Get("ConfigMap", ns, "web-extra") != nil || res.Pruned.Count(apply.ActionDeleted) != 1 {
		t.Fatalf("web-extra, applied by the failed install, was not pruned: %s", res.Pruned)
	}
	if got := statuses(t, e, "web"); got != "1:failed 2:deployed" {
		t.Fatalf("history %s", got)
	}
}

// TestUpgradeRefusals pins the upgrades that are refused before anything is written.
func TestUpgradeRefusals(t *testing.T) {
	e := actiontest.NewEnv()
	f := defaultChart(t)
	_, err := action.Upgrade{Config: e.Config}.Run(t.Context(), action.UpgradeOptions{Name: "web", Namespace: ns, Chart: f})
	if !errors.Is(err, action.ErrReleaseNotFound) {
		t.Fatalf("upgrade of a release that does not exist: %v, want ErrReleaseNotFound", err)
	}
	// A release uninstalled with --keep-history needs --install.
	install(t, e, "web", f, nil, action.DeployOptions{})
	if _, err := (action.Uninstall{Config: e.Config}).Run(t.Context(), action.UninstallOptions{Name: "web", Namespace: ns, KeepHistory: true}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, e, "web")
	_, err = action.Upgrade{Config: e.Config}.Run(t.Context(), action.UpgradeOptions{Name: "web", Namespace: ns, Chart: f})
	if !errors.Is(err, action.ErrReleaseNotFound) || !reflect.DeepEqual(snapshot(t, e, "web"), before) {
		t.Fatalf("upgrade of an uninstalled release: %v, want ErrReleaseNotFound and no write", err)
	}
	res := upgrade(t, e, action.UpgradeOptions{Name: "web", Chart: f, Install: true})
	if res.Release.Revision != 2 || res.Release.Status != release.StatusDeployed {
		t.Fatalf("upgrade --install of an uninstalled release: revision %d %s", res.Release.Revision, res.Release.Status)
	}
	if got := statuses(t, e, "web"); got != "1:uninstalled 2:deployed" {
		t.Fatalf("history %s", got)
	}
}

// TestInstallOverExistingRelease pins Helm's rule: only a failed or uninstalled release
// name can be installed again (as its next revision); a deployed one is in use.
func TestInstallOverExistingRelease(t *testing.T) {
	e := actiontest.NewEnv()
	f := defaultChart(t)
	e.Apply.FailWait(errNotReady)
	if _, err := (action.Install{Config: e.Config}).Run(t.Context(), action.InstallOptions{Name: "web", Namespace: ns, Chart: f, DeployOptions: action.DeployOptions{Wait: true}}); err == nil {
		t.Fatal("install whose wait fails succeeded")
	}
	e.Apply.FailWait(nil)
	res := install(t, e, "web", f, nil, action.DeployOptions{})
	if res.Release.Revision != 2 {
		t.Fatalf("install over a failed release: revision %d, want 2", res.Release.Revision)
	}
	if got := statuses(t, e, "web"); got != "1:failed 2:deployed" {
		t.Fatalf("history %s", got)
	}
	before := snapshot(t, e, "web")
	_, err := action.Install{Config: e.Config}.Run(t.Context(), action.InstallOptions{Name: "web", Namespace: ns, Chart: f})
	if !errors.Is(err, action.ErrNameInUse) || !reflect.DeepEqual(snapshot(t, e, "web"), before) {
		t.Fatalf("install over a deployed release: %v, want ErrNameInUse and no write", err)
	}
}

// TestDryRunWritesNothing pins that client and server dry runs of install and upgrade
// write no record and no object; the server one reports what would change.
func TestDryRunWritesNothing(t *testing.T) {
	e := actiontest.NewEnv()
	f := testChart(t, "1.0.0", "extra: true\n")
	for _, mode := range []action.DryRun{action.DryRunClient, action.DryRunServer} {
		res, err := action.Install{Config: e.Config}.Run(t.Context(), action.InstallOptions{Name: "web", Namespace: ns, Chart: f, DeployOptions: action.DeployOptions{DryRun: mode}})
		if err != nil {
			t.Fatalf("install --dry-run=%s: %v", mode, err)
		}
		if res.Release.Status != release.StatusPendingInstall || res.Release.Description != "Dry run complete" {
			t.Fatalf("install --dry-run=%s: %s %q", mode, res.Release.Status, res.Release.Description)
		}
		want := 0
		if mode == action.DryRunServer {
			want = 3
		}
		if got := res.Changes.Count(apply.ActionCreated); got != want {
			t.Fatalf("install --dry-run=%s: %d created, want %d: %s", mode, got, want, res.Changes)
		}
	}
	if len(e.Apply.Writes()) != 0 || statuses(t, e, "web") != "" || len(e.Hooks.Runs()) != 0 {
		t.Fatalf("dry-run installs wrote: objects %v, history %q, hooks %v", e.Apply.Writes(), statuses(t, e, "web"), e.Hooks.Runs())
	}

	install(t, e, "web", f, nil, action.DeployOptions{})
	before, writes, hooks := snapshot(t, e, "web"), len(e.Apply.Writes()), len(e.Hooks.Runs())
	for _, mode := range []action.DryRun{action.DryRunClient, action.DryRunServer} {
		res, err := action.Upgrade{Config: e.Config}.Run(t.Context(), action.UpgradeOptions{
			Name: "web", Namespace: ns, Chart: f, Values: map[string]any{"extra": false},
			DeployOptions: action.DeployOptions{DryRun: mode, Atomic: true},
		})
		if err != nil {
			t.Fatalf("upgrade --dry-run=%s: %v", mode, err)
		}
		if res.Release.Revision != 2 || res.Release.Status != release.StatusPendingUpgrade {
			t.Fatalf("upgrade --dry-run=%s: revision %d %s", mode, res.Release.Revision, res.Release.Status)
		}
		if mode == action.DryRunServer && res.Changes.Count(apply.ActionConfigured) != 1 {
			t.Fatalf("upgrade --dry-run=server: %s, want the config configured", res.Changes)
		}
	}
	if !reflect.DeepEqual(snapshot(t, e, "web"), before) || len(e.Apply.Writes()) != writes || len(e.Hooks.Runs()) != hooks || len(e.Apply.Waits()) != 0 {
		t.Fatal("dry-run upgrades wrote records or objects, ran hooks or waited")
	}
}

// TestFailedHook pins that a failing pre-upgrade hook fails the revision before any
// object is applied, and that the post hook does not run.
func TestFailedHook(t *testing.T) {
	e, f := installedWeb(t, nil)
	writes := len(e.Apply.Writes())
	e.Hooks.Fail("web-pre", errors.New("job failed"))
	_, err := action.Upgrade{Config: e.Config}.Run(t.Context(), action.UpgradeOptions{Name: "web", Namespace: ns, Chart: f, Values: map[string]any{"msg": "two"}})
	if err == nil {
		t.Fatal("upgrade with a failing hook succeeded")
	}
	runs := e.Hooks.Runs()
	if last := runs[len(runs)-1]; last.Name != "web-pre" || last.Revision != 2 || last.Err == nil {
		t.Fatalf("last hook run %+v, want web-pre of revision 2, failed", last)
	}
	if len(e.Apply.Writes()) != writes {
		t.Fatalf("objects applied after the pre-upgrade hook failed: %v", e.Apply.Writes()[writes:])
	}
	r := revision(t, e, "web", 2)
	phases := map[string]string{}
	for _, h := range r.Hooks {
		phases[h.Name] = h.LastRun.Phase
	}
	if r.Status != release.StatusFailed || phases["web-pre"] != "Failed" || phases["web-post"] != "" {
		t.Fatalf("revision 2: %s, hook runs %v: want failed, web-pre failed and web-post not run", r.Status, phases)
	}
}

// TestCleanupAfterCancellation pins the clean-up after the caller's cancellation during
// the wait of an upgrade: the revision is still recorded failed, and with --atomic the
// rollback still happens, within a bounded time of their own.
func TestCleanupAfterCancellation(t *testing.T) {
	for _, atomicUpgrade := range []bool{false, true} {
		t.Run(map[bool]string{false: "wait", true: "atomic"}[atomicUpgrade], func(t *testing.T) {
			e, f := installedWeb(t, map[string]any{"msg": "one"})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var waits atomic.Int32
			e.Apply.OnWait = func(wctx context.Context, _ []release.ObjectRef) error {
				if waits.Add(1) == 1 {
					cancel() // Ctrl-C during the wait
					<-wctx.Done()
					return &apply.WaitError{Err: context.Cause(wctx)}
				}
				if err := wctx.Err(); err != nil {
					return err
				}
				return nil
			}
			start := time.Now()
			res, err := action.Upgrade{Config: e.Config}.Run(ctx, action.UpgradeOptions{
				Name: "web", Namespace: ns, Chart: f, Values: map[string]any{"msg": "two"},
				DeployOptions: action.DeployOptions{Wait: true, Atomic: atomicUpgrade},
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("upgrade: %v, want an error wrapping context.Canceled", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("the clean-up took %s", d)
			}
			if r := revision(t, e, "web", 2); r.Status != release.StatusFailed {
				t.Fatalf("revision 2 is %s after the cancellation, want failed", r.Status)
			}
			if !atomicUpgrade {
				if got := statuses(t, e, "web"); got != "1:deployed 2:failed" {
					t.Fatalf("history %s", got)
				}
				return
			}
			if !res.RolledBack || res.RolledBackTo != 1 || waits.Load() != 2 {
				t.Fatalf("rolled back %v to %d after %d waits, want rolled back to 1 after 2", res.RolledBack, res.RolledBackTo, waits.Load())
			}
			if got := statuses(t, e, "web"); got != "1:superseded 2:failed 3:deployed" {
				t.Fatalf("history %s", got)
			}
			if got := seenValues(t, e, "web")["msg"]; got != "one" {
				t.Fatalf("the cluster has msg=%v, want revision 1's one", got)
			}
		})
	}
}

// TestCleanupIsBounded pins that the clean-up after a cancellation never runs
// unbounded: an --atomic rollback whose wait hangs ends by its own deadline (the
// upgrade's timeout plus the Configuration's clean-up timeout), and its failure is
// still recorded.
func TestCleanupIsBounded(t *testing.T) {
	e, f := installedWeb(t, nil)
	e.Config.CleanupTimeout = 200 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waits atomic.Int32
	e.Apply.OnWait = func(wctx context.Context, _ []release.ObjectRef) error {
		if waits.Add(1) == 1 {
			cancel()
		}
		<-wctx.Done() // never ready
		return &apply.WaitError{Err: context.Cause(wctx)}
	}
	start := time.Now()
	res, err := action.Upgrade{Config: e.Config}.Run(ctx, action.UpgradeOptions{
		Name: "web", Namespace: ns, Chart: f, Values: map[string]any{"msg": "two"},
		DeployOptions: action.DeployOptions{Atomic: true, Timeout: 100 * time.Millisecond},
	})
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the clean-up took %s", d)
	}
	if err == nil || res.RolledBack || waits.Load() != 2 {
		t.Fatalf("error %v, rolled back %v, %d waits: want a failed rollback after 2 waits", err, res.RolledBack, waits.Load())
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "rolling back after the failed upgrade") {
		t.Fatalf("error %v, want the rollback's deadline", err)
	}
	if got := statuses(t, e, "web"); got != "1:deployed 2:failed 3:failed" {
		t.Fatalf("history %s", got)
	}
}

// TestDryRunLeavesPendingRevision pins that a dry run writes nothing even where a real
// operation would repair something: a revision an interrupted operation left pending
// stays pending (the next real operation marks it failed).
func TestDryRunLeavesPendingRevision(t *testing.T) {
	e, f := installedWeb(t, nil)
	r2 := *revision(t, e, "web", 1)
	r2.Revision, r2.StoredVersion = 2, ""
	r2.SetStatus(release.StatusPendingUpgrade, "Operation in progress")
	if err := e.Storage.Create(context.Background(), &r2); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, e, "web")
	for _, mode := range []action.DryRun{action.DryRunClient, action.DryRunServer} {
		e.Locker.Abandon(ns, "web", "cli@laptop-1")
		res, err := action.Upgrade{Config: e.Config}.Run(t.Context(), action.UpgradeOptions{
			Name: "web", Namespace: ns, Chart: f, DeployOptions: action.DeployOptions{DryRun: mode},
		})
		if err != nil {
			t.Fatalf("upgrade --dry-run=%s: %v", mode, err)
		}
		if res.Release.Revision != 3 || len(res.MarkedFailed) != 0 {
			t.Fatalf("upgrade --dry-run=%s: revision %d, marked failed %v", mode, res.Release.Revision, res.MarkedFailed)
		}
	}
	if _, err := (action.Uninstall{Config: e.Config}).Run(t.Context(), action.UninstallOptions{Name: "web", Namespace: ns, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	rb, err := action.Rollback{Config: e.Config}.Run(t.Context(), action.RollbackOptions{Name: "web", Namespace: ns, Revision: 1, DeployOptions: action.DeployOptions{DryRun: action.DryRunServer}})
	if err != nil || rb.Release.Status != release.StatusPendingRollback {
		t.Fatalf("rollback --dry-run=server: %v", err)
	}
	if !reflect.DeepEqual(snapshot(t, e, "web"), before) {
		t.Fatalf("dry runs wrote records: history is now %s", statuses(t, e, "web"))
	}
	res := upgrade(t, e, action.UpgradeOptions{Name: "web", Chart: f})
	if !reflect.DeepEqual(res.MarkedFailed, []int{2}) {
		t.Fatalf("the real upgrade marked %v failed, want [2]", res.MarkedFailed)
	}
}
