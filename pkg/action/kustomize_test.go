package action

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/chart/charttest"
	"github.com/hoist-dev/hoist/pkg/postrender"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
	"github.com/hoist-dev/hoist/pkg/source/oci"
)

// TestKustomizePackageCheckedAtFetch: ChartSource and Push check a local
// kustomize package (directory or archive) with kustomize, so an unknown
// kustomization field fails there, naming the file, and not first at render.
func TestKustomizePackageCheckedAtFetch(t *testing.T) {
	ctx := context.Background()
	if f, err := (ChartSource{}).Run(ctx, ChartSourceOptions{Ref: writeKustomization(t, "app", "1.0.0")}); err != nil || f.Package == nil {
		t.Fatalf("good package: %+v, %v", f, err)
	}

	dir := writeKustomization(t, "app", "1.0.0")
	kust := filepath.Join(dir, "kustomization.yaml")
	data, err := os.ReadFile(kust)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, "resourcez: []\n"...)
	charttest.WriteFiles(t, dir, map[string]string{"kustomization.yaml": string(data)})
	p, err := kpkg.LoadDir(dir)
	if err != nil {
		t.Fatalf("the artifact check refuses the package: %v", err)
	}
	archiveData, err := p.Archive()
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "app-1.0.0.tgz")
	if err := os.WriteFile(archive, archiveData, 0o644); err != nil {
		t.Fatal(err)
	}

	const unknown = `unknown field "resourcez"`
	for _, tc := range []struct{ ref, want string }{
		{dir, "fetching " + dir + ": kustomize package: " + kust + ": invalid kustomization: "},
		{archive, "fetching " + archive + ": " + archive + ": kustomize package archive: app/kustomization.yaml: invalid kustomization: "},
	} {
		_, err := (ChartSource{}).Run(ctx, ChartSourceOptions{Ref: tc.ref, NoDigest: true})
		if !errors.Is(err, postrender.ErrInvalidKustomization) || !strings.HasPrefix(errString(err), tc.want) || !strings.Contains(errString(err), unknown) {
			t.Errorf("fetch %s: %v; want %q…%s", tc.ref, err, tc.want, unknown)
		}
	}

	// Push refuses it before it talks to the registry (nothing listens there).
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	_, err = Push{}.Run(ctx, PushOptions{Archive: archive, Target: oci.Target{Registry: "127.0.0.1:1"}, Registry: RegistryOptions{PlainHTTP: true}})
	want := "pushing " + archive + ": kustomize package archive: app/kustomization.yaml: invalid kustomization: "
	if !errors.Is(err, oci.ErrNotChart) || !strings.HasPrefix(errString(err), want) || !strings.Contains(errString(err), unknown) {
		t.Errorf("push: %v; want %q…%s", err, want, unknown)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
