package git

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// fakePackages records what the Getter asks Options.Packages for.
type fakePackages struct{ root, subdir, repoURL string }

func (f *fakePackages) LoadPackageIn(root, subdir, repoURL string) (*kpkg.Package, error) {
	f.root, f.subdir, f.repoURL = root, subdir, repoURL
	return &kpkg.Package{Name: "web", Version: "1.0.0"}, nil
}

// TestGetPackage: a directory with a kustomization and no Chart.yaml is loaded by
// Options.Packages, from the checkout, with the repository's URL; without a
// loader it is an error that says so.
func TestGetPackage(t *testing.T) {
	r := newWorkRepo(t)
	commit := r.commit(map[string]string{
		"apps/web/kustomization.yaml": "resources:\n- ../../base\n",
		"base/kustomization.yaml":     "resources: []\n",
	}, "package")
	raw := "git+file://" + r.Bare + "//apps/web"

	_, err := getter(t, Options{}).Get(context.Background(), parse(t, raw))
	if !errors.Is(err, ErrNoPackageLoader) {
		t.Fatalf("without a loader: %v", err)
	}

	fake := &fakePackages{}
	f, err := getter(t, Options{Packages: fake}).Get(context.Background(), parse(t, raw))
	if err != nil {
		t.Fatal(err)
	}
	if f.Package == nil || f.Package.Name != "web" || f.Version != "1.0.0" || f.Digest != "git:"+commit {
		t.Errorf("fetched %+v", f)
	}
	if fake.subdir != "apps/web" || fake.repoURL != "file://"+r.Bare || !filepath.IsAbs(fake.root) {
		t.Errorf("loader called with root %q, subdir %q, repository %q", fake.root, fake.subdir, fake.repoURL)
	}
}
