package postrender

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/resid"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/engine"
)

// overlayRoot is where the overlay's files are in kustomize's in-memory file
// system.
const overlayRoot = "/hoist-overlay"

// sourceField is a top-level field that carries a rendered document's index and
// template path through kustomize ("12:mychart/templates/deploy.yaml"): kustomize
// keeps fields it does not know, and patches rarely replace a whole object. It is
// removed from the output; an object without it was made by the kustomization.
const sourceField = "x-hoist-postrender-source"

// build is one kustomize run over an overlay or package.
type build struct {
	*tree
	what string // "kustomize overlay" or "kustomize package", for messages
	// rendered is the text of the rendered objects that go through kustomize, each
	// with sourceField, written to renderedFile.
	rendered     strings.Builder
	renderedFile string
	// through are those documents, whose identities are parsed only when needed.
	through []*input
	// held are the identities of the hooks left out, for the patch check.
	held []*ident
	// selective is set when only the manifests that a patch selects go through
	// kustomize (tree.selective); bypassed are the others.
	selective bool
	bypassed  []*input
	// passed are the documents that do not go through kustomize.
	passed []doc
	// namePrefix prefixes the names of objects without sourceField (a package's
	// name).
	namePrefix string
	// namespace, when set, is given to namespaced objects without one.
	namespace string
}

// catch turns a panic during the build into an error naming the overlay or
// package: kustomize panics on some inputs (previous-name annotations of its own
// that do not add up), and one release's input must not crash a process that
// serves many. Deferred by the build's callers, whose results stay nil.
func (b *build) catch(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: %s: %w: %v", b.what, b.name(b.root), ErrKustomizePanic, r)
	}
}

// run builds the kustomization with the rendered objects added and returns every
// document: kustomize's output and what passed through.
func (b *build) run(ctx context.Context) ([]doc, error) {
	if err := b.checkGenerators(); err != nil {
		return nil, err
	}
	fsys := filesys.MakeFsInMemory()
	for _, name := range slices.Sorted(maps.Keys(b.files)) {
		if !memfsPath(name) {
			continue // never referred to (resolve checks what is), kustomize cannot hold it
		}
		if err := fsys.WriteFile(path.Join(overlayRoot, name), []byte(b.files[name])); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", b.what, b.name(name), err)
		}
	}
	if b.renderedFile != "" {
		root, err := b.rootKustomization()
		if err != nil {
			return nil, err
		}
		if err := fsys.WriteFile(path.Join(overlayRoot, b.root), root); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", b.what, b.name(b.root), err)
		}
		// Written even when empty: the root kustomization lists it.
		if err := fsys.WriteFile(path.Join(overlayRoot, b.renderedFile), []byte(b.rendered.String())); err != nil {
			return nil, err
		}
	}
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionNone
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	opts.PluginConfig = types.DisabledPluginConfig()
	opts.AddManagedbyLabel = false
	m, err := krusty.MakeKustomizer(opts).Run(fsys, overlayRoot)
	if err != nil {
		return nil, b.kustomizeError(err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	docs, outIDs, err := b.output(m)
	if err != nil {
		return nil, err
	}
	if err := b.checkPatches(outIDs); err != nil {
		return nil, err
	}
	return append(docs, b.passed...), nil
}

// memfsPath reports whether kustomize's in-memory file system can hold a file.
func memfsPath(name string) bool {
	for _, elem := range strings.Split(name, "/") {
		if !memfsName.MatchString(elem) || strings.Contains(elem, "..") {
			return false
		}
	}
	return true
}

// rootKustomization is the root kustomization with the rendered manifests added to
// its resources.
func (b *build) rootKustomization() ([]byte, error) {
	var k map[string]any
	if err := yaml.Unmarshal([]byte(b.files[b.root]), &k); err != nil {
		return nil, fmt.Errorf("%s: %s: %w: %w", b.what, b.name(b.root), ErrInvalidKustomization, err)
	}
	if k == nil {
		k = map[string]any{}
	}
	if b.renderedFile != "" {
		res, _ := k["resources"].([]any)
		k["resources"] = append(res, b.renderedFile)
	}
	out, err := yaml.Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", b.what, b.name(b.root), err)
	}
	return out, nil
}

