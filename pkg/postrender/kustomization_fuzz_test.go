package postrender

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadTree parses and checks arbitrary kustomizations, as LoadOverlay and
// LoadPackage do before kustomize runs: kust is the root kustomization.yaml, file a
// file beside it (patch.yaml, which it may name as a resource or patch) and comp the
// kustomization of a component in c/. loadTree must not panic, and every error must
// wrap one of the package's errors (or fs.ErrNotExist, for a file it names that is
// not there).
func FuzzLoadTree(f *testing.F) {
	dirs, _ := filepath.Glob(filepath.Join("testdata", "overlay", "*", "kustomization.yaml"))
	dirs2, _ := filepath.Glob(filepath.Join("testdata", "overlay-errors", "*", "kustomization.yaml"))
	for _, k := range append(dirs, dirs2...) {
		kust, err := os.ReadFile(k)
		if err != nil {
			f.Fatal(err)
		}
		var other []byte
		entries, _ := os.ReadDir(filepath.Dir(k))
		for _, e := range entries {
			if e.Type().IsRegular() && e.Name() != "kustomization.yaml" {
				other, _ = os.ReadFile(filepath.Join(filepath.Dir(k), e.Name()))
				break
			}
		}
		f.Add(string(kust), string(other), "kind: Component\napiVersion: kustomize.config.k8s.io/v1alpha1\ncommonLabels: {a: b}\n")
	}
	f.Add("resources: [patch.yaml]\ncomponents: [c]\npatches:\n- path: patch.yaml\n", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n", "kind: Component\napiVersion: kustomize.config.k8s.io/v1alpha1\npatches:\n- path: ../patch.yaml\n")
	f.Add("resources: [../x, /etc/passwd, https://example.com/a.yaml, github.com/a/b]\n", "", "")
	f.Add("components: [c, c/../c]\nhelmCharts: [{name: x}]\n", "a: &a [*a]\n", "resources: [..]\n")
	f.Add(laughs(""), bombPatch, "kind: Kustomization\n")

	sentinels := []error{ErrNoKustomization, ErrInvalidKustomization, ErrRemoteBase, ErrUnsafePath,
		ErrUnsupportedFile, ErrLimitExceeded, ErrPatchTarget, ErrInvalidArchive, ErrKustomizePanic, fs.ErrNotExist}
	f.Fuzz(func(t *testing.T, kust, file, comp string) {
		files := map[string]string{"kustomization.yaml": kust, "patch.yaml": file, "c/kustomization.yaml": comp}
		_, err := loadTree(files, "overlay")
		if err == nil {
			return
		}
		for _, s := range sentinels {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("error wraps none of the package's errors: %v", err)
	})
}
