package action

import (
	"context"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/postrender"
	"github.com/hoist-dev/hoist/pkg/render"
	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// The chart render lives in pkg/render (which imports no client-go); these are its
// names in the actions that use it.
type (
	RenderOptions   = render.Options
	Rendered        = render.Rendered
	Template        = render.Template
	TemplateOptions = render.TemplateOptions
	TemplateResult  = render.TemplateResult
)

// ErrNotInstallable is returned for library charts.
var ErrNotInstallable = render.ErrNotInstallable

// Render processes dependencies, coalesces and validates values, and renders the chart
// as Helm's install does (without touching a cluster).
func Render(ctx context.Context, c *chart.Chart, opts RenderOptions) (*Rendered, error) {
	return render.Chart(ctx, c, opts)
}

// RenderPackage renders a kustomize package as a release's manifests and hooks, then
// runs the post-renderer of opts, if any.
func RenderPackage(ctx context.Context, p *kpkg.Package, opts RenderOptions) (*Rendered, error) {
	return render.KustomizePackage(ctx, postrender.Package{Package: p}, opts)
}

// RenderFetched renders what a source fetched: a chart, or a kustomize package.
func RenderFetched(ctx context.Context, f *source.Fetched, opts RenderOptions) (*Rendered, error) {
	if f.Package != nil {
		return RenderPackage(ctx, f.Package, opts)
	}
	return Render(ctx, f.Chart, opts)
}

// postrenderRecord is what a release records of its post-renderers: the files of the
// kustomize overlay, if there is one.
func postrenderRecord(pr postrender.PostRenderer) map[string]string {
	switch p := pr.(type) {
	case *postrender.Overlay:
		return p.Record()
	case postrender.Chain:
		for _, x := range p {
			if r := postrenderRecord(x); r != nil {
				return r
			}
		}
	}
	return nil
}
