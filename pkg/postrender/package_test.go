package postrender

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"sigs.k8s.io/kustomize/api/konfig"

	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// TestPackageRender renders each package of testdata/packages in the namespace
// team-a and compares with <package>.golden.
func TestPackageRender(t *testing.T) {
	for _, c := range []struct{ dir, name, version string }{
		{"web", "web", "0.0.0"},
		{"shop", "shop", "1.4.2"},
	} {
		t.Run(c.dir, func(t *testing.T) {
			dir := filepath.Join("testdata/packages", c.dir)
			if !kpkg.IsPackage(os.DirFS(dir)) {
				t.Fatal("not a package")
			}
			p, err := LoadPackage(dir)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != c.name || p.Version != c.version {
				t.Errorf("package %s %s, want %s %s", p.Name, p.Version, c.name, c.version)
			}
			m, h, err := (Package{p}).Render("team-a")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata/packages", c.dir+".golden"), format(m, h))
		})
	}
}

func TestPackageErrors(t *testing.T) {
	bad := func(name string, files map[string]string, target error, parts ...string) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for n, c := range files {
				write(t, dir, n, c)
			}
			_, err := LoadPackage(dir)
			wantError(t, err, target, append([]string{dir}, parts...)...)
		})
	}
	bad("chart", map[string]string{"kustomization.yaml": "resources: []\n", "Chart.yaml": "name: x\n"}, ErrInvalidKustomization, "Chart.yaml")
	bad("no kustomization", map[string]string{"app.yaml": "a: 1\n"}, ErrNoKustomization)
	bad("version", map[string]string{"kustomization.yaml": "metadata:\n  annotations:\n    hoist.dev/version: latest\n"}, ErrInvalidKustomization, "kustomization.yaml", "latest")
	bad("name", map[string]string{"kustomization.yaml": "metadata:\n  name: My App\n"}, ErrInvalidKustomization, "kustomization.yaml", "My App")
	bad("remote", map[string]string{"kustomization.yaml": "resources:\n- https://example.com/x.yaml\n"}, ErrRemoteBase, "kustomization.yaml")

	// Errors at render time name the package's file.
	p := Package{&kpkg.Package{Name: "p", Version: "0.0.0", Files: map[string]string{
		"kustomization.yaml": "resources:\n- a.yaml\npatches:\n- target:\n    kind: Deployment\n  patch: '[]'\n",
		"a.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
	}}}
	_, _, err := p.Render("ns")
	wantError(t, err, ErrPatchTarget, "kustomize package: p/kustomization.yaml: patches[0]")
}

// TestArchiveKustomizationChecked: kpkg.LoadArchive checks the artifact;
// what kustomize refuses in an archived package is reported when it renders,
// naming the archived file.
func TestArchiveKustomizationChecked(t *testing.T) {
	a, err := (&kpkg.Package{Name: "p", Version: "0.0.0", Files: map[string]string{
		"kustomization.yaml": "resources:\n- github.com/o/r\n",
	}}).Archive()
	if err != nil {
		t.Fatal(err)
	}
	p, err := kpkg.LoadArchive(a)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = Package{p}.Render("ns")
	wantError(t, err, ErrRemoteBase, "p/kustomization.yaml")
}

// TestKustomizationFileNames: kpkg's copy of the names agrees with
// kustomize's.
func TestKustomizationFileNames(t *testing.T) {
	if got, want := kpkg.KustomizationFileNames(), konfig.RecognizedKustomizationFileNames(); !slices.Equal(got, want) {
		t.Errorf("kpkg.KustomizationFileNames() = %q, kustomize's are %q", got, want)
	}
}

// TestLoadArchiveChecksKustomization: LoadArchive refuses what kustomize would
// refuse at render, naming the file, where kpkg.LoadArchive checks only the
// artifact.
func TestLoadArchiveChecksKustomization(t *testing.T) {
	for _, c := range []struct {
		name, kustomization string
		target              error
		parts               []string
		artifactOK          bool // kpkg.LoadArchive accepts it
	}{
		{"unknown field", "resourcez:\n- a.yaml\n", ErrInvalidKustomization, []string{"kustomize package archive: p/kustomization.yaml", `unknown field "resourcez"`}, true},
		{"remote base", "resources:\n- github.com/o/r\n", ErrRemoteBase, []string{"kustomize package archive: p/kustomization.yaml", "github.com/o/r"}, true},
		{"missing patch", "resources:\n- a.yaml\npatches:\n- path: gone.yaml\n", fs.ErrNotExist, []string{"kustomize package archive: p/kustomization.yaml", "gone.yaml"}, true},
		{"version", "metadata:\n  annotations:\n    hoist.dev/version: one\n", ErrInvalidKustomization, []string{"kustomize package archive: p/kustomization.yaml", `"one" is not a semantic version`}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			data, err := (&kpkg.Package{Name: "p", Version: "1.0.0", Files: map[string]string{
				"kustomization.yaml": c.kustomization,
				"a.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
			}}).Archive()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := kpkg.LoadArchive(data); (err == nil) != c.artifactOK {
				t.Errorf("kpkg.LoadArchive: %v", err)
			}
			p, err := Packages{}.LoadArchive(data)
			if p != nil {
				t.Error("a package returned with an error")
			}
			wantError(t, err, c.target, c.parts...)
		})
	}
	data, err := (&kpkg.Package{Name: "p", Version: "1.0.0", Files: map[string]string{"kustomization.yaml": "resources: []\n"}}).Archive()
	if err != nil {
		t.Fatal(err)
	}
	if p, err := LoadArchive(data); err != nil || p.Name != "p" || p.Version != "0.0.0" {
		t.Errorf("good archive: %+v, %v", p, err)
	}
}
