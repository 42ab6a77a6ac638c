package action

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/kube/fence"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
)

// LockFacts are what taking a release's lock found and did, for a controller's
// conditions and events and the CLI's messages.
type LockFacts struct {
	// TookOverFrom names the holder of an expired lock this operation took over: that
	// operation crashed, was killed or lost its connection.
	TookOverFrom string `json:"tookOverFrom,omitempty"`
	// MarkedFailed are the revisions an interrupted operation left pending, now failed.
	MarkedFailed []int `json:"markedFailed,omitempty"`
}

// operation is one write operation on a release, under the release's lock. Its cfg is
// the Configuration with storage, applier and hooks that check the lock before every
// write, and its ctx ends with the caller's context or with the lock.
type operation struct {
	cfg   *Configuration
	lock  *storage.Lock
	ctx   context.Context
	facts LockFacts
	stop  func()
}

// begin takes the release's lock (creating the namespace first when it is missing and
// createNamespace is set: the Lease lives in it) and marks failed every revision an
// interrupted operation left pending, so no release stays pending for ever.
func (c *Configuration) begin(ctx context.Context, ns, name string, createNamespace bool) (*operation, error) {
	op, err := c.beginDryRun(ctx, ns, name, createNamespace)
	if err != nil {
		return nil, err
	}
	if err := op.failInterrupted(ns, name); err != nil {
		op.end()
		return nil, err
	}
	return op, nil
}

// beginDryRun takes the release's lock but repairs nothing: a dry run writes no record.
func (c *Configuration) beginDryRun(ctx context.Context, ns, name string, createNamespace bool) (*operation, error) {
	l, err := c.Locker.Lock(ctx, ns, name)
	if err != nil && namespaceMissing(err) {
		if !createNamespace {
			return nil, fmt.Errorf("release %s in %s: %w (create it, or install with --create-namespace)", name, ns, ErrNamespaceNotFound)
		}
		// An existing namespace is left alone, so users without the right to create
		// namespaces can use --create-namespace on namespaces that exist.
		if err := c.Cluster.CreateNamespace(ctx, ns); err != nil {
			return nil, err
		}
		l, err = c.Locker.Lock(ctx, ns, name)
	}
	if err != nil {
		return nil, err
	}
	octx, cancel := context.WithCancelCause(ctx)
	stopAfter := context.AfterFunc(l.Context(), func() { cancel(context.Cause(l.Context())) })
	g := *c
	g.Storage = guardedStorage{Driver: c.Storage, check: l.Check}
	g.Apply = guardedApplier{Applier: c.Apply, check: l.Check}
	g.Hooks = guardedHooks{next: c.Hooks, check: l.Check}
	op := &operation{cfg: &g, lock: l, ctx: fence.WithCheck(octx, l.Check)}
	op.stop = func() {
		stopAfter()
		cancel(nil)
		l.Release()
	}
	if l.TookOver {
		op.facts.TookOverFrom = l.PreviousHolder
	}
	return op, nil
}

// end releases the lock.
func (o *operation) end() { o.stop() }

// failInterrupted marks failed the revisions an interrupted operation left pending.
func (o *operation) failInterrupted(ns, name string) error {
	h, err := o.cfg.history(o.ctx, ns, name)
	if err != nil {
		return err
	}
	for _, r := range h {
		if !r.Status.IsPending() {
			continue
		}
		who := "an operation that did not finish"
		if o.facts.TookOverFrom != "" {
			who = "an operation by " + o.facts.TookOverFrom + " that did not finish"
		}
		was := r.Status
		r.SetStatus(release.StatusFailed, fmt.Sprintf("Interrupted: %s (was %s)", who, was))
		if err := o.cfg.Storage.Update(o.ctx, r); err != nil {
			return fmt.Errorf("marking interrupted revision %s failed: %w", r.Key(), err)
		}
		o.facts.MarkedFailed = append(o.facts.MarkedFailed, r.Revision)
		o.cfg.log().Warn(fmt.Sprintf("marked revision %d of %s failed: it was left %s by %s", r.Revision, name, was, who),
			"release", name, "namespace", ns, "revision", r.Revision, "was", string(was), "previousHolder", o.facts.TookOverFrom)
	}
	return nil
}

