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
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/openapi"
	"sigs.k8s.io/kustomize/kyaml/resid"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// overlayRoot is where the overlay's files are in kustomize's in-memory file
// system.
const overlayRoot = "/hoist-overlay"

// renderedName is the name of the file, next to the root kustomization, that
// holds the rendered manifests: the first of hoist-rendered.yaml,
// hoist-rendered-1.yaml… that the overlay does not have.
func renderedName(files map[string]string) string {
	name := "hoist-rendered.yaml"
	for i := 1; ; i++ {
		if _, taken := files[name]; !taken {
			return name
		}
		name = fmt.Sprintf("hoist-rendered-%d.yaml", i)
	}
}

// Overlay is a kustomize overlay's inputs: the files of its directory, keyed by
// slash paths relative to it, with a kustomization file at the root.
type Overlay struct {
	Files map[string]string
	// Dir is the overlay's directory as the user gave it, used only to name files
	// in messages; it is not recorded.
	Dir string
}

// LoadOverlay reads every regular file under dir (skipping .git directories;
// following symlinks that stay inside dir, refusing others) within the limits of
// kpkg.ReadDir, and checks the kustomization: present at the root,
// valid, with every file it refers to inside dir and no remote base.
func LoadOverlay(dir string) (*Overlay, error) {
	files, err := kpkg.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize overlay: %w", err)
	}
	o := &Overlay{Files: files, Dir: dir}
	if _, err := loadTree(files, dir); err != nil {
		return nil, fmt.Errorf("kustomize overlay: %w", err)
	}
	prewarm()
	return o, nil
}

var prewarmOnce sync.Once

// prewarm decodes kustomize's built-in Kubernetes OpenAPI schema in the background,
// once per process. Strategic-merge patches need it, and decoding it is most of a
// small overlay's cost (about 30 ms); a command that loads an overlay before
// rendering the chart gets it done on another core meanwhile. kyaml guards the
// decode with its own lock, so a patch that needs the schema earlier waits for it.
func prewarm() {
	prewarmOnce.Do(func() { go openapi.Schema() })
}

// OverlayFromRecord is the overlay recorded in a release (Release.Postrender) by
// Record; nil when the record is empty. Its files are checked as LoadOverlay's.
func OverlayFromRecord(rec map[string]string) (*Overlay, error) {
	if len(rec) == 0 {
		return nil, nil
	}
	files, err := decodeRecord(rec)
	if err != nil {
		return nil, fmt.Errorf("recorded kustomize overlay: %w", err)
	}
	if err := kpkg.CheckFiles(files); err != nil {
		return nil, fmt.Errorf("recorded kustomize overlay: %w", err)
	}
	return &Overlay{Files: files}, nil
}

// Record is the overlay's files for Release.Postrender: the files as they are,
// except those that are not valid UTF-8 (which JSON would mangle), stored as
// "base64:" and their base64 encoding. Nil for a nil overlay.
func (o *Overlay) Record() map[string]string {
	if o == nil {
		return nil
	}
	return encodeRecord(o.Files)
}

