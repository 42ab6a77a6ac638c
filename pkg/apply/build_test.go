package apply

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hoist-dev/hoist/pkg/kube"
)

// fakeMapper knows a few built-in kinds.
func fakeMapper() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	for _, k := range []struct {
		gvk        schema.GroupVersionKind
		namespaced bool
	}{
		{schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, true},
		{schema.GroupVersionKind{Version: "v1", Kind: "Service"}, true},
		{schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, false},
		{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, true},
		{schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}, true},
		{schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}, false},
		{schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}, false},
	} {
		scope := meta.RESTScopeRoot
		if k.namespaced {
			scope = meta.RESTScopeNamespace
		}
		m.Add(k.gvk, scope)
	}
	return m
}

func TestBuild(t *testing.T) {
	m := &Manager{Clients: &kube.Clients{Mapper: fakeMapper()}}
	manifest := `---
# Source: app/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: defaulted
data: {replicas: "3"}
---
# only a comment
---
apiVersion: v1
kind: ConfigMap
metadata: {name: explicit, namespace: other}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader, namespace: rendered-anyway}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Service, metadata: {name: s1}}
- {apiVersion: apps/v1, kind: Deployment, metadata: {name: d1}, spec: {replicas: 2}}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
---
apiVersion: example.com/v1
kind: ClusterWidget
metadata: {name: cw, namespace: dropped}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec: {group: example.com, scope: Namespaced, names: {kind: Widget, plural: widgets}, versions: [{name: v1}]}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: clusterwidgets.example.com}
spec: {group: example.com, scope: Cluster, names: {kind: ClusterWidget, plural: clusterwidgets}, versions: [{name: v1}]}
`
	objs, err := m.Build(manifest, "release-ns")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, RefOf(o).String())
	}
	want := []string{
		"ConfigMap/release-ns/defaulted", "ConfigMap/other/explicit", "ClusterRole/reader",
		"Service/release-ns/s1", "Deployment/release-ns/d1",
		"Widget/release-ns/w", "ClusterWidget/cw",
		"CustomResourceDefinition/widgets.example.com", "CustomResourceDefinition/clusterwidgets.example.com",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Build:\n got %v\nwant %v", got, want)
	}
	if r, ok, _ := unstructured.NestedInt64(objs[4].Object, "spec", "replicas"); !ok || r != 2 {
		t.Errorf("integers decode as int64: %v", objs[4].Object["spec"])
	}
}

func TestBuildErrors(t *testing.T) {
	m := &Manager{Clients: &kube.Clients{Mapper: fakeMapper()}}
	for _, c := range []struct {
		name, manifest string
		want           []string
		is             error
	}{
		{"unknown kind", "---\n# Source: app/templates/x.yaml\napiVersion: nope.example.com/v1\nkind: Nothing\nmetadata: {name: x}\n",
			[]string{"document 1 (app/templates/x.yaml)", "Nothing/x", "unknown kind nope.example.com/v1/Nothing", "no CustomResourceDefinition in the manifest"}, ErrUnknownKind},
		{"second document", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Nope\nmetadata: {name: b}\n",
			[]string{"document 2:", "unknown kind v1/Nope"}, ErrUnknownKind},
		{"no kind", "apiVersion: v1\nmetadata: {name: a}\n", []string{"document 1: not a Kubernetes object: apiVersion and kind are required"}, nil},
		{"not a mapping", "- a\n- b\n", []string{"document 1: not a Kubernetes object"}, nil},
		{"bad YAML", "apiVersion: v1\nkind: ConfigMap\n  metadata: {\n", []string{"document 1: parsing YAML"}, nil},
		{"no name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: a-}\n", []string{"metadata.generateName is not supported"}, nil},
		{"duplicate", "# Source: t/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n# Source: t/b.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n",
			[]string{"document 2 (t/b.yaml): ConfigMap/default/a is defined twice (first in document 1 (t/a.yaml))"}, nil},
		{"all errors", "apiVersion: v1\nkind: Nope1\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Nope2\nmetadata: {name: b}\n", []string{"Nope1", "Nope2"}, ErrUnknownKind},
	} {
		_, err := m.Build(c.manifest, "default")
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.name, err, w)
			}
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: error %v is not %v", c.name, err, c.is)
		}
	}
	if objs, err := m.Build("# nothing\n---\n\n", "default"); err != nil || len(objs) != 0 {
		t.Errorf("empty manifest: %v, %v", objs, err)
	}
}
