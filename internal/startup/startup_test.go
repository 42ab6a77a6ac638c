package startup

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// goDefaultGC is the collector's setting Go starts a program with: GOGC, else 100.
func goDefaultGC(t *testing.T) int {
	v, set := os.LookupEnv("GOGC")
	if !set {
		return 100
	}
	if v == "off" {
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("GOGC=%q", v)
	}
	return n
}

// A test binary is not hoist: the package leaves the collector (and the heap) alone,
// and Done does nothing.
func TestTestBinaryKeepsCollector(t *testing.T) {
	want := goDefaultGC(t)
	if active || isHoistMain() {
		t.Fatal("the package took this test binary for hoist's command")
	}
	Done()
	got := debug.SetGCPercent(-1)
	debug.SetGCPercent(got)
	if got != want {
		t.Fatalf("GC percent in a test binary = %d, want Go's %d", got, want)
	}
}

// Any other program that links the package keeps the collector on too.
func TestOtherBinaryKeepsCollector(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	bin := filepath.Join(t.TempDir(), "other")
	build := exec.Command("go", "build", "-o", bin, "./testdata/other")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "GOGC=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "100" {
		t.Fatalf("GC percent in another program linking startup = %s, want 100", got)
	}
}

// In hoist's command, Done sets the collector (GOGC when set, else cliGCPercent), once.
func TestDoneSetsGC(t *testing.T) {
	prev := debug.SetGCPercent(-1) // as init does in hoist's command
	defer debug.SetGCPercent(prev)
	active, gcPercent, done = true, prev, sync.Once{}
	defer func() { active, done = false, sync.Once{} }()
	want := cliGCPercent
	if _, set := os.LookupEnv("GOGC"); set {
		want = prev
	}
	Done()
	if got := debug.SetGCPercent(-1); got != want {
		t.Fatalf("GC percent after Done = %d, want %d", got, want)
	}
	debug.SetGCPercent(7)
	Done()
	if got := debug.SetGCPercent(prev); got != 7 {
		t.Fatalf("a second Done changed the GC percent to %d", got)
	}
}

func TestPremapSwitch(t *testing.T) {
	for v, want := range map[string]bool{"": true, "0": true, "1": false, "yes": false} {
		if got := premap(func(string) string { return v }); got != want {
			t.Errorf("HOIST_NO_PREMAP=%q: premap %v, want %v", v, got, want)
		}
	}
}
