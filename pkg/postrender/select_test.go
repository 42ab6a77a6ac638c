package postrender

import (
	"testing"

	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/resid"
)

// selectObjects are the objects TestSelectsAsKustomize matches targets against.
const selectObjects = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: front}
  annotations: {team: backend, n: "5"}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-canary
  namespace: default
  labels: {app: web}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: team-a
---
apiVersion: v1
kind: Namespace
metadata:
  name: team-a
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: web-reader
  labels: {app: web}
`

// TestSelectsAsKustomize: a patch target selects an object exactly when
// kustomize's ResMap.Select, which applies patches, selects it.
func TestSelectsAsKustomize(t *testing.T) {
	nodes, err := kio.FromBytes([]byte(selectObjects))
	if err != nil {
		t.Fatal(err)
	}
	targets := []types.Selector{
		{ResId: resIDSel("", "", "Deployment", "", "")},
		{ResId: resIDSel("apps", "", "", "", "")},
		{ResId: resIDSel("", "v1", "", "", "")},
		{ResId: resIDSel("", "", "", "web", "")},     // anchored: not web-canary
		{ResId: resIDSel("", "", "", "web.*", "")},   // regular expression
		{ResId: resIDSel("", "", "", "we", "")},      // no prefix match
		{ResId: resIDSel("", "", "", "", "default")}, // no namespace is the default one
		{ResId: resIDSel("", "", "", "", "team-a")},
		{ResId: resIDSel("", "", "", "", "team-.*")},
		{ResId: resIDSel("", "", "Namespace", "", "team-a")}, // cluster-scoped: in no namespace
		{ResId: resIDSel("", "", "(Deployment|Service)", "", "")},
		{LabelSelector: "app=web"},
		{LabelSelector: "app in (web,db),!tier"},
		{LabelSelector: "tier"},
		{LabelSelector: "app!=web"},
		{AnnotationSelector: "team=backend"},
		{AnnotationSelector: "n>3"},
		{AnnotationSelector: "!team"},
		{ResId: resIDSel("", "", "Deployment", "web", ""), LabelSelector: "app=web", AnnotationSelector: "team=backend"},
	}
	for _, target := range targets {
		p := patchRef{target: &target}
		if p.sel, err = types.NewSelectorRegex(&target); err != nil {
			t.Fatal(err)
		}
		if err := checkSelectors(&target); err != nil {
			t.Fatal(err)
		}
		m := resmap.New()
		for _, n := range nodes {
			if err := m.Append(&resource.Resource{RNode: *n.Copy()}); err != nil {
				t.Fatal(err)
			}
		}
		want, err := m.Select(target)
		if err != nil {
			t.Fatal(err)
		}
		selected := map[string]bool{}
		for _, r := range want {
			selected[r.CurId().String()] = true
		}
		for _, n := range nodes {
			id := nodeIdent(n)
			key := (&resource.Resource{RNode: *n}).CurId().String()
			if got := p.selects(id); got != selected[key] {
				t.Errorf("target %s, object %s: selects = %v, kustomize selects it: %v", describeSelector(&target), key, got, selected[key])
			}
		}
	}
}

func resIDSel(group, version, kind, name, namespace string) resid.ResId {
	return resid.ResId{Gvk: resid.Gvk{Group: group, Version: version, Kind: kind}, Name: name, Namespace: namespace}
}

// TestSelectsVariants: an object counts under its names and namespaces before
// and after kustomize (the lenient patch check).
func TestSelectsVariants(t *testing.T) {
	tr := &tree{prefixes: []string{"p-"}, namespaces: []string{"team-a"}}
	id := &ident{gvk: resid.Gvk{Version: "v1", Kind: "ConfigMap"}, names: []string{"p-cm-0123456789"}, namespaces: []string{""}}
	tr.variants(id)
	for _, c := range []struct {
		target types.Selector
		want   bool
	}{
		{types.Selector{ResId: resIDSel("", "", "ConfigMap", "p-cm-0123456789", "")}, true},
		{types.Selector{ResId: resIDSel("", "", "ConfigMap", "cm-0123456789", "")}, true}, // without the prefix
		{types.Selector{ResId: resIDSel("", "", "ConfigMap", "p-cm", "")}, true},          // without the hash
		{types.Selector{ResId: resIDSel("", "", "ConfigMap", "cm", "team-a")}, true},
		{types.Selector{ResId: resIDSel("", "", "ConfigMap", "cm", "default")}, true},
		{types.Selector{ResId: resIDSel("", "", "ConfigMap", "cm", "team-b")}, false},
		{types.Selector{ResId: resIDSel("", "", "Secret", "cm", "")}, false},
	} {
		p := patchRef{target: &c.target}
		p.sel, _ = types.NewSelectorRegex(&c.target)
		if got := p.selects(id); got != c.want {
			t.Errorf("target %s: selects = %v, want %v", describeSelector(&c.target), got, c.want)
		}
	}
}

// TestInvalidSelector: a selector kustomize cannot parse is an invalid
// kustomization when the overlay is loaded, naming the patch.
func TestInvalidSelector(t *testing.T) {
	for field, sel := range map[string]string{"labelSelector": "app in (web", "annotationSelector": "a=b c"} {
		dir := t.TempDir()
		write(t, dir, "kustomization.yaml", "patches:\n- target:\n    "+field+": "+sel+"\n  patch: '[]'\n")
		_, err := LoadOverlay(dir)
		wantError(t, err, ErrInvalidKustomization, "patches[0]", "target."+field)
	}
}
