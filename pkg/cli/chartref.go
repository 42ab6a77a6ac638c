package cli

import (
	"context"
	"time"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/postrender"
	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/source/git"
	"github.com/hoist-dev/hoist/pkg/source/repo"
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

// repoManager is the chart repositories of this user: repositories file and cache
// from the environment (see repo.DefaultOptions).
func repoManager(userAgent string, timeout time.Duration) *repo.Manager {
	o := repo.DefaultOptions()
	o.UserAgent, o.Timeout = userAgent, timeout
	return repo.NewManager(o)
}

// gitSource is the Git getter with the environment's defaults (git.DefaultOptions:
// cache, netrc, SSH keys, agent and known_hosts).
func gitSource() source.Getter {
	o := git.DefaultOptions()
	// Git sources check a kustomize package fully (the git package cannot link kustomize).
	o.Packages = postrender.RepositoryPackages{}
	g, err := git.New(o)
	if err != nil {
		return failingGetter{err}
	}
	return g
}

// repoSource is the Fetcher's backend for repo/chart references.
func repoSource() source.Getter { return repoManager("hoist", 0) }

// failingGetter reports, when it is used, why a source backend could not be set up.
type failingGetter struct{ err error }

func (g failingGetter) Get(context.Context, source.Ref) (*source.Fetched, error) { return nil, g.err }
