package apply

import (
	"reflect"
	"testing"

	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/release"
)

func kinds(objs []release.ObjectRef, st [][]int) [][]string {
	out := make([][]string, len(st))
	for i, s := range st {
		for _, j := range s {
			out[i] = append(out[i], objs[j].Kind+"/"+objs[j].Name)
		}
	}
	return out
}

func TestStages(t *testing.T) {
	objs := []release.ObjectRef{
		{Group: "apps", Kind: "Deployment", Name: "d1"},
		{Kind: "Service", Name: "s1"},
		{Group: "example.com", Kind: "Widget", Name: "w1"},
		{Kind: "ConfigMap", Name: "c1"},
		{Group: "example.com", Kind: "Gadget", Name: "g1"},
		{Kind: "ConfigMap", Name: "c2"},
		{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition", Name: "widgets.example.com"},
		{Kind: "Namespace", Name: "ns"},
		{Group: "apps", Kind: "Deployment", Name: "d2"},
		{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "r"},
	}

	defs, rest := applyStages(objs, engine.InstallOrder)
	if got := kinds(objs, [][]int{defs}); !reflect.DeepEqual(got, [][]string{{"CustomResourceDefinition/widgets.example.com", "Namespace/ns"}}) {
		t.Errorf("definitions stage %v", got)
	}
	want := [][]string{
		{"ConfigMap/c1", "ConfigMap/c2"},
		{"ClusterRole/r"},
		{"Service/s1"},
		{"Deployment/d1", "Deployment/d2"},
		{"Gadget/g1"}, // unknown kinds last, by name
		{"Widget/w1"},
	}
	if got := kinds(objs, rest); !reflect.DeepEqual(got, want) {
		t.Errorf("install stages\n got %v\nwant %v", got, want)
	}

	wantDelete := [][]string{
		{"Gadget/g1"}, // unknown kinds (custom resources) first
		{"Widget/w1"},
		{"Deployment/d1", "Deployment/d2"},
		{"Service/s1"},
		{"ClusterRole/r"},
		{"CustomResourceDefinition/widgets.example.com"},
		{"ConfigMap/c1", "ConfigMap/c2"},
		{"Namespace/ns"},
	}
	if got := kinds(objs, stages(objs, engine.UninstallOrder, true)); !reflect.DeepEqual(got, wantDelete) {
		t.Errorf("uninstall stages\n got %v\nwant %v", got, wantDelete)
	}
	if got := stages(nil, engine.InstallOrder, false); len(got) != 0 {
		t.Errorf("stages of nothing: %v", got)
	}
}
