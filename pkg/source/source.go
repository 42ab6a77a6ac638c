package source

import (
	"context"
	"fmt"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// Fetched is a chart obtained from a source.
type Fetched struct {
	Chart *chart.Chart
	// Package is set when the reference is a kustomize package (a directory with a
	// kustomization and no Chart.yaml); Chart then only holds its metadata.
	Package *kpkg.Package
	// Version is the chart version that was resolved (from a constraint, a tag or a ref).
	Version string
	// Digest identifies exactly what was fetched: "sha256:…" of the chart archive (OCI,
	// repository, local .tgz) or of the files of a directory, or the Git commit
	// ("git:<40 hex>").
	Digest string
	// Source is a reference that fetches exactly this again (pinned to the digest or
	// commit), recorded in release records.
	Source string
	// Archive is the path of the chart archive in the local cache, when there is one.
	Archive string
}

// Getter fetches the charts of one kind of source.
type Getter interface {
	Get(ctx context.Context, ref Ref) (*Fetched, error)
}

// Fetcher dispatches a reference to the getter of its kind.
type Fetcher struct {
	Local, OCI, Git, Repo Getter
}

// Fetch gets the chart ref names.
func (f *Fetcher) Fetch(ctx context.Context, ref Ref) (*Fetched, error) {
	var g Getter
	switch ref.Kind {
	case Local:
		g = f.Local
	case OCI:
		g = f.OCI
	case Git:
		g = f.Git
	case Repo:
		g = f.Repo
	}
	if g == nil {
		return nil, fmt.Errorf("%s: %s references are not supported here", ref.Raw, ref.Kind)
	}
	fc, err := g.Get(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", ref.Raw, err)
	}
	return fc, nil
}

// KustomizeAnnotation marks the stand-in chart metadata of a kustomize package.
const KustomizeAnnotation = "hoist.dev/kustomize"

// PackageFetched describes a fetched kustomize package. Chart is a stand-in holding
// only metadata (the package's name and version, type application, annotated
// KustomizeAnnotation), so that release records and listings name it like a chart.
func PackageFetched(p *kpkg.Package, digest, src, archive string) *Fetched {
	meta := &chart.Metadata{
		APIVersion: "v2", Name: p.Name, Version: p.Version, Type: "application",
		Description: "kustomize package", Annotations: map[string]string{KustomizeAnnotation: "true"},
	}
	return &Fetched{Chart: &chart.Chart{Metadata: meta}, Package: p, Version: p.Version, Digest: digest, Source: src, Archive: archive}
}
