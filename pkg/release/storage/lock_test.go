package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"

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
