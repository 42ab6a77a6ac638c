package action_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/action/actiontest"
	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
)

// TestTakeOverOfPendingRevision pins the take-over of an operation that was killed:
// its lock abandoned and its revision left pending-upgrade, with an object applied. The
// next operation takes the lock over, marks the revision failed, says so in its result,
// and prunes what the interrupted revision applied and the new one lacks.
func TestTakeOverOfPendingRevision(t *testing.T) {
	e := actiontest.NewEnv()
	ctx := context.Background()
	f := defaultChart(t)
	install(t, e, "web", f, nil, action.DeployOptions{})

	// The killed upgrade: revision 2 pending, with one more object than revision 1.
	r1 := revision(t, e, "web", 1)
	r2 := *r1
	r2.Revision, r2.StoredVersion = 2, ""
	r2.SetStatus(release.StatusPendingUpgrade, "Operation in progress")
	r2.Inventory = append(slices.Clone(r1.Inventory), release.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: ns, Name: "web-extra"})
	if err := e.Storage.Create(ctx, &r2); err != nil {
		t.Fatal(err)
	}
	extra := e.Apply.Get("ConfigMap", ns, "web-config")
	extra.SetName("web-extra")
	e.Apply.Put(extra)
	e.Locker.Abandon(ns, "web", "cli@laptop-1")

	res := upgrade(t, e, action.UpgradeOptions{Name: "web", Chart: f})
	if res.TookOverFrom != "cli@laptop-1" || !reflect.DeepEqual(res.MarkedFailed, []int{2}) {
		t.Fatalf("lock facts %+v, want taken over from cli@laptop-1 and revision 2 marked failed", res.LockFacts)
	}
	if got := statuses(t, e, "web"); got != "1:superseded 2:failed 3:deployed" {
		t.Fatalf("history %s", got)
	}
	want := "Interrupted: an operation by cli@laptop-1 that did not finish (was pending-upgrade)"
	if d := revision(t, e, "web", 2).Description; d != want {
		t.Fatalf("revision 2 description %q, want %q", d, want)
	}
	if res.Pruned.Count(apply.ActionDeleted) != 1 || e.Apply.Get("ConfigMap", ns, "web-extra") != nil {
		t.Fatalf("web-extra, applied by the interrupted revision, was not pruned: %s", res.Pruned)
	}
	if !strings.Contains(e.Log.String(), "marked revision 2 of web failed") {
		t.Fatalf("log does not say it marked revision 2 failed:\n%s", e.Log)
	}
}

