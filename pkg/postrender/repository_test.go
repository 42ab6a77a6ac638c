package postrender

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// TestLoadPackageIn loads a package that refers to other directories of its
// repository, by relative path and by URL, and renders it.
func TestLoadPackageIn(t *testing.T) {
	p, err := LoadPackageIn("testdata/repo", "apps/web", SameRepository("https://github.com/example/repo.git"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "web" || p.Version != "2.1.0" {
		t.Errorf("package %s %s, want web 2.1.0", p.Name, p.Version)
	}
	var listing strings.Builder
	for _, f := range slices.Sorted(maps.Keys(p.Files)) {
		listing.WriteString("== " + f + "\n" + p.Files[f])
	}
	golden(t, "testdata/repo/web-files.golden", listing.String())
	m, h, err := Package{p}.Render("team-a")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/repo/web.golden", format(m, h))
	// It archives and loads back to the same package.
	a, err := p.Archive()
	if err != nil {
		t.Fatal(err)
	}
	back, err := kpkg.LoadArchive(a)
	if err != nil {
		t.Fatal(err)
	}
	if back.Name != p.Name || back.Version != p.Version || !maps.Equal(back.Files, p.Files) {
		t.Error("archive round trip changed the package")
	}
	if !kpkg.IsPackageArchive(a) {
		t.Error("IsPackageArchive = false for a package archive")
	}
}

// TestLoadPackageInSelfContained: a package that refers to nothing outside its
// directory is what LoadPackage reads.
func TestLoadPackageInSelfContained(t *testing.T) {
	p, err := LoadPackageIn("testdata/repo", "apps/plain")
	if err != nil {
		t.Fatal(err)
	}
	q, err := LoadPackage("testdata/repo/apps/plain")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != q.Name || p.Version != q.Version || !maps.Equal(p.Files, q.Files) {
		t.Errorf("LoadPackageIn %s %v, LoadPackage %s %v", p.Name, slices.Sorted(maps.Keys(p.Files)), q.Name, slices.Sorted(maps.Keys(q.Files)))
	}
}

func TestLoadPackageInErrors(t *testing.T) {
	// Without SameRepository, the URL is refused.
	_, err := LoadPackageIn("testdata/repo", "apps/web")
	wantError(t, err, ErrRemoteBase, filepath.Join("testdata/repo", "apps/web/kustomization.yaml"), "https://github.com/example/repo//apps/extra")
	// Another repository is refused.
	_, err = LoadPackageIn("testdata/repo", "apps/web", SameRepository("https://github.com/example/other"))
	wantError(t, err, ErrRemoteBase, "apps/web/kustomization.yaml")
	_, err = LoadPackageIn("testdata/repo", "../repo")
	wantError(t, err, ErrUnsafePath, "../repo")
	_, err = LoadPackageIn("testdata/repo", "apps/missing")
	wantError(t, err, os.ErrNotExist, "apps/missing")

	// Leaving the repository, by path or by symlink.
	root := t.TempDir()
	write(t, root, "repo/app/kustomization.yaml", "resources:\n- ../../outside\n")
	write(t, root, "outside/kustomization.yaml", "resources: []\n")
	_, err = LoadPackageIn(filepath.Join(root, "repo"), "app")
	wantError(t, err, ErrUnsafePath, "app/kustomization.yaml", "../../outside")
	write(t, root, "repo/link/kustomization.yaml", "resources:\n- ../shared\n")
	if err := os.Symlink(filepath.Join(root, "outside"), filepath.Join(root, "repo", "shared")); err != nil {
		t.Fatal(err)
	}
	_, err = LoadPackageIn(filepath.Join(root, "repo"), "link")
	wantError(t, err, ErrUnsafePath, "shared")
}

func TestNormalizeGitURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://github.com/example/repo":               "github.com/example/repo",
		"https://GitHub.com/example/repo.git":           "github.com/example/repo",
		"https://github.com/example/repo//apps/x?ref=v": "github.com/example/repo/apps/x",
		"git::https://github.com/example/repo.git//x":   "github.com/example/repo/x",
		"git@github.com:example/repo.git//x":            "github.com/example/repo/x",
		"ssh://git@github.com/example/repo.git":         "github.com/example/repo",
		"github.com/example/repo/x?ref=main":            "github.com/example/repo/x",
		"https://user:pw@example.com/a/b":               "example.com/a/b",
	} {
		if got := normalizeGitURL(in); got != want {
			t.Errorf("normalizeGitURL(%q) = %q, want %q", in, got, want)
		}
	}
	for _, c := range [][3]string{{".", "a/b", "a/b"}, {"a/b", "a/c", "../c"}, {"a/b", "a/b", "."}, {"a/b", ".", "../.."}} {
		if got := relPath(c[0], c[1]); got != c[2] {
			t.Errorf("relPath(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}
