package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/hoist-dev/hoist/pkg/kube/fence"
)

// Errors callers branch on.
var (
	// ErrLocked is returned when another live operation holds a release's lock.
	ErrLocked = errors.New("another operation is in progress on this release")
	// ErrLockLost ends an operation whose lock is no longer its own: another holder took
	// it over, renewing failed for longer than the lease lives, or this process was paused
	// past the lease's life. Such an operation must not write again.
	ErrLockLost = errors.New("lost the release lock")
	// errLockReleased ends the lock's context once the operation gave the lock up.
	errLockReleased = errors.New("the release lock was released")
)

// Lock is a held release lock. Its Context ends when the lock is lost or released,
// and every mutating API request made with a context derived from it first checks
// that the lock is still held (see package fence).
type Lock struct {
	// TookOver reports that the previous holder's lease had expired: its operation
	// crashed or was killed, and the revision it left pending must be marked failed.
	TookOver bool
	// PreviousHolder names who held the expired lease.
	PreviousHolder string

	ctx    context.Context
	cancel context.CancelCauseFunc
	// unfenced is ctx without the write check: renewals keep the lock, so they must
	// not depend on it.
	unfenced context.Context
	// ttl is how long the lock lasts after its last renewal (0: for ever, MemoryLocker).
	ttl time.Duration
	// clock reads this process's monotonic clock (time.Now keeps a monotonic reading),
	// which goes on while the process is stopped, unlike a timer it would wait for.
	clock   func() time.Time
	mu      sync.Mutex
	renewed time.Time

	release func()
}

func newLock(parent context.Context, ttl time.Duration, clock func() time.Time) *Lock {
	if clock == nil {
		clock = time.Now
	}
	l := &Lock{ttl: ttl, clock: clock, renewed: clock()}
	// The lock outlives the caller's cancellation: clean-up after Ctrl-C still needs it.
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	l.ctx, l.cancel, l.unfenced = fence.WithCheck(ctx, l.Check), cancel, ctx
	return l
}

// Context ends when the lock is lost (cause wraps ErrLockLost) or released. Mutating
// requests made with it, or with a context derived from it, fail without being sent
// once Check fails.
func (l *Lock) Context() context.Context { return l.ctx }

// Check reports whether the lock is still held: its context has not ended and, by this
// process's own monotonic clock, its last successful renewal is younger than the
// lease. A failed check loses the lock for good.
func (l *Lock) Check() error {
	if l.ctx.Err() != nil {
		return context.Cause(l.ctx)
	}
	if l.ttl <= 0 {
		return nil
	}
	l.mu.Lock()
	age := l.clock().Sub(l.renewed)
	l.mu.Unlock()
	if age >= l.ttl {
		l.lose(fmt.Errorf("%w: its last renewal was %s ago and the lease lasts %s (was this process paused?)", ErrLockLost, age.Round(time.Millisecond), l.ttl))
		return context.Cause(l.ctx)
	}
	return nil
}

// lose ends the lock's context with err (the first cause wins).
func (l *Lock) lose(err error) { l.cancel(err) }

func (l *Lock) renewedAt(t time.Time) {
	l.mu.Lock()
	if t.After(l.renewed) {
		l.renewed = t
	}
	l.mu.Unlock()
}

// Release gives the lock up (safe to call more than once).
func (l *Lock) Release() {
	if l == nil {
		return
	}
	if l.cancel != nil {
		l.cancel(errLockReleased)
	}
	if l.release != nil {
		l.release()
		l.release = nil
	}
}

// Locker serialises operations on a release.
type Locker interface {
	Lock(ctx context.Context, namespace, name string) (*Lock, error)
	// Unlock removes a release's lock (see LeaseLocker.Unlock) and names its holder.
	Unlock(ctx context.Context, namespace, name string, force bool) (string, error)
}

// LeaseLocker locks a release with a coordination.k8s.io Lease named
// hoist.release.<name>, renewed while the operation runs. A holder that dies stops
// renewing; once the lease has expired the next operation takes over.
type LeaseLocker struct {
	Client kubernetes.Interface
	// Identity names this holder (user, host and process); shown to others.
	Identity string
	// Duration is how long a lease lives without renewal (default 30 s).
	Duration time.Duration
	// Now is the wall clock written into leases and compared with others' (default
	// time.Now).
	Now func() time.Time
	// Monotonic is the clock a held lock measures its own age with, and a take-over the
	// silence of a lease (default time.Now, whose monotonic reading is what counts).
	Monotonic func() time.Time
	// Log receives what locking waits for (nil: nothing).
	Log *slog.Logger

	// sleep waits (tests replace it to move their clock instead).
	sleep func(ctx context.Context, d time.Duration) error
}

