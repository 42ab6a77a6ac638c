//go:build linux && (amd64 || arm64 || ppc64le || s390x || riscv64 || loong64)

package thp

import (
	"runtime"
	"testing"
	"unsafe"
)

// The probe is allocated on the heap, so its address is the heap arena's: were it
// a stack slot, the advice would go to whatever arena holds the goroutine's stack.
func TestProbeIsOnTheHeap(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { heapAddress() }); n != 1 {
		t.Fatalf("heapAddress allocates %v objects per call, want 1 (the probe escaped to the heap)", n)
	}
	// A megabyte is always a heap object; in a test's small heap it shares the
	// probe's arena.
	big := make([]byte, 1<<20)
	got := uintptr(heapAddress()) &^ (arenaBytes - 1)
	want := uintptr(unsafe.Pointer(unsafe.SliceData(big))) &^ (arenaBytes - 1)
	runtime.KeepAlive(big)
	if got != want {
		t.Fatalf("probe in the arena at %#x, a heap block in the one at %#x", got, want)
	}
	advise(heapAddress()) // and advising it changes nothing visible
}
