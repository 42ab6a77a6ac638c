package kpkg

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestAliasBomb: a billion laughs in the root kustomization, the one file New
// parses, fails fast and in bounded memory (the YAML decoder refuses excessive
// aliasing), naming the file. The other files are not parsed here;
// pkg/postrender checks them before kustomize reads them.
func TestAliasBomb(t *testing.T) {
	var laughs strings.Builder
	laughs.WriteString("    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 9; i++ {
		a := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&laughs, "    l%d: &l%d [%s]\n", i, i, strings.Repeat(a+", ", 8)+a)
	}
	files := map[string]string{
		"kustomization.yaml": "metadata:\n  name: lol\n  annotations:\n" + laughs.String(),
		"lol.yaml":           "kind: ConfigMap\ndata:\n" + laughs.String(),
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		load func() error
	}{
		{"New", func() error { _, err := New(files, "lol", dir); return err }},
		{"LoadArchive", func() error {
			data, err := (&Package{Name: "lol", Files: files}).Archive()
			if err != nil {
				t.Fatal(err)
			}
			_, err = LoadArchive(data)
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			err := c.load()
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("took %v, allocated %d MiB", took.Round(time.Millisecond), alloc>>20)
			wantError(t, err, ErrInvalidKustomization, "kustomization.yaml", "excessive aliasing")
			if !strings.Contains(err.Error(), filepath.Join(dir, "kustomization.yaml")) && c.name == "New" {
				t.Errorf("error %q does not name the file in %s", err, dir)
			}
			if took > 5*time.Second || alloc > 256<<20 {
				t.Errorf("took %v and %d MiB, want at most 5s and 256 MiB", took, alloc>>20)
			}
		})
	}
}
