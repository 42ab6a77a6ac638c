package action

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/chart/charttest"
	"github.com/hoist-dev/hoist/pkg/chart/deps"
	"github.com/hoist-dev/hoist/pkg/source/oci"
	"github.com/hoist-dev/hoist/pkg/testenv"
)

const depsHelmVersion = "4.3.1"

// runHelm runs the helm binary the tools script builds, with its own configuration
// and cache, or skips the test.
func runHelmDeps(t *testing.T) func(dir string, args ...string) error {
	t.Helper()
	bin := filepath.Join(testenv.DefaultToolsDir(), "helm-"+depsHelmVersion, "helm")
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("helm %s not found at %s: build it with scripts/build-tools.sh helm", depsHelmVersion, bin)
	}
	home := t.TempDir()
	env := append(os.Environ(),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
		"HELM_REGISTRY_CONFIG="+filepath.Join(home, "registry.json"),
		"DOCKER_CONFIG="+filepath.Join(home, "docker"),
	)
	return func(dir string, args ...string) error {
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Dir = env, dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("helm %s: %w\n%s", strings.Join(args, " "), err, out.String())
		}
		return nil
	}
}

// TestE2EHelmInterop checks that helm accepts the Chart.lock hoist writes and the
// other way round: the same lock digest for file:// and oci:// dependencies.
func TestE2EDependencyHelmInterop(t *testing.T) {
	env := testenv.Require(t)
	helm := runHelmDeps(t)
	ctx := context.Background()
	c, err := oci.New(oci.Options{PlainHTTP: true, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("deps-helm-%d", os.Getpid())
	for _, v := range []string{"1.0.0", "1.1.0"} {
		if _, err := c.Push(ctx, oci.PushRequest{Archive: charttest.Archive(t, "remote", v), Target: oci.Target{Registry: env.Registry, Path: path}, Created: lockEpoch}); err != nil {
			t.Fatal(err)
		}
	}
	chartYAML := "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n" +
		"- name: sub\n  version: \">=0.1.0\"\n  repository: file://../sub\n  condition: sub.enabled\n  tags: [a, b]\n" +
		"- name: remote\n  version: ~1.0.0\n  repository: oci://" + env.Registry + "/" + path + "\n  alias: other\n  import-values:\n  - data\n  - child: x\n    parent: y\n"
	mk := func() string {
		root := t.TempDir()
		charttest.WriteFiles(t, root, map[string]string{
			"sub/Chart.yaml":    "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
			"parent/Chart.yaml": chartYAML,
		})
		return filepath.Join(root, "parent")
	}
	readLock := func(dir string) *chart.Lock {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, "Chart.lock"))
		if err != nil {
			t.Fatal(err)
		}
		l := new(chart.Lock)
		if err := yaml.Unmarshal(b, l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	m := &depManager{OCI: c}

	hoistDir, helmDir := mk(), mk()
	if _, err := m.Update(ctx, hoistDir, deps.Options{SourceDateEpoch: &lockEpoch}); err != nil {
		t.Fatal(err)
	}
	if err := helm(helmDir, "dependency", "update", ".", "--plain-http"); err != nil {
		t.Fatal(err)
	}
	ours, theirs := readLock(hoistDir), readLock(helmDir)
	if ours.Digest == "" || ours.Digest != theirs.Digest {
		t.Errorf("lock digest: hoist %s, helm %s", ours.Digest, theirs.Digest)
	}
	for i := range ours.Dependencies {
		o, h := ours.Dependencies[i], theirs.Dependencies[i]
		if o.Name != h.Name || o.Version != h.Version || o.Repository != h.Repository {
			t.Errorf("locked dependency %d: hoist %+v, helm %+v", i, *ours.Dependencies[i], *theirs.Dependencies[i])
		}
	}
	// Each builds from the other's lock.
	os.RemoveAll(filepath.Join(hoistDir, "charts"))
	if err := helm(hoistDir, "dependency", "build", ".", "--plain-http"); err != nil {
		t.Errorf("helm build from hoist's lock: %v", err)
	}
	os.RemoveAll(filepath.Join(helmDir, "charts"))
	if _, err := m.Build(ctx, helmDir, deps.Options{}); err != nil {
		t.Errorf("hoist build from helm's lock: %v", err)
	}
}
