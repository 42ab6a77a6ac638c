package postrender

import (
	"context"
	"fmt"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/openapi"

	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

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
