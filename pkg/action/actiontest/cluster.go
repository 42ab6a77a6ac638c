package actiontest

import (
	"context"
	"sort"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hoist-dev/hoist/pkg/engine"
)

// Cluster is an in-memory action.Cluster: fixed capabilities, lookup from an Applier's
// objects, and the namespaces it was asked to create.
type Cluster struct {
	// Caps are the capabilities reported (engine.DefaultCapabilities() when nil).
	Caps *engine.Capabilities
	// Objects answers lookup (nothing is found when nil).
	Objects *Applier

	mu         sync.Mutex
	namespaces []string
}

// Capabilities implements action.Cluster; each caller gets its own copy.
func (c *Cluster) Capabilities(context.Context) (*engine.Capabilities, error) {
	if c.Caps == nil {
		return engine.DefaultCapabilities(), nil
	}
	cp := *c.Caps
	cp.APIVersions = append(engine.VersionSet(nil), c.Caps.APIVersions...)
	return &cp, nil
}

// Lookup implements engine.Lookuper like the real cluster: one object by name (an
// empty map when it does not exist), or a List of every object of the kind in the
// namespace ("" for all namespaces) when name is empty.
func (c *Cluster) Lookup(_ context.Context, apiVersion, kind, namespace, name string) (map[string]any, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, err
	}
	var items []any
	if c.Objects != nil {
		for _, o := range c.Objects.Objects() {
			gvk := o.GroupVersionKind()
			if gvk.Group != gv.Group || gvk.Kind != kind || (namespace != "" && o.GetNamespace() != namespace) {
				continue
			}
			if name != "" {
				if o.GetName() == name {
					return o.UnstructuredContent(), nil
				}
				continue
			}
			items = append(items, o.UnstructuredContent())
		}
	}
	if name != "" {
		return map[string]any{}, nil
	}
	l := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": apiVersion, "kind": kind + "List", "metadata": map[string]any{}, "items": items,
	}}
	if items == nil {
		l.Object["items"] = []any{}
	}
	return l.Object, nil
}

// CreateNamespace implements action.Cluster: it records the namespace (once).
func (c *Cluster) CreateNamespace(_ context.Context, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.namespaces {
		if n == name {
			return nil
		}
	}
	c.namespaces = append(c.namespaces, name)
	return nil
}

// Namespaces are the namespaces created, sorted.
func (c *Cluster) Namespaces() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]string(nil), c.namespaces...)
	sort.Strings(out)
	return out
}
