package cli

import (
	"context"
	"fmt"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/cli/chartcmd"
	"github.com/hoist-dev/hoist/pkg/postrender"
	"github.com/hoist-dev/hoist/pkg/render"
)

// The flags shared by the commands that render live in chartcmd, with the template
// command, so that the template fast path (internal/fastpath) builds the very same
// command without client-go.
type (
	// Deps is everything a command may touch outside itself, injected by main (or a test).
	Deps = chartcmd.Deps
	// BuildInfo describes the running binary.
	BuildInfo = chartcmd.BuildInfo

	valuesFlags     = chartcmd.ValuesFlags
	chartFlags      = chartcmd.ChartFlags
	registryFlags   = chartcmd.RegistryFlags
	postRenderFlags = chartcmd.PostRenderFlags
)

func newTemplateCmd(deps Deps, s *settings) *cobra.Command {
	return chartcmd.NewTemplateCmd(deps, chartcmd.TemplateEnv{
		Namespace: s.Namespace,
		Fetch: func(ctx context.Context, ref string, cf chartFlags) (*chart.Chart, render.Package, error) {
			f, err := s.fetchChart(ctx, ref, cf)
			if err != nil {
				return nil, nil, err
			}
			if f.Package != nil {
				return f.Chart, postrender.Package{Package: f.Package}, nil
			}
			return f.Chart, nil, nil
		},
		PostRenderer: buildPostRenderer,
	})
}

// buildPostRenderer returns the post-renderer the flags ask for (nil when none): the
// kustomize overlay first, then the executable.
func buildPostRenderer(p postRenderFlags) (render.PostRenderer, error) {
	var chain postrender.Chain
	if p.Kustomize != "" {
		o, err := postrender.LoadOverlay(p.Kustomize)
		if err != nil {
			return nil, fmt.Errorf("--kustomize: %w", err)
		}
		chain = append(chain, o)
	}
	if p.PostRenderer != "" {
		path, err := exec.LookPath(p.PostRenderer)
		if err != nil {
			return nil, fmt.Errorf("--post-renderer %s: %w", p.PostRenderer, err)
		}
		chain = append(chain, postrender.Exec{Path: path, Args: p.Args})
	} else if len(p.Args) > 0 {
		return nil, fmt.Errorf("--post-renderer-args needs --post-renderer")
	}
	switch len(chain) {
	case 0:
		return nil, nil
	case 1:
		return chain[0], nil
	}
	return chain, nil
}
