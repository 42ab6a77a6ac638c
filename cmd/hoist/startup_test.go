package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// What `hoist template` of a local chart relies on to start fast, checked on the
// built binary with GODEBUG=inittrace=1 (Go prints a line per package initialised).

const localChart = "../../pkg/cli/testdata/charts/diffchart"

var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "hoist-startup-test")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "hoist")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &buildError{err, out}
	}
	return bin, nil
})

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + string(e.out) }

func TestMain(m *testing.M) {
	code := m.Run()
	if bin, err := buildOnce(); err == nil {
		os.RemoveAll(filepath.Dir(bin))
	}
	os.Exit(code)
}

type initLine struct {
	pkg   string
	bytes int
}

// runTraced runs the built hoist with GODEBUG=inittrace=1 and returns the packages it
// initialised, in order, and its standard output.
func runTraced(t *testing.T, env []string, args ...string) ([]initLine, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds cmd/hoist")
	}
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1", "KUBECONFIG="+os.DevNull,
		"HOIST_NAMESPACE=", "HOIST_NO_FAST_PATH=", "HOIST_CPUPROFILE=", "HOIST_NO_PREMAP=", "KUBERNETES_SERVICE_HOST=")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("hoist %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var inits []initLine
	for _, l := range strings.Split(stderr.String(), "\n") {
		// init PKG @0.1 ms, 0.02 ms clock, 1234 bytes, 5 allocs
		f := strings.Fields(l)
		if len(f) < 10 || f[0] != "init" || f[8] != "bytes," {
			continue
		}
		n, err := strconv.Atoi(f[7])
		if err != nil {
			t.Fatalf("inittrace line %q", l)
		}
		inits = append(inits, initLine{f[1], n})
	}
	if len(inits) == 0 {
		t.Fatalf("no inittrace output from hoist %s:\n%s", strings.Join(args, " "), stderr.String())
	}
	return inits, stdout.String()
}

// The packages the fast path must not wait for: those of the Kubernetes clients and
// API types, kustomize, oras and go-git.
var heavy = []string{"k8s.io/client-go/", "k8s.io/api/", "k8s.io/cli-runtime/", "sigs.k8s.io/kustomize/", "oras.land/", "github.com/go-git/"}

// Where the cost is: the API types and their registration in client-go's scheme, the
// clients and kubeconfig loading, kustomize's engine. None of it may initialise.
var forbidden = []string{"k8s.io/api/", "k8s.io/client-go/kubernetes", "k8s.io/client-go/rest", "k8s.io/client-go/tools/",
	"k8s.io/client-go/dynamic", "k8s.io/cli-runtime/", "sigs.k8s.io/kustomize/api/"}

func matches(pkg string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(pkg, p) || pkg+"/" == p {
			return true
		}
	}
	return false
}

// heavyBytes sums what the heavy packages' initialisation allocated (deterministic,
// unlike time) and lists the forbidden ones that ran.
func heavyBytes(inits []initLine) (total int, bad []string) {
	for _, l := range inits {
		if matches(l.pkg, heavy) {
			total += l.bytes
		}
		if matches(l.pkg, forbidden) {
			bad = append(bad, l.pkg)
		}
	}
	return total, bad
}

// `hoist template` of a local chart runs from internal/fastpath's init and exits
// before the Kubernetes, kustomize, oras and go-git packages are initialised.
//
// Not all of them: Go initialises, of the packages whose imports are ready, the one
// with the smallest import path first, so the fast path (which needs text/template
// and sigs.k8s.io/yaml, late in that order) comes after every package that imports
// only the standard library and sorts before them — a few small leaves of go-git,
// oras and kustomize's kyaml among them. The test allows those, up to a quarter of
// what a full start allocates in the heavy packages (about 13 % today), and none of
// the forbidden ones.
func TestTemplateFastPathSkipsHeavyInit(t *testing.T) {
	full, _ := runTraced(t, nil, "version")
	fullBytes, fullBad := heavyBytes(full)
	if len(fullBad) == 0 {
		t.Fatal("a full start initialised none of the forbidden packages: the test no longer tests anything (have they moved?)")
	}

	fast, out := runTraced(t, nil, "template", "web", localChart, "-n", "prod")
	if !strings.Contains(out, "# Source: diffchart/templates/") {
		t.Fatalf("hoist template rendered nothing:\n%s", out)
	}
	fastBytes, bad := heavyBytes(fast)
	if len(bad) > 0 {
		t.Errorf("hoist template initialised %s before the fast path exited", strings.Join(bad, ", "))
	}
	if fastBytes*4 > fullBytes {
		var ran []string
		for _, l := range fast {
			if matches(l.pkg, heavy) {
				ran = append(ran, l.pkg+" "+strconv.Itoa(l.bytes))
			}
		}
		t.Errorf("the heavy packages' initialisation allocated %d bytes before the fast path exited, %d in a full start (allowed: a quarter):\n%s",
			fastBytes, fullBytes, strings.Join(ran, "\n"))
	}
	t.Logf("heavy packages' initialisation: %d bytes in hoist template, %d in hoist version", fastBytes, fullBytes)
}

// In hoist's own binary internal/startup premaps the heap (its init allocates the
// 16 MB block), and HOIST_NO_PREMAP=1 turns that off.
func TestPremapSwitch(t *testing.T) {
	const startupPkg = "github.com/hoist-dev/hoist/internal/startup"
	for _, tc := range []struct {
		env    []string
		premap bool
	}{{nil, true}, {[]string{"HOIST_NO_PREMAP=1"}, false}} {
		inits, _ := runTraced(t, tc.env, "version")
		n := -1
		for _, l := range inits {
			if l.pkg == startupPkg {
				n = l.bytes
			}
		}
		if got := n >= 16<<20; got != tc.premap {
			t.Errorf("env %q: internal/startup's init allocated %d bytes; premapped %v, want %v", tc.env, n, got, tc.premap)
		}
	}
}

// This test binary links main's imports, internal/startup among them, but is not
// hoist's command: the collector stays on.
func TestTestBinaryKeepsCollector(t *testing.T) {
	got := debug.SetGCPercent(-1)
	debug.SetGCPercent(got)
	if got == -1 && os.Getenv("GOGC") != "off" {
		t.Fatal("the collector is off in cmd/hoist's test binary")
	}
}
