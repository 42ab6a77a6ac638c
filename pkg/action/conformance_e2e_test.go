package action

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/release"
)

// podinfoCorpus is the podinfo chart of the conformance corpus (absent: the test skips).
const podinfoCorpus = "../../../shared/conformance/charts/podinfo" // ../shared beside the project

// TestE2EConformanceUpgrade upgrades podinfo (a real public chart) to a "version 2" with
// other values, waits, and rolls back.
func TestE2EConformanceUpgrade(t *testing.T) {
	if _, err := os.Stat(filepath.Join(podinfoCorpus, "Chart.yaml")); err != nil {
		t.Skipf("conformance corpus absent (%v): the podinfo chart is needed", err)
	}
	t.Parallel()
	cfg, ns, ctx, cs, step := scenario(t, 3*time.Minute)
	const name = "podinfo"
	wait := DeployOptions{Wait: true, Timeout: 90 * time.Second, HistoryMax: 10}

	v2 := filepath.Join(t.TempDir(), "podinfo")
	copyTree(t, podinfoCorpus, v2)
	rewrite(t, filepath.Join(v2, "Chart.yaml"), "version: 6.14.1", "version: 6.14.2")
	rewrite(t, filepath.Join(v2, "values.yaml"), "replicaCount: 1\n", "replicaCount: 2\n")
	rewrite(t, filepath.Join(v2, "values.yaml"), "  tag: 6.14.1\n", "  tag: 6.14.2\n")
	image := func(t *testing.T) (string, int32) {
		t.Helper()
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d.Spec.Template.Spec.Containers[0].Image, *d.Spec.Replicas
	}

	step("install version 1", func(t *testing.T) {
		res, err := Install{Config: cfg}.Run(ctx, InstallOptions{Name: name, Namespace: ns, Chart: fetchLocal(t, podinfoCorpus), DeployOptions: wait})
		if err != nil {
			t.Fatal(err)
		}
		if v := res.Release.Chart.Metadata.Version; v != "6.14.1" {
			t.Fatalf("chart version %s", v)
		}
		if img, n := image(t); img != "ghcr.io/stefanprodan/podinfo:6.14.1" || n != 1 {
			t.Fatalf("image %s replicas %d", img, n)
		}
		deploymentReady(t, ctx, cs, ns, name, 1)
	})

	step("upgrade to version 2 with wait", func(t *testing.T) {
		res, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{Name: name, Namespace: ns, Chart: fetchLocal(t, v2), DeployOptions: wait})
		if err != nil {
			t.Fatal(err)
		}
		if v := res.Release.Chart.Metadata.Version; v != "6.14.2" || res.Release.Revision != 2 {
			t.Fatalf("chart version %s revision %d", v, res.Release.Revision)
		}
		configured := false
		for _, o := range res.Changes.Objects(apply.ActionConfigured) {
			configured = configured || o.String() == "Deployment/"+ns+"/"+name
		}
		if !configured {
			t.Fatalf("the deployment should be configured:\n%s", res.Changes)
		}
		if img, n := image(t); img != "ghcr.io/stefanprodan/podinfo:6.14.2" || n != 2 {
			t.Fatalf("image %s replicas %d", img, n)
		}
		deploymentReady(t, ctx, cs, ns, name, 2)
		h, err := History{Config: cfg}.Run(ctx, HistoryOptions{Name: name, Namespace: ns, Max: 0})
		if err != nil || len(h) != 2 {
			t.Fatalf("history: %v", err)
		}
		if h[0].Status != release.StatusSuperseded || h[0].Chart.Metadata.Version != "6.14.1" ||
			h[1].Status != release.StatusDeployed || h[1].Chart.Metadata.Version != "6.14.2" {
			t.Fatalf("history: %s %s, %s %s", h[0].Status, h[0].Chart.Metadata.Version, h[1].Status, h[1].Chart.Metadata.Version)
		}
	})

	step("rollback to version 1", func(t *testing.T) {
		if _, err := (Rollback{Config: cfg}).Run(ctx, RollbackOptions{Name: name, Namespace: ns, DeployOptions: wait}); err != nil {
			t.Fatal(err)
		}
		if img, n := image(t); img != "ghcr.io/stefanprodan/podinfo:6.14.1" || n != 1 {
			t.Fatalf("image %s replicas %d", img, n)
		}
		deploymentReady(t, ctx, cs, ns, name, 1)
		r, err := Get{Config: cfg}.Run(ctx, GetOptions{Name: name, Namespace: ns})
		if err != nil || r.Revision != 3 || r.Chart.Metadata.Version != "6.14.1" {
			t.Fatalf("latest: %v %+v", err, r)
		}
	})
}

func rewrite(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(b), old) != 1 {
		t.Fatalf("%s: %q found %d times, want once", path, old, strings.Count(string(b), old))
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}
