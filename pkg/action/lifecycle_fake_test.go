package action_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/action/actiontest"
	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/release"
)

// TestFakeLifecycle runs install, upgrade (with pruning), rollback and uninstall on the
// fakes: the ChangeSets, hooks, records and objects each step leaves.
func TestFakeLifecycle(t *testing.T) {
	e := actiontest.NewEnv()
	ctx := context.Background()

	res := install(t, e, "web", testChart(t, "1.0.0", "extra: true\n"), nil, action.DeployOptions{})
	if got := res.Changes.Summary(); got != "3 created" {
		t.Fatalf("install changes: %s", got)
	}
	if res.Release.Revision != 1 || res.Release.Status != release.StatusDeployed || res.Release.Description != "Install complete" {
		t.Fatalf("install record: %d %s %q", res.Release.Revision, res.Release.Status, res.Release.Description)
	}
	if got, want := e.Hooks.Names(), []string{"web-pre", "web-post"}; !slices.Equal(got, want) {
		t.Fatalf("install hooks %v, want %v", got, want)
	}
	if cm := e.Apply.Get("ConfigMap", ns, "web-extra"); cm == nil || cm.GetAnnotations()[apply.AnnotationReleaseName] != "web" {
		t.Fatalf("web-extra not applied with its owner: %v", cm)
	}
	if n := len(e.Apply.Waits()); n != 0 {
		t.Fatalf("install without --wait waited %d times", n)
	}

	// Same chart, extra off: the config is unchanged, the extra pruned.
	res = upgrade(t, e, action.UpgradeOptions{Name: "web", Chart: testChart(t, "1.0.0", "extra: true\n"), Values: map[string]any{"extra": false}})
	if res.Changes.Count(apply.ActionUnchanged) != 1 || res.Changes.Count(apply.ActionConfigured) != 1 {
		t.Fatalf("upgrade changes: %s", res.Changes)
	}
	if res.Pruned.Count(apply.ActionDeleted) != 1 || res.Pruned.Changes[0].Object.Name != "web-extra" {
		t.Fatalf("upgrade pruned: %s", res.Pruned)
	}
	if e.Apply.Get("ConfigMap", ns, "web-extra") != nil {
		t.Fatal("web-extra is still there")
	}
	if got := statuses(t, e, "web"); got != "1:superseded 2:deployed" {
		t.Fatalf("history %s", got)
	}

	res, err := action.Rollback{Config: e.Config}.Run(ctx, action.RollbackOptions{Name: "web", Namespace: ns, Revision: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Release.Revision != 3 || res.Release.Description != "Rollback to 1" || e.Apply.Get("ConfigMap", ns, "web-extra") == nil {
		t.Fatalf("rollback: revision %d %q, extra %v", res.Release.Revision, res.Release.Description, e.Apply.Get("ConfigMap", ns, "web-extra"))
	}
	if got := statuses(t, e, "web"); got != "1:superseded 2:superseded 3:deployed" {
		t.Fatalf("history %s", got)
	}

	res, err = action.Uninstall{Config: e.Config}.Run(ctx, action.UninstallOptions{Name: "web", Namespace: ns, KeepHistory: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Changes.Count(apply.ActionDeleted) != 3 || len(e.Apply.Objects()) != 0 {
		t.Fatalf("uninstall: %s; left %d objects", res.Changes, len(e.Apply.Objects()))
	}
	if got := statuses(t, e, "web"); got != "1:superseded 2:superseded 3:uninstalled" {
		t.Fatalf("history %s", got)
	}
}

// TestFakeClusterLookupAndCapabilities pins what templates see of the fake Cluster: its
// capabilities and, through lookup, the objects in the fake Applier. A client dry run
// asks the cluster nothing.
func TestFakeClusterLookupAndCapabilities(t *testing.T) {
	e := actiontest.NewEnv()
	caps := engine.DefaultCapabilities()
	kv, err := engine.ParseKubeVersion("v1.31.4")
	if err != nil {
		t.Fatal(err)
	}
	caps.KubeVersion = *kv
	caps.APIVersions = engine.VersionSet{"v1", "example.com/v1/Widget"}
	e.Cluster.Caps = caps
	shared := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "shared", "namespace": ns}, "data": map[string]any{"token": "t0"},
	}}
	e.Apply.Put(shared)
	f := chartWith(t, "1.0.0", "", map[string]string{"templates/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-seen
data:
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
  widget: {{ .Capabilities.APIVersions.Has "example.com/v1/Widget" | quote }}
  token: {{ dig "data" "token" "none" (lookup "v1" "ConfigMap" .Release.Namespace "shared") | quote }}
  count: {{ len (dig "items" list (lookup "v1" "ConfigMap" "" "")) | quote }}
`})
	check := func(manifest, want string) {
		t.Helper()
		if !strings.Contains(manifest, want) {
			t.Fatalf("manifest lacks %q:\n%s", want, manifest)
		}
	}
	res, err := action.Install{Config: e.Config}.Run(t.Context(), action.InstallOptions{Name: "web", Namespace: ns, Chart: f, DeployOptions: action.DeployOptions{DryRun: action.DryRunClient}})
	if err != nil {
		t.Fatal(err)
	}
	check(res.Release.Manifest, `token: "none"`)
	res = install(t, e, "web", f, nil, action.DeployOptions{})
	for _, want := range []string{`kube: "v1.31.4"`, `widget: "true"`, `token: "t0"`, `count: "1"`} {
		check(res.Release.Manifest, want)
	}
}