// Run applies the overlay to rendered manifests and hooks: the manifests become a
// resource of the overlay's root kustomization, built with kustomize in memory
// (root-only load restrictions, no plugins, no exec, no Helm, no network), and the
// result is sorted into manifests and hooks again in Helm's install order. A nil
// overlay returns its input.
//
// Hooks: a hook goes through kustomize only when a patch of the overlay names it:
// a patch whose target has a name that selects it (with the target's other
// fields), or a strategic-merge patch without target of the hook's kind and name.
// It then gets every transformation of the kustomization, as manifests do
// (namePrefix, labels, images…). Any other hook passes through untouched.
//
// Each object keeps its template path as Manifest.Name (Hook.Path); objects the
// overlay adds are named after the file they come from, relative to the overlay
// (generated ones after the kustomization that generates them). The content of an
// object that went through kustomize is its YAML as kustomize's kyaml prints it
// (the field order, styles and comments of its source are kept); an object that
// did not is unchanged. A patch whose target selects no object is an error
// (kustomize would ignore it); so is one that selects only hooks that did not go
// through kustomize.
//
// When the overlay only patches (tree.selective: no generator, name, label,
// annotation, namespace, image or replica transformation, no patch that renames),
// only the manifests that some patch may select go through kustomize; the others
// cannot change and pass by, which saves most of kustomize's cost.
func (o *Overlay) Run(ctx context.Context, manifests []engine.Manifest, hooks []*engine.Hook) (_ []engine.Manifest, _ []*engine.Hook, err error) {
	if o == nil {
		return manifests, hooks, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	t, err := loadTree(o.Files, o.Dir)
	if err != nil {
		return nil, nil, fmt.Errorf("kustomize overlay: %w", err)
	}
	b := &build{tree: t, what: "kustomize overlay", renderedFile: renderedName(o.Files), selective: t.selective()}
	defer b.catch(&err)
	for i := range manifests {
		if err := b.addInput(i, &manifests[i], nil); err != nil {
			return nil, nil, err
		}
	}
	for i, h := range hooks {
		if err := b.addInput(len(manifests)+i, nil, h); err != nil {
			return nil, nil, err
		}
	}
	docs, err := b.run(ctx)
	if err != nil {
		return nil, nil, err
	}
	return sortDocs(docs)
}

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

// input is a rendered document that goes through kustomize.
type input struct {
	name    string
	index   int
	content string
	head    *engine.Head // nil when unknown
	ids     []*ident     // parsed on demand
	parsed  bool
}

// idents is the objects of the document, parsed on first use: only its metadata
// when the head is known and the document a simple block mapping.
func (in *input) idents() []*ident {
	if !in.parsed {
		in.parsed = true
		if id := quickIdent(in.content, in.head); id != nil {
			id.source = in.name
			in.ids = []*ident{id}
		} else {
			in.ids = parseIdents(in.name, in.content)
		}
	}
	return in.ids
}

// quickIdent is the identity of a document with a known head, from its metadata
// block alone (the lines from "metadata:" to the next top-level key); nil when
// that does not apply or does not parse.
func quickIdent(content string, head *engine.Head) *ident {
	if head == nil || head.Kind == "" || strings.HasSuffix(head.Kind, "List") || !blockMapping(content) {
		return nil
	}
	var block strings.Builder
	in := false
	for line := range strings.Lines(content) {
		top := line != "" && line[0] != ' ' && line[0] != '#' && line[0] != '\n'
		switch {
		case strings.HasPrefix(line, "metadata:"):
			if in {
				return nil // twice
			}
			in = true
		case top && in:
			in = false
		}
		if in {
			block.WriteString(line)
		}
	}
	var m struct {
		Metadata struct {
			Name        string            `yaml:"name"`
			Namespace   string            `yaml:"namespace"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"metadata"`
	}
	if err := kyaml.Unmarshal([]byte(block.String()), &m); err != nil {
		return nil
	}
	gv, _ := schema.ParseGroupVersion(head.APIVersion)
	md := m.Metadata
	return &ident{
		gvk:         resid.Gvk{Group: gv.Group, Version: gv.Version, Kind: head.Kind},
		names:       []string{md.Name},
		namespaces:  []string{md.Namespace},
		labels:      md.Labels,
		annotations: md.Annotations,
	}
}

// parseIdents is the identities of the objects of a document; none when it does
// not parse (kustomize reports that).
func parseIdents(name, content string) []*ident {
	nodes, err := kio.FromBytes([]byte(content))
	if err != nil {
		return nil
	}
	var ids []*ident
	for _, n := range nodes {
		if id := nodeIdent(n); id != nil {
			id.source = name
			ids = append(ids, id)
		}
	}
	return ids
}

// addInput adds a rendered document: through kustomize if it is a manifest or a
// hook that a patch names, passed through otherwise (and when it holds no object).
// When the overlay is selective, a manifest that no patch selects passes through
// too. A manifest whose head is known is not parsed whole.
func (b *build) addInput(index int, m *engine.Manifest, h *engine.Hook) error {
	var name, content string
	var head *engine.Head
	manifest := m != nil
	if manifest {
		name, content, head = m.Name, m.Content, m.Head
	} else {
		name, content = h.Path, h.Manifest
	}
	in := &input{name: name, index: index, content: content, head: head}
	pass := func() {
		d := doc{name: name, index: index, content: content, hook: h}
		if m != nil && m.Head != nil {
			d.manifest = m
		}
		b.passed = append(b.passed, d)
	}
	if manifest && b.selective && head != nil && head.Kind != "" && !b.touched(in) {
		pass()
		b.bypassed = append(b.bypassed, in)
		return nil
	}
	if head == nil || head.Kind == "" || !manifest {
		ids := in.idents()
		switch {
		case len(ids) == 0:
			pass()
			return nil
		case !manifest && !b.named(ids):
			pass()
			b.held = append(b.held, ids...)
			return nil
		}
	}
	b.through = append(b.through, in)
	source := strconv.Itoa(index) + ":" + name
	if head != nil && !strings.HasSuffix(head.Kind, "List") && blockMapping(content) {
		// The common case: the field is appended to the text, without parsing.
		b.rendered.WriteString("---\n")
		b.rendered.WriteString(content)
		if !strings.HasSuffix(content, "\n") {
			b.rendered.WriteString("\n")
		}
		b.rendered.WriteString(sourceField + ": " + strconv.Quote(source) + "\n")
		return nil
	}
	nodes, err := kio.FromBytes([]byte(content))
	if err != nil {
		return fmt.Errorf("%s: rendered %s: %w", b.what, name, err)
	}
	for _, n := range nodes {
		if err := setSource(n, source); err != nil {
			return fmt.Errorf("%s: rendered %s: %w", b.what, name, err)
		}
	}
	text, err := kio.StringAll(nodes)
	if err != nil {
		return fmt.Errorf("%s: rendered %s: %w", b.what, name, err)
	}
	b.rendered.WriteString("---\n")
	b.rendered.WriteString(text)
	return nil
}

// touched reports whether some patch may change the document's object, or
// kustomize would drop it (local configuration). The head decides when it can;
// the metadata is parsed only for a patch whose target's kind and name match and
// that selects by namespace, labels or annotations.
func (b *build) touched(in *input) bool {
	h := in.head
	var name string
	var annotations map[string]string
	if h.Metadata != nil {
		name, annotations = h.Metadata.Name, h.Metadata.Annotations
	}
	if _, ok := annotations[localConfigAnnotation]; ok {
		return true
	}
	gv, _ := schema.ParseGroupVersion(h.APIVersion)
	gvk := resid.Gvk{Group: gv.Group, Version: gv.Version, Kind: h.Kind}
	for _, p := range b.patches {
		if p.target == nil {
			if anyOf(p.ids, func(id resid.ResId) bool { return id.Kind == h.Kind && id.Name == name }) {
				return true
			}
			continue
		}
		if !p.sel.MatchGvk(gvk) || !p.sel.MatchName(name) {
			continue
		}
		if p.target.Namespace == "" && p.target.LabelSelector == "" && p.target.AnnotationSelector == "" {
			return true
		}
		if anyOf(in.idents(), p.selects) {
			return true
		}
	}
	return false
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

// localConfigAnnotation marks objects kustomize leaves out of its output.
const localConfigAnnotation = "config.kubernetes.io/local-config"

// blockMapping reports whether a document is a block mapping whose keys start in
// the first column, with no line that could make a key appended at its end part
// of something else: then appending "key: value" adds a top-level field.
func blockMapping(content string) bool {
	for line := range strings.Lines(content) {
		t := strings.TrimLeft(line, " ")
		if t == "" || t == "\n" || t[0] == '#' {
			continue
		}
		c := line[0]
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
	}
	return false
}

// named reports whether some patch names one of the objects.
func (b *build) named(ids []*ident) bool {
	for _, p := range b.patches {
		for _, id := range ids {
			if p.names(id) {
				return true
			}
		}
	}
	return false
}

// setSource sets sourceField on an object, or on each item of a List.
func setSource(n *kyaml.RNode, source string) error {
	value := kyaml.NewScalarRNode(source)
	value.YNode().Style = kyaml.DoubleQuotedStyle
	if strings.HasSuffix(n.GetKind(), "List") {
		if items := n.Field("items"); items != nil && items.Value.YNode().Kind == kyaml.SequenceNode {
			elems, err := items.Value.Elements()
			if err != nil {
				return err
			}
			for _, e := range elems {
				if e.YNode().Kind == kyaml.MappingNode {
					if err := e.PipeE(kyaml.SetField(sourceField, value.Copy())); err != nil {
						return err
					}
				}
			}
			return nil
		}
	}
	return n.PipeE(kyaml.SetField(sourceField, value))
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

// checkGenerators fails for a ConfigMap or Secret generator without behavior
// merge or replace whose object already exists: generated by an earlier generator
// of the same kustomization, or, for the root kustomization and its components, in
// the rendered manifests. (kustomize fails too, with a message that names neither
// the generator nor the file.)
func (b *build) checkGenerators() error {
	type gen struct {
		field string
		kind  string
		args  types.GeneratorArgs
	}
	for _, k := range b.kusts {
		var gens []gen
		for i, g := range k.k.ConfigMapGenerator {
			gens = append(gens, gen{fmt.Sprintf("configMapGenerator[%d]", i), "ConfigMap", g.GeneratorArgs})
		}
		for i, g := range k.k.SecretGenerator {
			gens = append(gens, gen{fmt.Sprintf("secretGenerator[%d]", i), "Secret", g.GeneratorArgs})
		}
		for i, g := range gens {
			if g.args.Behavior != "" && g.args.Behavior != "create" {
				continue
			}
			gvk := resid.Gvk{Version: "v1", Kind: g.kind}
			ns := resid.NewResIdWithNamespace(gvk, "", g.args.Namespace).EffectiveNamespace()
			same := func(kind, name, namespace string) bool {
				return kind == g.kind && name == g.args.Name &&
					resid.NewResIdWithNamespace(gvk, "", namespace).EffectiveNamespace() == ns
			}
			for _, prev := range gens[:i] {
				if same(prev.kind, prev.args.Name, prev.args.Namespace) {
					return fmt.Errorf("%s: %s: %w: %s: %s %q is also generated by %s; set behavior: merge or replace",
						b.what, b.name(k.file), ErrInvalidKustomization, g.field, g.kind, g.args.Name, prev.field)
				}
			}
			if !k.top {
				continue
			}
			for _, in := range b.through {
				if h := in.head; h != nil && h.Kind != "" && (h.Kind != g.kind || h.Metadata == nil || h.Metadata.Name != g.args.Name) {
					continue // not a candidate: no need to parse it
				}
				for _, id := range in.idents() {
					if same(id.gvk.Kind, id.names[0], id.namespaces[0]) && id.gvk.Group == "" {
						return fmt.Errorf("%s: %s: %w: %s: %s %q is already in the rendered manifests (%s); set behavior: merge or replace",
							b.what, b.name(k.file), ErrInvalidKustomization, g.field, g.kind, g.args.Name, id.source)
					}
				}
			}
		}
	}
	return nil
}

// checkPatches fails for a patch with a target that selects no object, before or
// after kustomize (kustomize ignores such a patch), naming the patch.
func (b *build) checkPatches(outIDs []*ident) error {
	for _, p := range b.patches {
		if p.target == nil {
			continue // kustomize fails itself when such a patch matches nothing
		}
		if anyOf(outIDs, p.selects) || anyOf(b.inputs, p.selects) ||
			anyOf(b.through, func(in *input) bool { return anyOf(in.idents(), p.selects) }) {
			continue
		}
		if anyOf(b.bypassed, func(in *input) bool { return anyOf(in.idents(), p.selects) }) {
			continue
		}
		if anyOf(b.held, p.selects) {
			return fmt.Errorf("%s: %s: %w: it selects only hooks, and a hook is patched only when the patch's target names it (target.name)", b.what, p.where, ErrPatchTarget)
		}
		return fmt.Errorf("%s: %s: %w: target %s", b.what, p.where, ErrPatchTarget, describeSelector(p.target))
	}
	return nil
}

func describeSelector(s *types.Selector) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("group", s.Group)
	add("version", s.Version)
	add("kind", s.Kind)
	add("name", s.Name)
	add("namespace", s.Namespace)
	add("labelSelector", s.LabelSelector)
	add("annotationSelector", s.AnnotationSelector)
	if len(parts) == 0 {
		return "(empty)"
	}
	return strings.Join(parts, " ")
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
