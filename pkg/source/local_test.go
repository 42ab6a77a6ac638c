package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// refusingPackages is a PackageLoader that refuses every package, recording
// what it was asked for.
type refusingPackages struct{ dirs, archives int }

var errRefused = errors.New("refused by the loader")

func (r *refusingPackages) LoadDir(string) (*kpkg.Package, error) {
	r.dirs++
	return nil, errRefused
}

func (r *refusingPackages) LoadArchive([]byte) (*kpkg.Package, error) {
	r.archives++
	return nil, errRefused
}

// TestLocalPackageLoader: a kustomize package in a directory or an archive is
// read by LocalGetter.Packages, and without one checked as an artifact only (so
// an unknown kustomization field passes).
func TestLocalPackageLoader(t *testing.T) {
	p := &kpkg.Package{Name: "app", Version: "1.0.0", Files: map[string]string{
		"kustomization.yaml": "metadata:\n  annotations:\n    hoist.dev/version: 1.0.0\nresourcez: []\n",
	}}
	dir := filepath.Join(t.TempDir(), "app")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(p.Files["kustomization.yaml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := p.Archive()
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "app-1.0.0.tgz")
	if err := os.WriteFile(archive, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, path := range []string{dir, archive} {
		f, err := LocalGetter{NoDigest: true}.Get(ctx, Ref{Kind: Local, Path: path})
		if err != nil || f.Package == nil || f.Package.Name != "app" || f.Version != "1.0.0" {
			t.Errorf("%s without a loader: %+v, %v", path, f, err)
		}
	}
	loader := &refusingPackages{}
	g := LocalGetter{Packages: loader}
	if _, err := g.Get(ctx, Ref{Kind: Local, Path: dir}); !errors.Is(err, errRefused) {
		t.Errorf("directory: %v", err)
	}
	if _, err := g.Get(ctx, Ref{Kind: Local, Path: archive}); !errors.Is(err, errRefused) {
		t.Errorf("archive: %v", err)
	}
	if loader.dirs != 1 || loader.archives != 1 {
		t.Errorf("loader asked for %d directories and %d archives, want 1 each", loader.dirs, loader.archives)
	}
}
