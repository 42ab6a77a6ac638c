package boundtest

import (
	"context"
	"testing"
	"time"
)

// fakeT records failures instead of ending the test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Logf(string, ...any)   {}
func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Fatalf(string, ...any) { f.failed = true }

var sink []byte

func TestRun(t *testing.T) {
	ok := &fakeT{TB: t}
	Run(ok, time.Second, 64<<20, func(context.Context) { sink = make([]byte, 1<<20) })
	if ok.failed {
		t.Fatal("a small, quick function failed its bounds")
	}
	big := &fakeT{TB: t}
	Run(big, time.Second, 1<<20, func(context.Context) { sink = make([]byte, 8<<20) })
	if !big.failed {
		t.Fatal("8 MiB passed a bound of 1 MiB")
	}
	slow := &fakeT{TB: t}
	Run(slow, 10*time.Millisecond, 64<<20, func(ctx context.Context) { time.Sleep(50 * time.Millisecond) })
	if !slow.failed {
		t.Fatal("50 ms passed a bound of 10 ms")
	}
}