// output turns kustomize's result into documents, removing the annotations added
// for the build, and returns the objects' identities for the patch check.
func (b *build) output(m resmap.ResMap) ([]doc, []*ident, error) {
	resources := m.Resources()
	var clusterScoped map[resid.Gvk]bool // custom kinds the build defines as cluster-scoped
	if b.namespace != "" {
		clusterScoped = crdScopes(resources)
	}
	docs := make([]doc, 0, len(resources))
	ids := make([]*ident, 0, len(resources))
	for i, r := range resources {
		id := nodeIdent(&r.RNode)
		if id != nil {
			b.variants(id)
			ids = append(ids, id)
		}
		var src string
		if f := r.Field(sourceField); f != nil {
			src = f.Value.YNode().Value
			if err := r.PipeE(kyaml.Clear(sourceField)); err != nil {
				return nil, nil, fmt.Errorf("%s: %s: %w", b.what, r.CurId(), err)
			}
		}
		name, index, ok := b.source(src, id, i)
		if !ok {
			return nil, nil, fmt.Errorf("%s: %s: %w: %s %q", b.what, r.CurId(), ErrInvalidOutput, sourceField, src)
		}
		if gvk := r.GetGvk(); b.namespace != "" && r.GetNamespace() == "" && !gvk.IsClusterScoped() &&
			!clusterScoped[resid.Gvk{Group: gvk.Group, Kind: gvk.Kind}] {
			if err := r.SetNamespace(b.namespace); err != nil {
				return nil, nil, fmt.Errorf("%s: %s: %w", b.what, r.CurId(), err)
			}
		}
		out, err := r.RNode.String()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", b.what, r.CurId(), err)
		}
		head, err := json.Marshal(headOf(&r.RNode))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", b.what, r.CurId(), err)
		}
		docs = append(docs, doc{name: name, index: index, content: out, head: string(head)})
	}
	return docs, ids, nil
}

// headOf is the part of an object that engine.SortManifests reads.
func headOf(n *kyaml.RNode) *engine.Head {
	h := &engine.Head{APIVersion: n.GetApiVersion(), Kind: n.GetKind()}
	h.Metadata = &struct {
		Name        string            `json:"name"`
		Annotations map[string]string `json:"annotations"`
	}{Name: n.GetName(), Annotations: n.GetAnnotations()}
	return h
}

// crdScopes is the group and kind of each custom resource that a
// CustomResourceDefinition among resources makes cluster-scoped.
func crdScopes(resources []*resource.Resource) map[resid.Gvk]bool {
	scopes := map[resid.Gvk]bool{}
	for _, r := range resources {
		if r.GetKind() != "CustomResourceDefinition" {
			continue
		}
		scope, _ := r.GetString("spec.scope")
		group, _ := r.GetString("spec.group")
		kind, _ := r.GetString("spec.names.kind")
		if scope == "Cluster" && kind != "" {
			scopes[resid.Gvk{Group: group, Kind: kind}] = true
		}
	}
	return scopes
}

// source is an output object's document name and index: from its sourceField
// (src) for a rendered object; else the file of the overlay that holds an object
// of its kind and (original) name, or the kustomization that generates it; else
// the root kustomization.
func (b *build) source(src string, id *ident, i int) (string, int, bool) {
	const generated = 1 << 20 // after the rendered documents of the same name
	if src != "" {
		idx, name, found := strings.Cut(src, ":")
		n, err := strconv.Atoi(idx)
		if !found || err != nil {
			return "", 0, false
		}
		return name, n, true
	}
	name := b.root
	if id == nil {
		return path.Join(b.namePrefix, name), generated + i, true
	}
	named := func(n string) bool { return anyOf(id.names, func(m string) bool { return m == n }) }
	// A rendered object that lost its field (a generator with behavior merge
	// replaces the object it merges into).
	for _, in := range b.through {
		if h := in.head; h != nil && h.Kind != "" && h.Metadata != nil {
			if h.Kind == id.gvk.Kind && named(h.Metadata.Name) {
				return in.name, in.index, true
			}
			continue
		}
		for _, rid := range in.idents() {
			if rid.gvk.Kind == id.gvk.Kind && named(rid.names[0]) {
				return in.name, in.index, true
			}
		}
	}
	for _, in := range b.inputs {
		if in.gvk.Kind == id.gvk.Kind && named(in.names[0]) {
			name = in.source
			break
		}
	}
	return path.Join(b.namePrefix, name), generated + i, true
}

// pointerDump is how some kustomize messages print a Go pointer ("&{0xc000123 …}").
var pointerDump = regexp.MustCompile(` ?&\{0x[0-9a-f]+( 0x[0-9a-f]+)*\}`)

// kustomizeError is an error of kustomize's, with the in-memory file system's
// paths replaced by the overlay's.
type kustomizeError struct {
	msg string
	err error
}

func (e *kustomizeError) Error() string { return e.msg }

func (e *kustomizeError) Unwrap() error { return e.err }

func (b *build) kustomizeError(err error) error {
	msg := err.Error()
	dir := b.display
	if dir == "" {
		dir = "."
	}
	if b.renderedFile != "" {
		msg = strings.ReplaceAll(msg, overlayRoot+"/"+b.renderedFile, "the rendered manifests")
	}
	msg = strings.ReplaceAll(msg, overlayRoot+"/", strings.TrimSuffix(dir, "/")+"/")
	msg = strings.ReplaceAll(msg, overlayRoot, dir)
	msg = pointerDump.ReplaceAllString(msg, "")
	return &kustomizeError{msg: fmt.Sprintf("%s: %s: %s", b.what, b.name(b.root), msg), err: err}
}
