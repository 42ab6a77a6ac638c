package helmimport

import (
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/release"
)

// manifestObjects is what a manifest holds: its objects as written and the scope
// ("Namespaced" or "Cluster") of each kind its CustomResourceDefinitions define.
type manifestObjects struct {
	objs      []release.ObjectRef
	crdScopes map[schema.GroupKind]string
}

// ManifestObjects lists the objects of a rendered manifest (YAML documents separated by
// "---", as Helm stores it) in document order, as written: Namespace is empty where the
// manifest names none, and is kept on cluster-scoped objects that name one. Lists are
// flattened and documents holding only comments skipped. An error names the document.
func ManifestObjects(manifest string) ([]release.ObjectRef, error) {
	m, err := parseManifest(manifest)
	if err != nil {
		return nil, err
	}
	return m.objs, nil
}

// Inventory lists the objects of a manifest as Helm applied them in namespace: the
// namespace of namespaced objects that name none is namespace, cluster-scoped objects
// have none. Kinds defined by a CustomResourceDefinition of the same manifest take
// their scope from it, the others from scope. Each object is listed once.
func Inventory(manifest, namespace string, scope ScopeFunc) ([]release.ObjectRef, error) {
	m, err := parseManifest(manifest)
	if err != nil {
		return nil, err
	}
	return m.resolve(namespace, scope)
}

func (m *manifestObjects) resolve(namespace string, scope ScopeFunc) ([]release.ObjectRef, error) {
	known := map[schema.GroupVersionKind]bool{}
	seen := map[release.ObjectRef]bool{}
	out := make([]release.ObjectRef, 0, len(m.objs))
	for _, o := range m.objs {
		gvk := schema.GroupVersionKind{Group: o.Group, Version: o.Version, Kind: o.Kind}
		namespaced, ok := known[gvk]
		if !ok {
			if s, isCRD := m.crdScopes[gvk.GroupKind()]; isCRD {
				namespaced = s != "Cluster"
			} else {
				var err error
				if namespaced, err = scope(gvk); err != nil {
					return nil, fmt.Errorf("scope of %s: %w", gvkString(gvk), err)
				}
			}
			known[gvk] = namespaced
		}
		switch {
		case !namespaced:
			o.Namespace = ""
		case o.Namespace == "":
			o.Namespace = namespace
		}
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out, nil
}

func gvkString(gvk schema.GroupVersionKind) string {
	return gvk.GroupVersion().String() + ", Kind=" + gvk.Kind
}

// parseManifest reads a manifest's objects, as hoist's apply does.
func parseManifest(manifest string) (*manifestObjects, error) {
	m := &manifestObjects{crdScopes: map[schema.GroupKind]string{}}
	for i, doc := range engine.SplitDocuments(manifest) {
		desc := engine.DescribeDocument(i+1, doc)
		js, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("manifest %s: parsing YAML: %w", desc, err)
		}
		if s := strings.TrimSpace(string(js)); s == "null" || s == "{}" {
			continue // only comments, or empty
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := json.Unmarshal(js, &head); err != nil || head.APIVersion == "" || head.Kind == "" {
			return nil, fmt.Errorf("manifest %s: not a Kubernetes object: apiVersion and kind are required", desc)
		}
		got, _, err := unstructured.UnstructuredJSONScheme.Decode(js, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("manifest %s: %s: %w", desc, head.Kind, err)
		}
		var items []*unstructured.Unstructured
		switch o := got.(type) {
		case *unstructured.Unstructured:
			items = append(items, o)
		case *unstructured.UnstructuredList:
			for j := range o.Items {
				items = append(items, &o.Items[j])
			}
		default:
			return nil, fmt.Errorf("manifest %s: unexpected %T", desc, got)
		}
		for _, o := range items {
			gvk := o.GroupVersionKind()
			if o.GetName() == "" || gvk.Kind == "" || gvk.Version == "" {
				return nil, fmt.Errorf("manifest %s: %s: apiVersion, kind and metadata.name are required", desc, gvk.Kind)
			}
			if gvk.Group == "apiextensions.k8s.io" && gvk.Kind == "CustomResourceDefinition" {
				group, _, _ := unstructured.NestedString(o.Object, "spec", "group")
				kind, _, _ := unstructured.NestedString(o.Object, "spec", "names", "kind")
				scope, _, _ := unstructured.NestedString(o.Object, "spec", "scope")
				if kind != "" {
					m.crdScopes[schema.GroupKind{Group: group, Kind: kind}] = scope
				}
			}
			m.objs = append(m.objs, release.ObjectRef{
				Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind, Namespace: o.GetNamespace(), Name: o.GetName(),
			})
		}
	}
	return m, nil
}
