package cli

import (
	"context"
	"os"

	"github.com/spf13/pflag"

	"github.com/hoist-dev/hoist/pkg/source"
)

// chartFlags are the flags of commands that take a CHART reference: --version and,
// for oci:// references, the registry connection flags.
type chartFlags struct {
	version string
	reg     registryFlags
	// renderOnly commands (template, show) need no digest of a local chart.
	renderOnly bool
}

func (c *chartFlags) register(f *pflag.FlagSet) {
	f.StringVar(&c.version, "version", "", "chart version: exact, or a SemVer constraint (\"^1.2\"); default the latest")
	c.reg.register(f, "insecure-skip-tls-verify", true)
}

// fetchChart parses a chart reference (oci://, git+…, repo/chart, path) and fetches it.
func (s *settings) fetchChart(ctx context.Context, raw string, cf chartFlags) (*source.Fetched, error) {
	ref, err := source.Parse(raw, cf.version, func(p string) bool {
		_, err := os.Stat(p)
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	f := s.fetcher()
	if cf.renderOnly {
		f.Local = source.LocalGetter{NoDigest: true}
	}
	if ref.Kind == source.OCI {
		c, err := cf.reg.client(Deps{})
		if err != nil {
			return nil, err
		}
		f.OCI = c
	}
	return f.Fetch(ctx, ref)
}

// fetcher wires the source backends.
func (s *settings) fetcher() *source.Fetcher {
	return &source.Fetcher{Local: source.LocalGetter{}, OCI: ociGetter(), Git: gitSource(), Repo: repoSource()}
}
