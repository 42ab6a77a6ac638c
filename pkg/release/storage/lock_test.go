package storage

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/hoist-dev/hoist/pkg/kube/fence"
	"github.com/hoist-dev/hoist/pkg/testenv"
)

func lockContract(t *testing.T, newLocker func(id string, now func() time.Time) Locker, ns string) {
	ctx := context.Background()
	clock := time.Now()
	now := func() time.Time { return clock }
	a, b := newLocker("a", now), newLocker("b", now)
	la, err := a.Lock(ctx, ns, "web")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Lock(ctx, ns, "web"); !errors.Is(err, ErrLocked) {
		t.Fatalf("second holder: %v, want ErrLocked", err)
	}
	if lo, err := b.Lock(ctx, ns, "other"); err != nil {
		t.Fatalf("other release: %v", err)
	} else {
		lo.Release()
	}
	la.Release()
	lb, err := b.Lock(ctx, ns, "web")
	if err != nil || lb.TookOver {
		t.Fatalf("after release: %v took over %v", err, lb != nil && lb.TookOver)
	}
	// b "dies" (never releases); after the lease expires a takes over.
	clock = clock.Add(31 * time.Second)
	la2, err := a.Lock(ctx, ns, "web")
	if err != nil || !la2.TookOver {
		t.Fatalf("takeover after expiry: %v", err)
	}
	la2.Release()
}

func TestLeaseLocker(t *testing.T) {
	client := fake.NewClientset()
	lockContract(t, func(id string, now func() time.Time) Locker {
		return &LeaseLocker{Client: client, Identity: id, Now: now}
	}, "ns")
}

func TestE2ELeaseLocker(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	cs, err := env.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	lockContract(t, func(id string, now func() time.Time) Locker {
		return &LeaseLocker{Client: cs, Identity: id, Now: now}
	}, ns)
}

func TestLockLostByItsOwnClock(t *testing.T) {
	mono := time.Now()
	clock := func() time.Time { return mono }
	l := &LeaseLocker{Client: fake.NewClientset(), Identity: "a", Monotonic: clock}
	lock, err := l.Lock(context.Background(), "ns", "web")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	if err := lock.Check(); err != nil {
		t.Fatalf("fresh lock: %v", err)
	}
	// The process was stopped for longer than the lease lives: nothing renewed it.
	mono = mono.Add(31 * time.Second)
	err = lock.Check()
	if !errors.Is(err, ErrLockLost) {
		t.Fatalf("check after a pause: %v, want ErrLockLost", err)
	}
	if !errors.Is(context.Cause(lock.Context()), ErrLockLost) {
		t.Fatalf("context cause: %v", context.Cause(lock.Context()))
	}
	// Writes made with the lock's context fail before they are sent.
	if err := fence.Check(lock.Context()); !errors.Is(err, ErrLockLost) {
		t.Fatalf("fence: %v", err)
	}
	// Lost for good, even if the clock were to look fine again.
	mono = mono.Add(-31 * time.Second)
	if err := lock.Check(); !errors.Is(err, ErrLockLost) {
		t.Fatalf("lost lock came back: %v", err)
	}
}

func TestLockOutlivesCallerCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var m MemoryLocker
	lock, err := m.Lock(ctx, "ns", "web")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	// Clean-up after Ctrl-C still holds the lock.
	if err := lock.Check(); err != nil {
		t.Fatalf("after the caller's cancellation: %v", err)
	}
	lock.Release()
	if lock.Check() == nil || lock.Context().Err() == nil {
		t.Fatal("a released lock still checks out")
	}
}

func TestMemoryLockerConcurrentAndSteal(t *testing.T) {
	var m MemoryLocker
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := m.Lock(ctx, "ns", "web"); err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			} else if !errors.Is(err, ErrLocked) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d goroutines got the lock, want 1", won)
	}
	if !m.Steal("ns", "web", "someone") {
		t.Fatal("nothing to steal")
	}
	l, err := m.Lock(ctx, "ns", "web")
	if err != nil {
		t.Fatalf("after a steal: %v", err)
	}
	m.Steal("ns", "web", "other@host")
	if err := l.Check(); !errors.Is(err, ErrLockLost) || !strings.Contains(err.Error(), "other@host") {
		t.Fatalf("stolen lock: %v", err)
	}
	l.Release() // must not free the thief's lock
	m.Abandon("ns", "api", "killed@host")
	l2, err := m.Lock(ctx, "ns", "api")
	if err != nil || !l2.TookOver || l2.PreviousHolder != "killed@host" {
		t.Fatalf("take-over of an abandoned lock: %v %+v", err, l2)
	}
}

// A holder whose lease another process took over (it looked expired to that one)
// loses its lock at its next renewal, whatever its own clock says.
func TestE2ELeaseTakenOverEndsTheLock(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	cs, err := env.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	a := &LeaseLocker{Client: cs, Identity: "a", Duration: 3 * time.Second}
	la, err := a.Lock(context.Background(), ns, "web")
	if err != nil {
		t.Fatal(err)
	}
	defer la.Release()
	later := func() time.Time { return time.Now().Add(time.Minute) }
	b := &LeaseLocker{Client: cs, Identity: "b", Duration: 3 * time.Second, Now: later}
	lb, err := b.Lock(context.Background(), ns, "web")
	if err != nil || !lb.TookOver {
		t.Fatalf("b's take-over: %v", err)
	}
	defer lb.Release()
	select {
	case <-la.Context().Done():
	case <-time.After(time.Minute):
		t.Fatal("a's lock did not end after b took the lease over")
	}
	if err := la.Check(); !errors.Is(err, ErrLockLost) || !strings.Contains(err.Error(), "b took it over") {
		t.Fatalf("a's check: %v", err)
	}
	// a's release must leave b's lease alone.
	la.Release()
	if err := lb.Check(); err != nil {
		t.Fatalf("b after a released: %v", err)
	}
	if _, err := cs.CoordinationV1().Leases(ns).Get(context.Background(), LeaseName("web"), metav1.GetOptions{}); err != nil {
		t.Fatalf("b's lease: %v", err)
	}
}
