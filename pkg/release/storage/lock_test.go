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
	"k8s.io/utils/ptr"

	"github.com/hoist-dev/hoist/pkg/kube/fence"
	"github.com/hoist-dev/hoist/pkg/testenv"
)

// testClock is a clock tests move by hand; Sleep moves it instead of waiting.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *testClock) Sleep(_ context.Context, d time.Duration) error {
	c.add(d)
	return nil
}

func lockContract(t *testing.T, newLocker func(id string, c *testClock) *LeaseLocker, ns string) {
	ctx := context.Background()
	c := &testClock{t: time.Now()}
	a, b := newLocker("a", c), newLocker("b", c)
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
	// b "dies": it stops renewing and never releases. Once its lease looks expired, a
	// watches it for the lease's duration and, seeing no renewal, takes over.
	lb.lose(errors.New("killed"))
	c.add(31 * time.Second)
	la2, err := a.Lock(ctx, ns, "web")
	if err != nil || !la2.TookOver || la2.PreviousHolder != "b" {
		t.Fatalf("takeover after expiry: %v", err)
	}
	if err := la2.Check(); err != nil {
		t.Fatalf("the lock taken over after the wait: %v", err)
	}
	la2.Release()
}

func TestLeaseLocker(t *testing.T) {
	client := fake.NewClientset()
	lockContract(t, func(id string, c *testClock) *LeaseLocker {
		return &LeaseLocker{Client: client, Identity: id, Now: c.Now, Monotonic: c.Now, sleep: c.Sleep}
	}, "ns")
}

func TestE2ELeaseLocker(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	cs, err := env.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	// Leases of 3 s: the take-over waits that long, on the real clock.
	lockContract(t, func(id string, c *testClock) *LeaseLocker {
		return &LeaseLocker{Client: cs, Identity: id, Now: c.Now, Duration: 3 * time.Second}
	}, ns)
}

// A killed holder whose clock ran a day fast left a lease renewed "tomorrow": it does
// not block the release for a day; the next operation waits out the lease's duration.
func TestLeaseFromTheFutureIsTakenOver(t *testing.T) {
	client := fake.NewClientset()
	c := &testClock{t: time.Now()}
	fast := &LeaseLocker{Client: client, Identity: "fast", Now: func() time.Time { return c.Now().Add(24 * time.Hour) }}
	lf, err := fast.Lock(context.Background(), "ns", "web")
	if err != nil {
		t.Fatal(err)
	}
	lf.lose(errors.New("killed"))
	me := &LeaseLocker{Client: client, Identity: "me", Now: c.Now, Monotonic: c.Now, sleep: c.Sleep}
	start := c.Now()
	l, err := me.Lock(context.Background(), "ns", "web")
	if err != nil || !l.TookOver || l.PreviousHolder != "fast" {
		t.Fatalf("take-over of a lease from the future: %v", err)
	}
	if waited := c.Now().Sub(start); waited < 30*time.Second || waited > 32*time.Second {
		t.Fatalf("waited %s, want the lease's 30s", waited)
	}
	l.Release()
}

// Unlock removes a dead holder's lease after watching it, a live one's only with force.
func TestUnlock(t *testing.T) {
	client := fake.NewClientset()
	c := &testClock{t: time.Now()}
	dead := &LeaseLocker{Client: client, Identity: "dead", Now: c.Now}
	ld, err := dead.Lock(context.Background(), "ns", "web")
	if err != nil {
		t.Fatal(err)
	}
	ld.lose(errors.New("killed"))
	me := &LeaseLocker{Client: client, Identity: "me", Now: c.Now, Monotonic: c.Now, sleep: c.Sleep}
	holder, err := me.Unlock(context.Background(), "ns", "web", false)
	if err != nil || holder != "dead" {
		t.Fatalf("unlock of a silent lease: %q %v", holder, err)
	}
	if holder, err := me.Unlock(context.Background(), "ns", "web", false); err != nil || holder != "" {
		t.Fatalf("unlock of an unlocked release: %q %v", holder, err)
	}
	l, err := me.Lock(context.Background(), "ns", "web")
	if err != nil || l.TookOver {
		t.Fatalf("lock after unlock: %v (took over %v)", err, l != nil && l.TookOver)
	}
	if holder, err := (&LeaseLocker{Client: client, Identity: "x", Now: c.Now}).Unlock(context.Background(), "ns", "web", true); err != nil || holder != "me" {
		t.Fatalf("forced unlock: %q %v", holder, err)
	}
	if _, err := client.CoordinationV1().Leases("ns").Get(context.Background(), LeaseName("web"), metav1.GetOptions{}); err == nil {
		t.Fatal("the lease is still there after a forced unlock")
	}
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

// Clock skew does not let a second operation take a live lease: b's clock runs a
// minute fast, so a's lease looks expired to it, but a keeps renewing and b, watching,
// sees it and gives up. A holder whose lease another process did take over loses its
// lock at its next renewal, and its release leaves the new holder's lease alone.
func TestE2ELeaseSkewAndTakeOver(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	cs, err := env.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a := &LeaseLocker{Client: cs, Identity: "a", Duration: 3 * time.Second}
	la, err := a.Lock(ctx, ns, "web")
	if err != nil {
		t.Fatal(err)
	}
	defer la.Release()
	later := func() time.Time { return time.Now().Add(time.Minute) }
	b := &LeaseLocker{Client: cs, Identity: "b", Duration: 3 * time.Second, Now: later}
	if _, err := b.Lock(ctx, ns, "web"); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "renewed its lease while this operation waited") {
		t.Fatalf("b with a clock a minute fast: %v, want ErrLocked after seeing a renew", err)
	}
	if err := la.Check(); err != nil {
		t.Fatalf("a after b's attempt: %v", err)
	}
	// Another process takes the lease over (as one does after watching it go silent).
	leases := cs.CoordinationV1().Leases(ns)
	cur, err := leases.Get(ctx, LeaseName("web"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur.Spec.HolderIdentity = ptr.To("c")
	if _, err := leases.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-la.Context().Done():
	case <-time.After(time.Minute):
		t.Fatal("a's lock did not end after c took the lease over")
	}
	if err := la.Check(); !errors.Is(err, ErrLockLost) || !strings.Contains(err.Error(), "c took it over") {
		t.Fatalf("a's check: %v", err)
	}
	la.Release()
	if got, err := leases.Get(ctx, LeaseName("web"), metav1.GetOptions{}); err != nil || ptr.Deref(got.Spec.HolderIdentity, "") != "c" {
		t.Fatalf("c's lease after a released: %v", err)
	}
}