// lost is the lock's loss, if the operation lost it: then it must write nothing more,
// not even its own failure (the new holder records what happened).
func (o *operation) lost() error {
	if err := o.lock.Check(); errors.Is(err, storage.ErrLockLost) {
		return err
	}
	return nil
}

// check fails once the operation lost its lock (or gave it up).
func (o *operation) check() error { return o.lock.Check() }

// cleanup is a context for clean-up after a failure or the caller's cancellation:
// it ignores the caller's cancellation, but ends with the lock and after extra (plus
// the Configuration's clean-up timeout), never unbounded.
func (o *operation) cleanup(extra time.Duration) (context.Context, context.CancelFunc) {
	// The lock's context already carries its write check (see storage.Lock.Context).
	return context.WithTimeout(o.lock.Context(), extra+o.cfg.cleanupTimeout())
}

// guardedStorage checks the lock before every write.
type guardedStorage struct {
	storage.Driver
	check func() error
}

func (g guardedStorage) Create(ctx context.Context, r *release.Release) error {
	if err := g.check(); err != nil {
		return fmt.Errorf("storing %s: %w", r.Key(), err)
	}
	return g.Driver.Create(ctx, r)
}

func (g guardedStorage) Update(ctx context.Context, r *release.Release) error {
	if err := g.check(); err != nil {
		return fmt.Errorf("updating %s: %w", r.Key(), err)
	}
	return g.Driver.Update(ctx, r)
}

func (g guardedStorage) Delete(ctx context.Context, ns, name string, rev int) error {
	if err := g.check(); err != nil {
		return fmt.Errorf("deleting %s.v%d in %s: %w", name, rev, ns, err)
	}
	return g.Driver.Delete(ctx, ns, name, rev)
}

// guardedApplier checks the lock before every batch of writes (the fenced transport
// checks it again before each request of the batch).
type guardedApplier struct {
	Applier
	check func() error
}

func (g guardedApplier) Apply(ctx context.Context, objs []*unstructured.Unstructured, opts apply.ApplyOptions) (*apply.ChangeSet, error) {
	if !opts.DryRun {
		if err := g.check(); err != nil {
			return &apply.ChangeSet{}, err
		}
	}
	return g.Applier.Apply(ctx, objs, opts)
}

func (g guardedApplier) Prune(ctx context.Context, previous []release.ObjectRef, current []*unstructured.Unstructured, opts apply.PruneOptions) (*apply.ChangeSet, error) {
	if !opts.DryRun {
		if err := g.check(); err != nil {
			return &apply.ChangeSet{}, err
		}
	}
	return g.Applier.Prune(ctx, previous, current, opts)
}

func (g guardedApplier) Delete(ctx context.Context, objs []release.ObjectRef, opts apply.DeleteOptions) (*apply.ChangeSet, error) {
	if err := g.check(); err != nil {
		return &apply.ChangeSet{}, err
	}
	return g.Applier.Delete(ctx, objs, opts)
}

func (g guardedApplier) TakeOver(ctx context.Context, objs []*unstructured.Unstructured, opts apply.TakeOverOptions) (*apply.ChangeSet, error) {
	if err := g.check(); err != nil {
		return &apply.ChangeSet{}, err
	}
	return g.Applier.TakeOver(ctx, objs, opts)
}

// guardedHooks checks the lock before running a hook.
type guardedHooks struct {
	next  HookRunner
	check func() error
}

func (g guardedHooks) RunHook(ctx context.Context, r *release.Release, h *release.Hook, timeout time.Duration) error {
	if err := g.check(); err != nil {
		return err
	}
	return g.next.RunHook(ctx, r, h, timeout)
}
