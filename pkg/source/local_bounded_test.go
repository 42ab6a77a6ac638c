//go:build unix

package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// A device or a FIFO given as a chart fails fast, digest or not.
func TestLocalGetIrregular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, p := range []string{"/dev/zero", fifo} {
		for _, noDigest := range []bool{false, true} {
			start := time.Now()
			_, err := LocalGetter{NoDigest: noDigest}.Get(context.Background(), Ref{Path: p})
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("%s: took %v", p, took)
			}
			if !errors.Is(err, chart.ErrUnsupportedFile) {
				t.Errorf("%s: err = %v, want %v", p, err, chart.ErrUnsupportedFile)
			}
		}
	}
}

// The digest of a directory covers the files loaded, not those .helmignore skips,
// which are not read at all (a file too large to load, a FIFO).
func TestLocalDigestIgnored(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n")
	write("templates/cm.yaml", "kind: ConfigMap\n")
	write(".helmignore", "big.bin\nfifo\n.git/\n")
	get := func() string {
		t.Helper()
		f, err := LocalGetter{}.Get(context.Background(), Ref{Path: dir})
		if err != nil {
			t.Fatal(err)
		}
		return f.Digest
	}
	d0 := get()
	write("big.bin", string(make([]byte, chart.DefaultMaxFileSize+1)))
	write(".git/objects/pack", "pack")
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d := get(); d != d0 {
		t.Errorf("digest changed with ignored files: %s, was %s", d, d0)
	}
	write("templates/cm.yaml", "kind: ConfigMap\ndata: {}\n")
	if d := get(); d == d0 {
		t.Errorf("digest unchanged by an edit: %s", d)
	}
}
