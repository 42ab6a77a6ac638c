package boundtest

import (
	"bytes"
	"compress/gzip"
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

// GzipBomb is gzip data that decompresses to mib MiB of zeros (rounded down to 16 MiB)
// from about mib KiB: concatenated members of 16 MiB each, as gzip readers accept.
func GzipBomb(mib int) []byte {
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	// Writes to a bytes.Buffer do not fail.
	_, _ = zw.Write(make([]byte, 16<<20))
	_ = zw.Close()
	return bytes.Repeat(member.Bytes(), mib/16)
}
