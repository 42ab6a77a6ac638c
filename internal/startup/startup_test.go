package startup

import (
	"os"
	"runtime/debug"
	"testing"
)

// Done sets the collector for the command (GOGC when set, else cliGCPercent), once.
func TestDoneSetsGC(t *testing.T) {
	want := cliGCPercent
	if _, set := os.LookupEnv("GOGC"); set {
		want = gcPercent
	}
	Done() // the test binary initialised the package, which switched it off
	if got := debug.SetGCPercent(-1); got != want {
		t.Fatalf("GC percent after Done = %d, want %d", got, want)
	}
	debug.SetGCPercent(7)
	Done()
	if got := debug.SetGCPercent(gcPercent); got != 7 {
		t.Fatalf("a second Done changed the GC percent to %d", got)
	}
}
