package cli

import (
	"context"
	"os"

	"github.com/hoist-dev/hoist/pkg/source"
)

// chartFlags are the flags of commands that take a CHART reference.
type chartFlags struct {
	version string
}

func (c *chartFlags) register(f interface {
	StringVar(p *string, name, value, usage string)
}) {
	f.StringVar(&c.version, "version", "", "chart version: exact, or a SemVer constraint (\"^1.2\"); default the latest")
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
	return s.fetcher().Fetch(ctx, ref)
}

// fetcher wires the source backends.
func (s *settings) fetcher() *source.Fetcher {
	return &source.Fetcher{Local: source.LocalGetter{}}
}
