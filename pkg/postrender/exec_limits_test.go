package postrender

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/boundtest"
)

// bounded runs f and fails the test when it takes longer than maxTime or
// allocates more than maxAlloc bytes in all (whatever the garbage collector
// returned meanwhile: a run that reads 600 MB allocates at least that much). f
// gets a context that ends after twice maxTime, so that a regression fails
// instead of hanging.
func bounded(t *testing.T, maxTime time.Duration, maxAlloc uint64, f func(ctx context.Context)) {
	t.Helper()
	boundtest.Run(t, maxTime, maxAlloc, f)
}

func shell(command string) Exec {
	return Exec{Path: "/bin/sh", Args: []string{"-c", command}}
}

// TestExecOutputLimit: a post-renderer that prints more than the limit on
// standard output is stopped at the limit, with an error that names it and the
// limit, even when it would print for ever and ignores a closed pipe.
func TestExecOutputLimit(t *testing.T) {
	manifests, hooks := readRendered(t, "testdata/overlay/rendered.yaml")
	const limit = 1 << 20
	for _, command := range []string{
		"yes | head -c 600000000",
		// The loop outlives each cat that a closed pipe ends: only a kill stops it.
		"trap '' PIPE; while :; do cat /dev/zero; done",
	} {
		t.Run(command, func(t *testing.T) {
			e := shell(command)
			e.maxOutput = limit
			bounded(t, 5*time.Second, 32<<20, func(ctx context.Context) {
				_, _, err := e.Run(ctx, manifests, hooks)
				wantError(t, err, ErrLimitExceeded, "post-renderer /bin/sh -c", "more than 1048576 bytes on standard output", "stopped")
				if errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("stopped by the test's deadline, not the limit: %v", err)
				}
			})
		})
	}
}

// TestExecOutputLimitReal is TestExecOutputLimit at MaxExecOutput: 600 MB of
// output ends at 256 MiB, which takes about twice that in allocations (the
// buffer doubles up to the limit). The bound is three times the limit: the
// allocation count is the whole test binary's, and the old, uncapped buffer took
// 11 GB here.
func TestExecOutputLimitReal(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 256 MiB")
	}
	manifests, hooks := readRendered(t, "testdata/overlay/rendered.yaml")
	bounded(t, 5*time.Second, 3*MaxExecOutput, func(ctx context.Context) {
		_, _, err := shell("yes | head -c 600000000").Run(ctx, manifests, hooks)
		wantError(t, err, ErrLimitExceeded, "post-renderer /bin/sh -c", fmt.Sprintf("more than %d bytes", MaxExecOutput))
	})
}

// TestExecStderrLimit: a post-renderer that prints 1 GB on standard error and
// fails gives an error with the first bytes of it, said to be truncated; the rest
// is read and dropped.
func TestExecStderrLimit(t *testing.T) {
	manifests, hooks := readRendered(t, "testdata/overlay/rendered.yaml")
	for _, c := range []struct {
		name  string
		limit int
	}{{"small limit", 1 << 10}, {"real limit", 0}} {
		t.Run(c.name, func(t *testing.T) {
			e := shell("yes error | head -c 1000000000 >&2; exit 4")
			e.maxStderr = c.limit
			want := c.limit
			if want == 0 {
				want = maxExecStderr
			}
			bounded(t, 10*time.Second, 32<<20, func(ctx context.Context) {
				_, _, err := e.Run(ctx, manifests, hooks)
				wantError(t, err, nil, "post-renderer /bin/sh -c", "exit status 4", fmt.Sprintf("error output (truncated to its first %d bytes)", want), "error\nerror\n")
				var ee *ExecError
				if !errors.As(err, &ee) || ee.ExitCode != 4 || !ee.StderrTruncated || len(ee.Stderr) != want {
					t.Fatalf("ExecError: exit code %d, truncated %v, %d bytes of stderr", ee.ExitCode, ee.StderrTruncated, len(ee.Stderr))
				}
				if len(err.Error()) > want+1024 {
					t.Errorf("message of %d bytes", len(err.Error()))
				}
			})
		})
	}
	// Short error output is whole, and not said to be truncated.
	_, _, err := shell("echo broken >&2; exit 1").Run(context.Background(), manifests, hooks)
	wantError(t, err, nil, "error output:\nbroken")
	if strings.Contains(err.Error(), "truncated") {
		t.Errorf("error %q says truncated", err)
	}
}
