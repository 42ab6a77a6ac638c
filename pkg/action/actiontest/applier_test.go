package actiontest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/kube/fence"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
)

const manifest = `---
# Source: app/templates/a.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: other}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r, namespace: ignored}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: ns1}}
- {apiVersion: v1, kind: Secret, metadata: {name: s}}
---
# only a comment
`

func TestBuild(t *testing.T) {
	objs, err := NewApplier().Build(manifest, "def")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, apply.RefOf(o).String())
	}
	want := "ConfigMap/def/a Deployment/other/d ClusterRole/r Namespace/ns1 Secret/def/s"
	if strings.Join(got, " ") != want {
		t.Fatalf("built %v, want %s", got, want)
	}
	if _, err := NewApplier().Build(manifest+"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n", "def"); err == nil || !strings.Contains(err.Error(), "ConfigMap/def/a is defined twice") {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestApplyActionsAndOwnership(t *testing.T) {
	ctx := context.Background()
	a := NewApplier()
	objs, err := a.Build(manifest, "def")
	if err != nil {
		t.Fatal(err)
	}
	owner := apply.Owner{ReleaseName: "rel", ReleaseNamespace: "def"}
	cs, err := a.Apply(ctx, objs, apply.ApplyOptions{Owner: owner})
	if err != nil || cs.Summary() != "5 created" {
		t.Fatalf("first apply: %s, %v", cs.Summary(), err)
	}
	// Namespaces first, then the install order; unknown kinds last.
	if first, last := cs.Changes[0].Object.Kind, cs.Changes[4].Object.Kind; first != "Namespace" || last != "Deployment" {
		t.Fatalf("apply order %s", cs)
	}
	objs[0].Object["data"] = map[string]any{"k": "v"}
	cs, err = a.Apply(ctx, objs, apply.ApplyOptions{Owner: owner, DryRun: true})
	if err != nil || cs.Count(apply.ActionConfigured) != 1 || cs.Count(apply.ActionUnchanged) != 4 {
		t.Fatalf("dry run: %s, %v", cs, err)
	}
	if n := len(a.Writes()); n != 5 {
		t.Fatalf("%d writes after a dry run, want 5", n)
	}
	// Another release's apply is refused before any write, unless it takes ownership.
	other := apply.Owner{ReleaseName: "other", ReleaseNamespace: "def"}
	cs, err = a.Apply(ctx, objs, apply.ApplyOptions{Owner: other})
	if !errors.Is(err, apply.ErrNotOwned) || cs.Count(apply.ActionFailed) != 5 || len(a.Writes()) != 5 {
		t.Fatalf("apply by another release: %s, %v", cs, err)
	}
	if _, err := a.Apply(ctx, objs, apply.ApplyOptions{Owner: other, TakeOwnership: true}); err != nil {
		t.Fatal(err)
	}
	if got := a.Get("ConfigMap", "def", "a").GetAnnotations()[apply.AnnotationReleaseName]; got != "other" {
		t.Fatalf("owner after take-ownership: %q", got)
	}
}

func TestApplyStopsAtFenceAndFailures(t *testing.T) {
	a := NewApplier()
	objs, err := a.Build(manifest, "def")
	if err != nil {
		t.Fatal(err)
	}
	owner := apply.Owner{ReleaseName: "rel", ReleaseNamespace: "def"}
	lost := false
	ctx := fence.WithCheck(context.Background(), func() error {
		if lost {
			return storage.ErrLockLost
		}
		return nil
	})
	n := 0
	a.BeforeWrite = func(context.Context, release.ObjectRef) error {
		n++
		lost = n == 3
		return nil
	}
	cs, err := a.Apply(ctx, objs, apply.ApplyOptions{Owner: owner})
	if !errors.Is(err, storage.ErrLockLost) || cs.Count(apply.ActionCreated) != 2 || cs.Count(apply.ActionFailed) != 1 || cs.Count(apply.ActionSkipped) != 2 {
		t.Fatalf("apply losing the fence at the third object: %s, %v", cs, err)
	}
	a.BeforeWrite = nil
	a.FailApply("d", errors.New("denied"))
	cs, err = a.Apply(context.Background(), objs, apply.ApplyOptions{Owner: owner})
	if err == nil || !strings.Contains(err.Error(), "Deployment/other/d: apply: denied") || cs.Count(apply.ActionFailed) != 1 {
		t.Fatalf("apply with a failing object: %s, %v", cs, err)
	}
}

func TestPruneAndDelete(t *testing.T) {
	ctx := context.Background()
	a := NewApplier()
	objs, err := a.Build(manifest, "def")
	if err != nil {
		t.Fatal(err)
	}
	objs[0].SetAnnotations(map[string]string{apply.AnnotationResourcePolicy: apply.ResourcePolicyKeep})
	owner := apply.Owner{ReleaseName: "rel", ReleaseNamespace: "def"}
	if _, err := a.Apply(ctx, objs, apply.ApplyOptions{Owner: owner}); err != nil {
		t.Fatal(err)
	}
	// Keep only the Secret: the kept ConfigMap stays, the others go.
	cs, err := a.Prune(ctx, apply.RefsOf(objs), objs[4:], apply.PruneOptions{Owner: owner})
	if err != nil || cs.Count(apply.ActionDeleted) != 3 || cs.Count(apply.ActionKept) != 1 {
		t.Fatalf("prune: %s, %v", cs, err)
	}
	if len(a.Objects()) != 2 {
		t.Fatalf("left %d objects, want the kept ConfigMap and the Secret", len(a.Objects()))
	}
	cs, err = a.Delete(ctx, apply.RefsOf(objs), apply.DeleteOptions{Owner: apply.Owner{ReleaseName: "x", ReleaseNamespace: "def"}})
	if err != nil || cs.Count(apply.ActionSkipped) != 5 {
		t.Fatalf("delete by another release: %s, %v", cs, err)
	}
}