// TestPendingRevisionWithoutTakeOver pins that a revision left pending is marked failed
// by the next operation even when the lock was free (its holder released it): no
// release stays pending for ever.
func TestPendingRevisionWithoutTakeOver(t *testing.T) {
	e, _ := installedWeb(t, nil)
	r1 := revision(t, e, "web", 1)
	r1.SetStatus(release.StatusUninstalling, "Deletion in progress")
	if err := e.Storage.Update(context.Background(), r1); err != nil {
		t.Fatal(err)
	}
	res, err := action.Rollback{Config: e.Config}.Run(t.Context(), action.RollbackOptions{Name: "web", Namespace: ns, Revision: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.TookOverFrom != "" || !reflect.DeepEqual(res.MarkedFailed, []int{1}) {
		t.Fatalf("lock facts %+v", res.LockFacts)
	}
	if got := statuses(t, e, "web"); got != "1:failed 2:deployed" {
		t.Fatalf("history %s", got)
	}
}

// TestLostLockMidApply pins what a writer that loses its lock between two object writes
// does (the SIGSTOP scenario of issue 12): a second upgrade takes over and finishes
// while the first is paused; the first then fails with ErrLockLost and writes nothing
// more, no object and no record, so history shows what happened.
func TestLostLockMidApply(t *testing.T) {
	e := actiontest.NewEnv()
	install(t, e, "web", testChart(t, "1.0.0", "extra: true\n"), map[string]any{"rev": "a0"}, action.DeployOptions{})
	writesBefore := len(e.Apply.Writes())

	var (
		once               sync.Once
		secondErr          error
		second             *action.Result
		afterSecond        map[int]string
		writesAfterSecond  int
		firstWritesAtPause int
	)
	n := 0
	e.Apply.BeforeWrite = func(context.Context, release.ObjectRef) error {
		n++
		if n != 2 {
			return nil
		}
		once.Do(func() {
			// The first upgrade is paused between its first and second write, for longer
			// than its lease: another process takes the lock over and upgrades.
			firstWritesAtPause = len(e.Apply.Writes())
			if !e.Locker.Steal(ns, "web", "cli@laptop-2") {
				t.Error("no lock to steal")
			}
			e.Locker.Abandon(ns, "web", "cli@laptop-1")
			second, secondErr = action.Upgrade{Config: e.Config}.Run(context.Background(), action.UpgradeOptions{
				Name: "web", Namespace: ns, Chart: testChart(t, "1.0.0", "extra: true\n"), Values: map[string]any{"rev": "b"},
			})
			afterSecond = snapshot(t, e, "web")
			writesAfterSecond = len(e.Apply.Writes())
		})
		return nil
	}
	_, err := action.Upgrade{Config: e.Config}.Run(t.Context(), action.UpgradeOptions{
		Name: "web", Namespace: ns, Chart: testChart(t, "1.0.0", "extra: true\n"), Values: map[string]any{"rev": "a"},
	})
	if !errors.Is(err, storage.ErrLockLost) {
		t.Fatalf("first upgrade: %v, want an error wrapping ErrLockLost", err)
	}
	if secondErr != nil {
		t.Fatalf("second upgrade: %v", secondErr)
	}
	if firstWritesAtPause != writesBefore+1 {
		t.Fatalf("the first upgrade wrote %d objects before its pause, want 1", firstWritesAtPause-writesBefore)
	}
	if second.TookOverFrom != "cli@laptop-1" || !reflect.DeepEqual(second.MarkedFailed, []int{2}) {
		t.Fatalf("second upgrade's lock facts %+v", second.LockFacts)
	}
	if got := snapshot(t, e, "web"); !reflect.DeepEqual(got, afterSecond) {
		t.Fatal("the first upgrade wrote release records after it lost its lock")
	}
	if got := len(e.Apply.Writes()); got != writesAfterSecond {
		t.Fatalf("the first upgrade wrote %d objects after it lost its lock: %v", got-writesAfterSecond, e.Apply.Writes()[writesAfterSecond:])
	}
	if got := statuses(t, e, "web"); got != "1:superseded 2:failed 3:deployed" {
		t.Fatalf("history %s", got)
	}
	if got := seenValues(t, e, "web")["rev"]; got != "b" {
		t.Fatalf("the cluster has rev=%v, want the second upgrade's b", got)
	}
	if !strings.Contains(e.Log.String(), "nothing more was written") {
		t.Fatalf("the first upgrade did not log that it stopped:\n%s", e.Log)
	}
}

// TestRecordChangedByAnotherWriter pins that record writes are conditional: when the
// revision an upgrade is rolling out is changed in storage by another writer (one that
// ignored the lock), the upgrade's own update fails with ErrConflict instead of
// overwriting it.
func TestRecordChangedByAnotherWriter(t *testing.T) {
	e, f := installedWeb(t, nil)
	var once sync.Once
	e.Apply.BeforeWrite = func(ctx context.Context, _ release.ObjectRef) error {
		once.Do(func() {
			r, err := e.Storage.Get(ctx, ns, "web", 2)
			if err != nil {
				t.Error(err)
				return
			}
			r.SetStatus(release.StatusFailed, "changed by another writer")
			if err := e.Storage.Update(ctx, r); err != nil {
				t.Error(err)
			}
		})
		return nil
	}
	_, err := action.Upgrade{Config: e.Config}.Run(t.Context(), action.UpgradeOptions{Name: "web", Namespace: ns, Chart: f, Values: map[string]any{"msg": "two"}})
	if !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("upgrade: %v, want an error wrapping ErrConflict", err)
	}
	if d := revision(t, e, "web", 2).Description; d != "changed by another writer" {
		t.Fatalf("revision 2 was overwritten: %q", d)
	}

	// Two writers of the same record, each from its own read: the second one loses.
	a, b := revision(t, e, "web", 1), revision(t, e, "web", 1)
	a.Description, b.Description = "writer a", "writer b"
	if err := e.Storage.Update(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if err := e.Storage.Update(t.Context(), b); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("second writer: %v, want ErrConflict", err)
	}
	if d := revision(t, e, "web", 1).Description; d != "writer a" {
		t.Fatalf("revision 1 says %q, want the first writer's", d)
	}
}

// TestConcurrentOperationsAreSerialised pins that a second operation on a release whose
// lock is held fails with ErrLocked and writes nothing.
func TestConcurrentOperationsAreSerialised(t *testing.T) {
	e, f := installedWeb(t, nil)
	var once sync.Once
	var before map[int]string
	var inner error
	e.Apply.BeforeWrite = func(context.Context, release.ObjectRef) error {
		once.Do(func() {
			before = snapshot(t, e, "web")
			_, inner = action.Rollback{Config: e.Config}.Run(context.Background(), action.RollbackOptions{Name: "web", Namespace: ns, Revision: 1})
			if got := snapshot(t, e, "web"); !reflect.DeepEqual(got, before) {
				t.Error("the refused rollback wrote records")
			}
		})
		return nil
	}
	upgrade(t, e, action.UpgradeOptions{Name: "web", Chart: f, Values: map[string]any{"msg": "two"}})
	if !errors.Is(inner, storage.ErrLocked) {
		t.Fatalf("rollback during the upgrade: %v, want ErrLocked", inner)
	}
	if got := statuses(t, e, "web"); got != "1:superseded 2:deployed" {
		t.Fatalf("history %s", got)
	}
}

// TestLostLockDuringAtomicWait pins that an --atomic upgrade whose lock is taken over
// while it waits neither rolls back nor records its failure: the new holder owns the
// release now.
func TestLostLockDuringAtomicWait(t *testing.T) {
	e, f := installedWeb(t, nil)
	var before map[int]string
	var writes int
	e.Apply.OnWait = func(ctx context.Context, _ []release.ObjectRef) error {
		before, writes = snapshot(t, e, "web"), len(e.Apply.Writes())
		e.Locker.Steal(ns, "web", "controller-0")
		<-ctx.Done() // the operation's context ends with the lock
		return &apply.WaitError{Err: context.Cause(ctx)}
	}
	res, err := action.Upgrade{Config: e.Config}.Run(t.Context(), action.UpgradeOptions{
		Name: "web", Namespace: ns, Chart: f, Values: map[string]any{"msg": "two"}, DeployOptions: action.DeployOptions{Atomic: true},
	})
	if !errors.Is(err, storage.ErrLockLost) {
		t.Fatalf("upgrade: %v, want an error wrapping ErrLockLost", err)
	}
	if res.RolledBack || len(e.Apply.Waits()) != 1 {
		t.Fatalf("rolled back %v after %d waits: want no rollback", res.RolledBack, len(e.Apply.Waits()))
	}
	if !reflect.DeepEqual(snapshot(t, e, "web"), before) || len(e.Apply.Writes()) != writes {
		t.Fatal("the upgrade wrote after it lost its lock")
	}
	if got := statuses(t, e, "web"); got != "1:deployed 2:pending-upgrade" {
		t.Fatalf("history %s: the new holder, not the loser, marks revision 2 failed", got)
	}
}

// TestConcurrentReleases runs operations on many releases at once through one
// Configuration, as the controller does, and on one release from many goroutines:
// every release ends deployed with its own values, and on the shared release every
// operation either succeeded or was refused with ErrLocked (run with -race).
func TestConcurrentReleases(t *testing.T) {
	e := actiontest.NewEnv()
	f := defaultChart(t)
	install(t, e, "shared", f, nil, action.DeployOptions{})
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 8 {
		name := "rel-" + string(rune('a'+i))
		wg.Go(func() {
			if _, err := (action.Install{Config: e.Config}).Run(context.Background(), action.InstallOptions{Name: name, Namespace: ns, Chart: f, Values: map[string]any{"me": name}}); err != nil {
				errs <- err
				return
			}
			if _, err := (action.Upgrade{Config: e.Config}).Run(context.Background(), action.UpgradeOptions{Name: name, Namespace: ns, Chart: f, ReuseValues: true, Values: map[string]any{"step": 2}}); err != nil {
				errs <- err
			}
		})
		wg.Go(func() {
			_, err := action.Upgrade{Config: e.Config}.Run(context.Background(), action.UpgradeOptions{Name: "shared", Namespace: ns, Chart: f, Values: map[string]any{"by": name}})
			if err != nil && !errors.Is(err, storage.ErrLocked) {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range 8 {
		name := "rel-" + string(rune('a'+i))
		if got := statuses(t, e, name); got != "1:superseded 2:deployed" {
			t.Errorf("%s: history %s", name, got)
		}
		if v := seenValues(t, e, name); v["me"] != name || v["step"] != 2.0 {
			t.Errorf("%s: values %v", name, v)
		}
	}
	h, err := e.Storage.History(context.Background(), ns, "shared")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range h {
		if r.Status.IsPending() || r.Status == release.StatusFailed {
			t.Errorf("shared revision %d is %s", r.Revision, r.Status)
		}
	}
	if release.LastDeployed(h) != release.Latest(h) {
		t.Errorf("shared: the latest revision is not the deployed one: %s", statuses(t, e, "shared"))
	}
}

// TestLostLockMidUninstall pins the same for uninstall: once its lock is taken over
// between two deletions it deletes no more objects and writes no record; the next
// operation finds the revision left uninstalling and marks it failed.
func TestLostLockMidUninstall(t *testing.T) {
	e := actiontest.NewEnv()
	install(t, e, "web", testChart(t, "1.0.0", "extra: true\n"), nil, action.DeployOptions{})
	var before map[int]string
	var writes, n int
	e.Apply.BeforeWrite = func(context.Context, release.ObjectRef) error {
		if n++; n == 2 {
			before, writes = snapshot(t, e, "web"), len(e.Apply.Writes())
			e.Locker.Steal(ns, "web", "controller-0")
			e.Locker.Abandon(ns, "web", "cli@laptop-1")
		}
		return nil
	}
	_, err := action.Uninstall{Config: e.Config}.Run(t.Context(), action.UninstallOptions{Name: "web", Namespace: ns})
	if !errors.Is(err, storage.ErrLockLost) {
		t.Fatalf("uninstall: %v, want an error wrapping ErrLockLost", err)
	}
	if !reflect.DeepEqual(snapshot(t, e, "web"), before) || len(e.Apply.Writes()) != writes {
		t.Fatal("the uninstall wrote after it lost its lock")
	}
	if got := len(e.Apply.Objects()); got != 2 {
		t.Fatalf("%d objects left, want 2 (one was deleted before the lock was lost)", got)
	}
	e.Apply.BeforeWrite = nil
	res := upgrade(t, e, action.UpgradeOptions{Name: "web", Chart: testChart(t, "1.0.0", "extra: true\n")})
	if res.TookOverFrom != "cli@laptop-1" || !reflect.DeepEqual(res.MarkedFailed, []int{1}) || len(e.Apply.Objects()) != 3 {
		t.Fatalf("the next upgrade: %+v, %d objects", res.LockFacts, len(e.Apply.Objects()))
	}
	if got := statuses(t, e, "web"); got != "1:failed 2:deployed" {
		t.Fatalf("history %s", got)
	}
}
