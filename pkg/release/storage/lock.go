package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// ErrLocked is returned when another live operation holds a release's lock.
var ErrLocked = errors.New("another operation is in progress on this release")

// Lock is a held release lock.
type Lock struct {
	// TookOver reports that the previous holder's lease had expired: its operation
	// crashed or was killed, and the revision it left pending must be marked failed.
	TookOver bool
	// PreviousHolder names who held the expired lease.
	PreviousHolder string

	release func()
}

// Release gives the lock up (safe to call more than once).
func (l *Lock) Release() {
	if l != nil && l.release != nil {
		l.release()
		l.release = nil
	}
}

// Locker serialises operations on a release.
type Locker interface {
	Lock(ctx context.Context, namespace, name string) (*Lock, error)
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
	// Now is the clock (default time.Now).
	Now func() time.Time
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
	lock := &Lock{}
	created, err := leases.Create(ctx, lease, metav1.CreateOptions{})
	switch {
	case err == nil:
		lease = created
	case apierrors.IsAlreadyExists(err):
		cur, gerr := leases.Get(ctx, LeaseName(name), metav1.GetOptions{})
		if gerr != nil {
			return nil, fmt.Errorf("locking release %s in %s: %w", name, ns, gerr)
		}
		holder := ptr.Deref(cur.Spec.HolderIdentity, "")
		if holder != "" && !l.expired(cur) {
			since := ""
			if cur.Spec.AcquireTime != nil {
				since = " since " + cur.Spec.AcquireTime.UTC().Format(time.RFC3339)
			}
			return nil, fmt.Errorf("release %s in %s: %w (held by %s%s; it expires %s after its last renewal if that operation died)",
				name, ns, ErrLocked, holder, since, l.duration())
		}
		lock.TookOver = holder != ""
		lock.PreviousHolder = holder
		cur.Spec = spec
		if lease, err = leases.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			if apierrors.IsConflict(err) {
				return nil, fmt.Errorf("release %s in %s: %w (another operation took the lock at the same moment)", name, ns, ErrLocked)
			}
			return nil, fmt.Errorf("locking release %s in %s: %w", name, ns, err)
		}
	default:
		return nil, fmt.Errorf("locking release %s in %s: %w", name, ns, err)
	}

	renewCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(l.duration() / 3)
		defer t.Stop()
		cur := lease
		for {
			select {
			case <-renewCtx.Done():
				return
			case <-t.C:
				renewed := metav1.NewMicroTime(l.now())
				cur.Spec.RenewTime = &renewed
				if next, err := leases.Update(renewCtx, cur, metav1.UpdateOptions{}); err == nil {
					cur = next
				} else if fresh, gerr := leases.Get(renewCtx, cur.Name, metav1.GetOptions{}); gerr == nil &&
					ptr.Deref(fresh.Spec.HolderIdentity, "") == l.Identity {
					cur = fresh
				}
			}
		}
	}()
	lock.release = func() {
		stop()
		<-done
		// Delete only our own lease: after a long stall another holder may have it.
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if cur, err := leases.Get(cctx, LeaseName(name), metav1.GetOptions{}); err == nil && ptr.Deref(cur.Spec.HolderIdentity, "") == l.Identity {
			_ = leases.Delete(cctx, cur.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &cur.ResourceVersion}})
		}
	}
	return lock, nil
}

func (l *LeaseLocker) expired(lease *coordinationv1.Lease) bool {
	renew := lease.Spec.RenewTime
	if renew == nil {
		renew = lease.Spec.AcquireTime
	}
	if renew == nil {
		return true
	}
	d := time.Duration(ptr.Deref(lease.Spec.LeaseDurationSeconds, int32(l.duration()/time.Second))) * time.Second
	return l.now().After(renew.Add(d))
}

// MemoryLocker is a Locker for tests, within one process.
type MemoryLocker struct{ held map[string]bool }

// Lock implements Locker.
func (m *MemoryLocker) Lock(_ context.Context, ns, name string) (*Lock, error) {
	if m.held == nil {
		m.held = map[string]bool{}
	}
	k := ns + "/" + name
	if m.held[k] {
		return nil, fmt.Errorf("release %s in %s: %w", name, ns, ErrLocked)
	}
	m.held[k] = true
	return &Lock{release: func() { delete(m.held, k) }}, nil
}