// LeaseName is the Lease that locks a release.
func LeaseName(release string) string { return "hoist.release." + release }

func (l *LeaseLocker) duration() time.Duration {
	if l.Duration > 0 {
		return l.Duration
	}
	return 30 * time.Second
}

func (l *LeaseLocker) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Lock takes the release's lease, or fails with ErrLocked naming the holder.
func (l *LeaseLocker) Lock(ctx context.Context, ns, name string) (*Lock, error) {
	leases := l.Client.CoordinationV1().Leases(ns)
	lock := newLock(ctx, l.duration(), l.Monotonic)
	// The lock's age counts from before the request that takes it.
	now := metav1.NewMicroTime(l.now())
	secs := int32(l.duration() / time.Second)
	spec := coordinationv1.LeaseSpec{
		HolderIdentity: ptr.To(l.Identity), LeaseDurationSeconds: ptr.To(secs),
		AcquireTime: &now, RenewTime: &now,
	}
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: LeaseName(name), Namespace: ns, Labels: map[string]string{LabelOwner: ownerValue, LabelName: name}},
		Spec:       spec,
	}
	fail := func(err error) (*Lock, error) {
		lock.cancel(err)
		return nil, err
	}
	created, err := leases.Create(ctx, lease, metav1.CreateOptions{})
	switch {
	case err == nil:
		lease = created
	case apierrors.IsAlreadyExists(err):
		cur, gerr := leases.Get(ctx, LeaseName(name), metav1.GetOptions{})
		if gerr != nil {
			return fail(fmt.Errorf("locking release %s in %s: %w", name, ns, gerr))
		}
		holder := ptr.Deref(cur.Spec.HolderIdentity, "")
		if holder != "" {
			if l.looksLive(cur) {
				since := ""
				if cur.Spec.AcquireTime != nil {
					since = " since " + cur.Spec.AcquireTime.UTC().Format(time.RFC3339)
				}
				return fail(fmt.Errorf("release %s in %s: %w (held by %s%s; if that operation died, the next one takes over once its lease has gone %s without renewal, or run hoist unlock %s)",
					name, ns, ErrLocked, holder, since, declaredDuration(cur, l.duration()), name))
			}
			// It looks expired by this machine's clock, which proves nothing when clocks
			// differ: take over only after seeing no renewal for the lease's whole
			// duration, measured on this process's own clock (as client-go's leader
			// election decides).
			if cur, err = l.awaitSilence(ctx, leases, cur, name); err != nil {
				return fail(err)
			}
		}
		lock.TookOver = holder != ""
		lock.PreviousHolder = holder
		// The lock's age counts from this request, not from before the wait.
		asked := lock.clock()
		takeover := metav1.NewMicroTime(l.now())
		spec.AcquireTime, spec.RenewTime = &takeover, &takeover
		cur.Spec = spec
		// Conditional on the resourceVersion read: of two takers, one wins.
		if lease, err = leases.Update(ctx, cur, metav1.UpdateOptions{}); err == nil {
			lock.renewedAt(asked)
		} else {
			if apierrors.IsConflict(err) {
				return fail(fmt.Errorf("release %s in %s: %w (another operation took the lock at the same moment)", name, ns, ErrLocked))
			}
			return fail(fmt.Errorf("locking release %s in %s: %w", name, ns, err))
		}
	default:
		return fail(fmt.Errorf("locking release %s in %s: %w", name, ns, err))
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		l.renew(lock, leases, lease)
	}()
	lock.release = func() {
		<-done
		// Delete only our own lease: after a long stall another holder may have it.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if cur, err := leases.Get(cctx, LeaseName(name), metav1.GetOptions{}); err == nil && ptr.Deref(cur.Spec.HolderIdentity, "") == l.Identity {
			_ = leases.Delete(cctx, cur.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &cur.ResourceVersion}})
		}
	}
	return lock, nil
}

// leaseClient is the part of the Leases client renewal uses.
type leaseClient interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*coordinationv1.Lease, error)
	Update(ctx context.Context, lease *coordinationv1.Lease, opts metav1.UpdateOptions) (*coordinationv1.Lease, error)
}

