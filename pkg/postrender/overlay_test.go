package postrender

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// TestOverlayGolden applies each testdata/overlay/<case>/overlay to
// testdata/overlay/rendered.yaml (or the case's own rendered.yaml) and compares the
// manifests and hooks with the case's expected.golden.
func TestOverlayGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/overlay/*/overlay")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, dir := range cases {
		c := filepath.Dir(dir)
		t.Run(filepath.Base(c), func(t *testing.T) {
			rendered := filepath.Join(c, "rendered.yaml")
			if _, err := os.Stat(rendered); err != nil {
				rendered = "testdata/overlay/rendered.yaml"
			}
			manifests, hooks, err := runOverlay(t, dir, rendered)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join(c, "expected.golden"), format(manifests, hooks))
		})
	}
}

func TestLoadOverlaySymlinks(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.yaml"), []byte("x: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, dir, "kustomization.yaml", "patches:\n- path: linked/patch.yaml\n  target:\n    kind: Deployment\n")
	write(t, dir, "real/patch.yaml", "- op: replace\n  path: /spec/replicas\n  value: 2\n")
	// A symlink to a directory inside the overlay is followed.
	if err := os.Symlink("real", filepath.Join(dir, "linked")); err != nil {
		t.Fatal(err)
	}
	o, err := LoadOverlay(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := o.Files["linked/patch.yaml"]; !ok {
		t.Errorf("files %v lack linked/patch.yaml", slices.Sorted(maps.Keys(o.Files)))
	}
	// One leaving it is refused, naming the link.
	if err := os.Symlink(filepath.Join(outside, "secret.yaml"), filepath.Join(dir, "escape.yaml")); err != nil {
		t.Fatal(err)
	}
	_, err = LoadOverlay(dir)
	wantError(t, err, ErrUnsafePath, filepath.Join(dir, "escape.yaml"))
	os.Remove(filepath.Join(dir, "escape.yaml"))
	// A loop is refused.
	if err := os.Symlink("..", filepath.Join(dir, "real", "loop")); err != nil {
		t.Fatal(err)
	}
	_, err = LoadOverlay(dir)
	wantError(t, err, ErrUnsupportedFile, "loop")
}

func TestLoadOverlayLimits(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "kustomization.yaml", "namePrefix: a-\n")
	write(t, dir, "big.bin", strings.Repeat("x", kpkg.MaxFileSize+1))
	_, err := LoadOverlay(dir)
	wantError(t, err, ErrLimitExceeded, filepath.Join(dir, "big.bin"))

	dir = t.TempDir()
	write(t, dir, "kustomization.yaml", "namePrefix: a-\n")
	for i := range kpkg.MaxFiles {
		write(t, dir, fmt.Sprintf("f/%04d", i), "x")
	}
	_, err = LoadOverlay(dir)
	wantError(t, err, ErrLimitExceeded, "more than 1000 files")

	dir = t.TempDir()
	write(t, dir, "kustomization.yaml", "namePrefix: a-\n")
	for i := range kpkg.MaxTotalSize/kpkg.MaxFileSize + 1 {
		write(t, dir, fmt.Sprintf("f%d", i), strings.Repeat("x", kpkg.MaxFileSize))
	}
	_, err = LoadOverlay(dir)
	wantError(t, err, ErrLimitExceeded, "total")
}

func TestLoadOverlaySkipsGitAndIrregular(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "kustomization.yaml", "namePrefix: a-\n")
	write(t, dir, ".git/config", "[core]\n")
	o, err := LoadOverlay(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(o.Files)); len(got) != 1 || got[0] != "kustomization.yaml" {
		t.Errorf("files = %v, want only kustomization.yaml", got)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Skip(err)
	}
	_, err = LoadOverlay(dir)
	wantError(t, err, ErrUnsupportedFile, filepath.Join(dir, "fifo"))
}

// TestOverlayRecord: the recorded overlay, through JSON as in a release record,
// gives the same objects, binary files included.
func TestOverlayRecord(t *testing.T) {
	o, err := LoadOverlay("testdata/overlay/generators/overlay")
	if err != nil {
		t.Fatal(err)
	}
	o.Files["blob.bin"] = "\xff\xfe\x00binary"
	o.Files["tricky.txt"] = "base64:not really"
	data, err := json.Marshal(o.Record())
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]string
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	back, err := OverlayFromRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(back.Files, o.Files) {
		t.Errorf("files differ after the record round trip")
	}
	manifests, hooks := readRendered(t, "testdata/overlay/rendered.yaml")
	m1, h1, err := o.Run(context.Background(), manifests, hooks)
	if err != nil {
		t.Fatal(err)
	}
	m2, h2, err := back.Run(context.Background(), manifests, hooks)
	if err != nil {
		t.Fatal(err)
	}
	if format(m1, h1) != format(m2, h2) {
		t.Error("the recorded overlay renders differently")
	}
	if o, err := OverlayFromRecord(nil); o != nil || err != nil {
		t.Errorf("empty record = %v, %v; want nil, nil", o, err)
	}
	for _, bad := range []map[string]string{
		{"../kustomization.yaml": "x"},
		{"/etc/kustomization.yaml": "x"},
		{"a/./b": "x"},
		{"kustomization.yaml": "base64:!!"},
	} {
		if _, err := OverlayFromRecord(bad); err == nil {
			t.Errorf("record %v accepted", bad)
		}
	}
}

// TestOverlayNil: a nil overlay changes nothing, and inputs are never modified.
func TestOverlayInputsUnchanged(t *testing.T) {
	manifests, hooks := readRendered(t, "testdata/overlay/rendered.yaml")
	before := format(manifests, hooks)
	var nilOverlay *Overlay
	m, h, err := nilOverlay.Run(context.Background(), manifests, hooks)
	if err != nil || format(m, h) != before {
		t.Fatalf("nil overlay changed the output (%v)", err)
	}
	o, err := LoadOverlay("testdata/overlay/hooks-patched/overlay")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := o.Run(context.Background(), manifests, hooks); err != nil {
		t.Fatal(err)
	}
	if format(manifests, hooks) != before {
		t.Error("Run modified its input")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := o.Run(ctx, manifests, hooks); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func write(t testing.TB, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOverlayConcurrent: overlays run at the same time (as a controller does)
// give what they give one at a time.
func TestOverlayConcurrent(t *testing.T) {
	cases := []string{"generators", "prefix-suffix", "hooks-patched", "components"}
	manifests, hooks := readRendered(t, "testdata/overlay/rendered.yaml")
	want := map[string]string{}
	overlays := map[string]*Overlay{}
	for _, c := range cases {
		o, err := LoadOverlay(filepath.Join("testdata/overlay", c, "overlay"))
		if err != nil {
			t.Fatal(err)
		}
		m, h, err := o.Run(context.Background(), manifests, hooks)
		if err != nil {
			t.Fatal(err)
		}
		overlays[c], want[c] = o, format(m, h)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		c := cases[i%len(cases)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, h, err := overlays[c].Run(context.Background(), manifests, hooks)
			if err != nil {
				t.Error(err)
				return
			}
			if format(m, h) != want[c] {
				t.Errorf("%s: concurrent run differs", c)
			}
		}()
	}
	wg.Wait()
}

// TestChain: an overlay, then a post-renderer program, on the output of the
// overlay.
func TestChain(t *testing.T) {
	o, err := LoadOverlay("testdata/overlay/images/overlay")
	if err != nil {
		t.Fatal(err)
	}
	manifests, hooks := readRendered(t, "testdata/overlay/rendered.yaml")
	c := Chain{o, script("sed.sh", "registry.example.com/mirror/nginx", "mirror.internal/nginx")}
	m, h, err := c.Run(context.Background(), manifests, hooks)
	if err != nil {
		t.Fatal(err)
	}
	out := format(m, h)
	if !strings.Contains(out, "image: mirror.internal/nginx:1.27.0") || strings.Contains(out, "nginx:1.25") {
		t.Errorf("chain output:\n%s", out)
	}
	if _, _, err := (Chain{script("fail.sh"), o}).Run(context.Background(), manifests, hooks); err == nil {
		t.Error("a failing link did not fail the chain")
	}
}
