package apply

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/engine"
)

// Build parses a rendered manifest (YAML documents separated by "---") into objects, in
// document order; v1 Lists are flattened. The namespace of namespaced objects defaults to
// defaultNamespace; cluster-scoped objects lose any namespace they were rendered with
// (Helm and kubectl ignore it too). Kinds are resolved with the REST mapper; a kind the
// cluster does not serve is an error naming the document, unless a
// CustomResourceDefinition in the same manifest defines it (its scope then comes from the
// CRD; Apply resolves it once the CRD is established). Every problem is reported, joined.
func (m *Manager) Build(manifest, defaultNamespace string) ([]*unstructured.Unstructured, error) {
	if m == nil || m.Clients == nil || m.Clients.Mapper == nil {
		return nil, errors.New("apply: Build needs Clients with a REST mapper")
	}
	type parsed struct {
		obj *unstructured.Unstructured
		doc string // "document 3 (templates/cm.yaml)"
	}
	var objs []parsed
	var errs []error
	for i, doc := range engine.SplitDocuments(manifest) {
		desc := engine.DescribeDocument(i+1, doc)
		js, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: parsing YAML: %w", desc, err))
			continue
		}
		if s := strings.TrimSpace(string(js)); s == "null" || s == "{}" {
			continue // only comments, or empty
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := json.Unmarshal(js, &head); err != nil {
			errs = append(errs, fmt.Errorf("%s: not a Kubernetes object (a YAML mapping with apiVersion and kind)", desc))
			continue
		}
		if head.APIVersion == "" || head.Kind == "" {
			errs = append(errs, fmt.Errorf("%s: not a Kubernetes object: apiVersion and kind are required", desc))
			continue
		}
		got, _, err := unstructured.UnstructuredJSONScheme.Decode(js, nil, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", desc, head.Kind, err))
			continue
		}
		switch o := got.(type) {
		case *unstructured.Unstructured:
			objs = append(objs, parsed{o, desc})
		case *unstructured.UnstructuredList:
			for j := range o.Items {
				objs = append(objs, parsed{&o.Items[j], fmt.Sprintf("%s, item %d", desc, j+1)})
			}
		default:
			errs = append(errs, fmt.Errorf("%s: unexpected %T", desc, got))
		}
	}

	// Kinds defined by CRDs of the same manifest, with their scope.
	crdScopes := map[schema.GroupKind]string{}
	for _, p := range objs {
		if isCRD(RefOf(p.obj)) {
			group, _, _ := unstructured.NestedString(p.obj.Object, "spec", "group")
			kind, _, _ := unstructured.NestedString(p.obj.Object, "spec", "names", "kind")
			scope, _, _ := unstructured.NestedString(p.obj.Object, "spec", "scope")
			crdScopes[schema.GroupKind{Group: group, Kind: kind}] = scope
		}
	}

	out := make([]*unstructured.Unstructured, 0, len(objs))
	seen := map[key]string{}
	for _, p := range objs {
		o := p.obj
		meta := RefOf(o)
		if meta.Name == "" {
			if o.GetGenerateName() != "" {
				errs = append(errs, fmt.Errorf("%s: %s: metadata.generateName is not supported, set metadata.name", p.doc, meta.Kind))
			} else {
				errs = append(errs, fmt.Errorf("%s: %s: metadata.name is missing", p.doc, meta.Kind))
			}
			continue
		}
		var isNamespaced bool
		mp, err := m.mapping(meta)
		switch {
		case err == nil:
			isNamespaced = namespaced(mp)
		case errors.Is(err, ErrUnknownKind):
			scope, ok := crdScopes[schema.GroupKind{Group: meta.Group, Kind: meta.Kind}]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: %s: %w (and no CustomResourceDefinition in the manifest defines it)", p.doc, meta, err))
				continue
			}
			isNamespaced = scope != "Cluster"
		default:
			return nil, fmt.Errorf("%s: %s: %w", p.doc, meta, err)
		}
		if isNamespaced {
			if o.GetNamespace() == "" {
				o.SetNamespace(defaultNamespace)
			}
		} else {
			o.SetNamespace("")
		}
		meta = RefOf(o)
		if first, dup := seen[keyOf(meta)]; dup {
			errs = append(errs, fmt.Errorf("%s: %s is defined twice (first in %s)", p.doc, meta, first))
			continue
		}
		seen[keyOf(meta)] = p.doc
		out = append(out, o)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