// renew renews the lease every third of its duration until the lock ends, and loses
// the lock when someone else holds the lease, it is gone, or renewing has failed for
// as long as the lease lives. Renewals are conditional on the resourceVersion last
// seen, so a renewal never overwrites another holder's lease.
func (l *LeaseLocker) renew(lock *Lock, leases leaseClient, cur *coordinationv1.Lease) {
	every := l.duration() / 3
	t := time.NewTicker(every)
	defer t.Stop()
	ctx := lock.unfenced
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if lock.Check() != nil {
			return
		}
		start := lock.clock()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), every)
		renewed := metav1.NewMicroTime(l.now())
		next := cur.DeepCopy()
		next.Spec.RenewTime = &renewed
		got, err := leases.Update(rctx, next, metav1.UpdateOptions{})
		if err == nil {
			cur = got
			lock.renewedAt(start)
			cancel()
			continue
		}
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			fresh, gerr := leases.Get(rctx, cur.Name, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(gerr):
				lock.lose(fmt.Errorf("%w: its lease %s/%s was deleted", ErrLockLost, cur.Namespace, cur.Name))
			case gerr != nil:
				// Transient: Check loses the lock if this lasts as long as the lease.
			case ptr.Deref(fresh.Spec.HolderIdentity, "") != l.Identity || !sameAcquire(fresh, cur):
				lock.lose(fmt.Errorf("%w: %s took it over", ErrLockLost, ptr.Deref(fresh.Spec.HolderIdentity, "another operation")))
			default:
				// Still ours (an earlier renewal landed but its answer did not): go on from it.
				cur = fresh
			}
		}
		cancel()
	}
}

// sameAcquire reports whether two views of a lease are the same holding: a process
// that locks the same release twice under one identity holds it twice, not once.
func sameAcquire(a, b *coordinationv1.Lease) bool {
	if a.Spec.AcquireTime == nil || b.Spec.AcquireTime == nil {
		return a.Spec.AcquireTime == b.Spec.AcquireTime
	}
	return a.Spec.AcquireTime.Equal(b.Spec.AcquireTime)
}

// looksLive reports whether the lease was renewed within its duration by this machine's
// clock, and not implausibly far in the future (a holder whose clock runs fast). A lease
// that looks live is refused at once; one that does not is only a candidate for a
// take-over, decided by awaitSilence.
func (l *LeaseLocker) looksLive(lease *coordinationv1.Lease) bool {
	renew := lease.Spec.RenewTime
	if renew == nil {
		renew = lease.Spec.AcquireTime
	}
	if renew == nil {
		return false
	}
	d, now := declaredDuration(lease, l.duration()), l.now()
	return now.Before(renew.Add(d)) && renew.Time.Before(now.Add(d))
}

// declaredDuration is the lease's own duration (its holder's setting), else def.
func declaredDuration(lease *coordinationv1.Lease, def time.Duration) time.Duration {
	if s := ptr.Deref(lease.Spec.LeaseDurationSeconds, 0); s > 0 {
		return time.Duration(s) * time.Second
	}
	return def
}

// renewalOf identifies one renewal of a lease: any change means its holder is alive
// (or another took it). The resourceVersion alone would do on a real server.
func renewalOf(lease *coordinationv1.Lease) string {
	var renew string
	if lease.Spec.RenewTime != nil {
		renew = lease.Spec.RenewTime.UTC().Format(time.RFC3339Nano)
	}
	return lease.ResourceVersion + "|" + ptr.Deref(lease.Spec.HolderIdentity, "") + "|" + renew
}

