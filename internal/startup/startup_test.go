package startup

import (
	"runtime/debug"
	"testing"
)

// Done gives the collector back the setting the process started with, once.
func TestDoneRestoresGC(t *testing.T) {
	Done() // the test binary initialised the package, which switched it off
	if got := debug.SetGCPercent(-1); got != gcPercent || got < 0 {
		t.Fatalf("GC percent after Done = %d, want the start-up value %d (GOGC)", got, gcPercent)
	}
	debug.SetGCPercent(7)
	Done()
	if got := debug.SetGCPercent(gcPercent); got != 7 {
		t.Fatalf("a second Done changed the GC percent to %d", got)
	}
}
