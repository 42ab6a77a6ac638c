package sigctx

import (
	"bytes"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The first SIGINT cancels the context and says so; stop cancels it too.
func TestFirstInterruptCancels(t *testing.T) {
	var out bytes.Buffer
	ctx, stop := New(&out)
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGINT did not cancel the context")
	}
	if !strings.Contains(out.String(), "interrupted; cleaning up") {
		t.Errorf("message %q", out.String())
	}

	ctx2, stop2 := New(&out)
	stop2()
	if ctx2.Err() == nil {
		t.Error("stop did not cancel the context")
	}
}
