package cli

import (
	"context"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/source"
)

// fetchChart fetches the chart (or kustomize package) a CHART argument names, with
// the chart flags: action.ChartSource over the sources set up from the environment.
func (s *settings) fetchChart(ctx context.Context, raw string, cf chartFlags) (*source.Fetched, error) {
	return s.chartSource().Run(ctx, chartSourceOptions(raw, cf))
}

// chartSource fetches charts from the sources set up from the environment.
func (s *settings) chartSource() action.ChartSource {
	return action.ChartSource{Git: gitSource(), Repo: repoSource()}
}

// chartSourceOptions are the options for the CHART argument raw and the chart flags.
func chartSourceOptions(raw string, cf chartFlags) action.ChartSourceOptions {
	return action.ChartSourceOptions{
		Ref:     raw,
		Version: cf.Version,
		// settings carry no build info: charts are fetched as plain "hoist".
		Registry: registryOptions(&cf.Reg, Deps{}),
		NoDigest: cf.RenderOnly,
	}
}
