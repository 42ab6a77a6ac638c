package postrender

import (
	"errors"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// ident is what a patch target is matched against: an object, possibly under
// several names and namespaces (before and after kustomize).
type ident struct {
	source      string // the template or file it comes from, if any
	gvk         resid.Gvk
	names       []string
	namespaces  []string
	labels      map[string]string
	annotations map[string]string
	// res is the object as kustomize resources, built on first use.
	res resmap.ResMap
}

func nodeIdent(n *kyaml.RNode) *ident {
	if n.YNode().Kind != kyaml.MappingNode || n.GetKind() == "" {
		return nil
	}
	return &ident{
		gvk:         resid.GvkFromNode(n),
		names:       []string{n.GetName()},
		namespaces:  []string{n.GetNamespace()},
		labels:      n.GetLabels(),
		annotations: n.GetAnnotations(),
	}
}

func generatedIdent(kind string, a types.GeneratorArgs, file string) *ident {
	return &ident{
		source:     file,
		gvk:        resid.Gvk{Version: "v1", Kind: kind},
		names:      []string{a.Name},
		namespaces: []string{a.Namespace},
	}
}

// resources is the object as kustomize sees it, once under each of its names and
// namespaces (as many objects of the same kind, labels and annotations), so that
// kustomize's own ResMap.Select decides what a target selects.
func (id *ident) resources() resmap.ResMap {
	if id.res != nil {
		return id.res
	}
	id.res = resmap.New()
	seen := map[resid.ResId]bool{}
	for _, name := range id.names {
		for _, ns := range id.namespaces {
			// One resource per id kustomize tells apart (it refuses two).
			key := resid.NewResIdWithNamespace(id.gvk, name, ns)
			key.Namespace = key.EffectiveNamespace()
			if seen[key] {
				continue
			}
			seen[key] = true
			n := kyaml.NewMapRNode(nil)
			n.SetApiVersion(id.gvk.ApiVersion())
			n.SetKind(id.gvk.Kind)
			// Neither step fails for a new mapping and an id not yet added; an
			// object that could not be described is one no patch selects.
			if errors.Join(n.SetName(name), n.SetNamespace(ns), n.SetLabels(id.labels), n.SetAnnotations(id.annotations)) == nil {
				_ = id.res.Append(&resource.Resource{RNode: *n})
			}
		}
	}
	return id.res
}

// selects reports whether the patch's target selects id, by kustomize's
// ResMap.Select, under any of id's names and namespaces.
func (p *patchRef) selects(id *ident) bool {
	// The kind, checked first, rules out most objects without building resources.
	if p.target == nil || !p.sel.MatchGvk(id.gvk) {
		return false
	}
	// The selectors were checked (checkSelectors), so Select does not fail.
	selected, err := id.resources().Select(*p.target)
	return err == nil && len(selected) > 0
}

// names reports whether the patch names the object id explicitly: a target with a
// name that selects it, or a strategic-merge document of its kind and name.
func (p *patchRef) names(id *ident) bool {
	if p.target != nil {
		return p.target.Name != "" && p.selects(id)
	}
	for _, t := range p.ids {
		if t.Kind == id.gvk.Kind && anyOf(id.names, func(n string) bool { return n == t.Name }) {
			return true
		}
	}
	return false
}

func anyOf[T any](xs []T, f func(T) bool) bool {
	for _, x := range xs {
		if f(x) {
			return true
		}
	}
	return false
}

// variants adds to id the names and namespaces kustomize may have matched before
// transforming it: without any namePrefix or nameSuffix of the tree, without a
// generator's hash suffix, in any namespace a kustomization sets.
func (t *tree) variants(id *ident) {
	seen := map[string]bool{}
	for _, n := range id.names {
		seen[n] = true
	}
	for i := 0; i < len(id.names) && len(id.names) < 64; i++ {
		n := id.names[i]
		var more []string
		for _, p := range t.prefixes {
			if s, ok := strings.CutPrefix(n, p); ok {
				more = append(more, s)
			}
		}
		for _, s := range t.suffixes {
			if s, ok := strings.CutSuffix(n, s); ok {
				more = append(more, s)
			}
		}
		if hashSuffix.MatchString(n) {
			more = append(more, n[:len(n)-11])
		}
		for _, m := range more {
			if m != "" && !seen[m] {
				seen[m] = true
				id.names = append(id.names, m)
			}
		}
	}
	id.namespaces = append(id.namespaces, t.namespaces...)
	id.res = nil
}

// hashSuffix is the hash kustomize appends to a generated name.
var hashSuffix = regexp.MustCompile(`-[a-z0-9]{10}$`)
