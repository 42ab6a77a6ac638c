package boundtest

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// Run runs f with a context that ends after twice maxTime, and fails t if f takes
// longer than maxTime or the process allocates more than maxAlloc bytes meanwhile
// (the count is the whole test binary's: keep maxAlloc well above what f needs). It
// stops waiting after twice maxTime, so code that hangs fails the test instead of
// stalling it.
func Run(t testing.TB, maxTime time.Duration, maxAlloc uint64, f func(ctx context.Context)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*maxTime)
	defer cancel()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(ctx)
	}()
	select {
	case <-done:
	case <-time.After(2 * maxTime):
		t.Fatalf("still running after %v (the bound is %v)", 2*maxTime, maxTime)
	}
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("took %v, allocated %d MiB", took.Round(time.Millisecond), alloc>>20)
	if took > maxTime {
		t.Errorf("took %v, more than %v", took, maxTime)
	}
	if alloc > maxAlloc {
		t.Errorf("allocated %d MiB, more than %d MiB", alloc>>20, maxAlloc>>20)
	}
}
