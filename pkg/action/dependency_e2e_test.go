package action

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/pkg/chart/charttest"
	"github.com/hoist-dev/hoist/pkg/chart/deps"
	"github.com/hoist-dev/hoist/pkg/source/oci"
	"github.com/hoist-dev/hoist/pkg/testenv"
)

// TestE2EOCIDependency pushes two versions of a chart to the local registry, then
// updates and builds a parent chart that depends on oci://REGISTRY/PATH.
func TestE2EDependencyOCI(t *testing.T) {
	env := testenv.Require(t)
	ctx := context.Background()
	c, err := oci.New(oci.Options{PlainHTTP: true, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("deps-e2e-%d", time.Now().UnixNano())
	for _, v := range []string{"0.1.0", "0.1.5", "0.2.0"} {
		if _, err := c.Push(ctx, oci.PushRequest{Archive: charttest.Archive(t, "ocidep", v), Target: oci.Target{Registry: env.Registry, Path: path}, Created: lockEpoch}); err != nil {
			t.Fatal(err)
		}
	}
	repoRef := "oci://" + env.Registry + "/" + path
	root := t.TempDir()
	dir := filepath.Join(root, "parent")
	charttest.WriteFiles(t, dir, map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n- name: ocidep\n  version: ~0.1.0\n  repository: " + repoRef + "\n",
	})
	m := &depManager{OCI: c}
	t.Run("update", func(t *testing.T) {
		res, err := m.Update(ctx, dir, deps.Options{SourceDateEpoch: &lockEpoch})
		if err != nil {
			t.Fatal(err)
		}
		if res.Dependencies[0].Version != "0.1.5" || !strings.HasPrefix(res.Dependencies[0].Digest, "sha256:") {
			t.Errorf("%+v", res.Dependencies[0])
		}
		lock, _ := os.ReadFile(filepath.Join(dir, "Chart.lock"))
		if !strings.Contains(string(lock), "repository: "+repoRef+"\n  version: 0.1.5\n") {
			t.Errorf("Chart.lock:\n%s", lock)
		}
		if got := charttest.Vendored(t, dir); !slices.Equal(got, []string{"ocidep-0.1.5.tgz"}) {
			t.Errorf("charts/ = %v", got)
		}
	})
	t.Run("build", func(t *testing.T) {
		if err := os.RemoveAll(filepath.Join(dir, "charts")); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Build(ctx, dir, deps.Options{}); err != nil {
			t.Fatal(err)
		}
		l, err := deps.List(dir)
		if err != nil {
			t.Fatal(err)
		}
		if l.Dependencies[0].Status != deps.StatusOK {
			t.Errorf("%+v", l.Dependencies)
		}
	})
	t.Run("no matching version", func(t *testing.T) {
		charttest.WriteFiles(t, dir, map[string]string{
			"Chart.yaml": "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n- name: ocidep\n  version: ^3.0.0\n  repository: " + repoRef + "\n",
		})
		_, err := m.Update(ctx, dir, deps.Options{})
		if err == nil || !strings.Contains(err.Error(), `dependency "ocidep" (repository "`+repoRef+`")`) {
			t.Fatalf("err = %v", err)
		}
	})
}
