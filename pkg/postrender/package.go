package postrender

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/render"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// Package is a kustomize package that renders with kustomize (render.Package).
type Package struct {
	*kpkg.Package
}

var _ render.Package = Package{}

// LoadPackage reads a kustomize package from dir, with LoadOverlay's rules for
// files, and checks its kustomization as LoadOverlay does (kpkg.LoadDir
// checks only the artifact).
func LoadPackage(dir string) (*kpkg.Package, error) {
	files, err := kpkg.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize package: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize package: %s: %w", dir, err)
	}
	p, err := newPackage(files, filepath.Base(abs), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize package: %w", err)
	}
	prewarm()
	return p, nil
}

// LoadArchive reads a kustomize package from its archive (kpkg.ReadArchive) and
// checks its kustomization as LoadPackage does (kpkg.LoadArchive checks only the
// artifact).
func LoadArchive(data []byte) (*kpkg.Package, error) {
	files, top, err := kpkg.ReadArchive(data)
	if err != nil {
		return nil, fmt.Errorf("kustomize package archive: %w", err)
	}
	p, err := newPackage(files, top, top)
	if err != nil {
		return nil, fmt.Errorf("kustomize package archive: %w", err)
	}
	return p, nil
}

// Packages loads kustomize packages with LoadPackage and LoadArchive, for the
// sources that may not link kustomize (source.LocalGetter.Packages,
// oci.Options.Packages): they then refuse at fetch what kustomize would refuse
// at render.
type Packages struct{}

// LoadDir is LoadPackage(dir).
func (Packages) LoadDir(dir string) (*kpkg.Package, error) { return LoadPackage(dir) }

// LoadArchive is LoadArchive(data).
func (Packages) LoadArchive(data []byte) (*kpkg.Package, error) { return LoadArchive(data) }

// newPackage checks the kustomizations of files, then makes a package named
// defaultName unless the kustomization names it.
func newPackage(files map[string]string, defaultName, display string) (*kpkg.Package, error) {
	// A chart is reported as such by kpkg.New, whatever its kustomization.
	if _, chart := files[kpkg.ChartFile]; !chart {
		if _, err := loadTree(files, display); err != nil {
			return nil, err
		}
	}
	return kpkg.New(files, defaultName, display)
}

// Render builds the package with kustomize in memory (with Overlay.Run's
// restrictions) and sorts the result into manifests and hooks, in Helm's install
// order: objects annotated helm.sh/hook are hooks, as in charts. Each is named
// after the package and the file it comes from ("web/deploy.yaml"; generated
// objects after their kustomization).
//
// Namespaced objects without a namespace get namespace (the release's), so that
// they stay in it. A kustomization's own namespace field is applied first by
// kustomize and wins. Kinds are known to be cluster-scoped from kustomize's
// built-in list and the package's own CustomResourceDefinitions.
func (p Package) Render(namespace string) (_ []engine.Manifest, _ []*engine.Hook, err error) {
	t, err := loadTree(p.Files, p.Name)
	if err != nil {
		return nil, nil, fmt.Errorf("kustomize package: %w", err)
	}
	b := &build{tree: t, what: "kustomize package", namePrefix: p.Name, namespace: namespace}
	defer b.catch(&err)
	docs, err := b.run(context.Background())
	if err != nil {
		return nil, nil, err
	}
	return sortDocs(docs)
}