// awaitSilence watches a lease for its duration on this process's monotonic clock and
// returns it once it has not changed for that long; a renewal in the meantime means its
// holder is alive, and fails with ErrLocked.
func (l *LeaseLocker) awaitSilence(ctx context.Context, leases leaseClient, cur *coordinationv1.Lease, name string) (*coordinationv1.Lease, error) {
	mono := l.Monotonic
	if mono == nil {
		mono = time.Now
	}
	sleep := l.sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	d := declaredDuration(cur, l.duration())
	holder := ptr.Deref(cur.Spec.HolderIdentity, "")
	if l.Log != nil {
		l.Log.Info(fmt.Sprintf("release %s is locked by %s, whose lease looks expired; waiting %s for it to renew before taking over", name, holder, d),
			"release", name, "namespace", cur.Namespace, "holder", holder, "wait", d.String())
	}
	seen, start := renewalOf(cur), mono()
	step := min(d/10, time.Second)
	for mono().Sub(start) < d {
		if err := sleep(ctx, step); err != nil {
			return nil, fmt.Errorf("locking release %s in %s: %w", name, cur.Namespace, err)
		}
		fresh, err := leases.Get(ctx, cur.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("release %s in %s: %w (its holder %s released it just now; try again)", name, cur.Namespace, ErrLocked, holder)
		}
		if err != nil {
			return nil, fmt.Errorf("locking release %s in %s: %w", name, cur.Namespace, err)
		}
		if renewalOf(fresh) != seen {
			return nil, fmt.Errorf("release %s in %s: %w (held by %s, which renewed its lease while this operation waited: its clock differs from this machine's, but it is alive)",
				name, cur.Namespace, ErrLocked, ptr.Deref(fresh.Spec.HolderIdentity, holder))
		}
		cur = fresh
	}
	return cur, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Unlock removes a release's lease, so that the next operation starts without waiting
// for a take-over. Without force it first watches the lease for its duration and
// refuses, naming the holder, if the holder renews it: that operation is alive. It
// returns the holder it removed ("" when the release was not locked).
func (l *LeaseLocker) Unlock(ctx context.Context, ns, name string, force bool) (string, error) {
	leases := l.Client.CoordinationV1().Leases(ns)
	cur, err := leases.Get(ctx, LeaseName(name), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the lock of release %s in %s: %w", name, ns, err)
	}
	holder := ptr.Deref(cur.Spec.HolderIdentity, "")
	if !force && holder != "" {
		if cur, err = l.awaitSilence(ctx, leases, cur, name); err != nil {
			return holder, fmt.Errorf("%w; hoist unlock --force removes it anyway (only if you know that operation is gone)", err)
		}
	}
	err = leases.Delete(ctx, cur.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &cur.ResourceVersion}})
	if apierrors.IsConflict(err) {
		return holder, fmt.Errorf("release %s in %s: %w (its lease changed while unlocking; try again)", name, ns, ErrLocked)
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return holder, fmt.Errorf("unlocking release %s in %s: %w", name, ns, err)
	}
	return holder, nil
}

// MemoryLocker is a Locker within one process (tests and fakes); safe for concurrent use.
type MemoryLocker struct {
	mu   sync.Mutex
	held map[string]*Lock
	// abandoned are locks whose holder "died": the next Lock takes them over.
	abandoned map[string]string
}

// Lock implements Locker.
func (m *MemoryLocker) Lock(ctx context.Context, ns, name string) (*Lock, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held == nil {
		m.held = map[string]*Lock{}
	}
	k := ns + "/" + name
	if m.held[k] != nil {
		return nil, fmt.Errorf("release %s in %s: %w", name, ns, ErrLocked)
	}
	l := newLock(ctx, 0, nil)
	if prev, ok := m.abandoned[k]; ok {
		l.TookOver, l.PreviousHolder = true, prev
		delete(m.abandoned, k)
	}
	m.held[k] = l
	l.release = func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.held[k] == l {
			delete(m.held, k)
		}
	}
	return l, nil
}

// Unlock implements Locker: a held lock is refused unless force, which takes it away
// from its holder as Steal does.
func (m *MemoryLocker) Unlock(_ context.Context, ns, name string, force bool) (string, error) {
	m.mu.Lock()
	k := ns + "/" + name
	l := m.held[k]
	m.mu.Unlock()
	if l == nil {
		return "", nil
	}
	if !force {
		return "a holder in this process", fmt.Errorf("release %s in %s: %w (held in this process)", name, ns, ErrLocked)
	}
	m.Steal(ns, name, "hoist unlock --force")
	return "a holder in this process", nil
}

// Steal takes a held lock away from its holder, as another process taking over an
// expired lease does; the holder's lock context ends with ErrLockLost. It reports
// whether a lock was held.
func (m *MemoryLocker) Steal(ns, name, by string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := ns + "/" + name
	l := m.held[k]
	if l == nil {
		return false
	}
	delete(m.held, k)
	l.lose(fmt.Errorf("%w: %s took it over", ErrLockLost, by))
	return true
}

// Abandon makes the next Lock of the release a take-over from holder, as after a
// process that held it was killed.
func (m *MemoryLocker) Abandon(ns, name, holder string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.abandoned == nil {
		m.abandoned = map[string]string{}
	}
	m.abandoned[ns+"/"+name] = holder
}
