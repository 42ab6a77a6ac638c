package cli

import (
	"context"
	"os"

	"github.com/hoist-dev/hoist/pkg/source"
)

// fetchChart parses a chart reference (oci://, git+…, repo/chart, path) and fetches it.
func (s *settings) fetchChart(ctx context.Context, raw string, cf chartFlags) (*source.Fetched, error) {
	ref, err := source.Parse(raw, cf.Version, func(p string) bool {
		_, err := os.Stat(p)
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	f := s.fetcher()
	if cf.RenderOnly {
		f.Local = source.LocalGetter{NoDigest: true}
	}
	if ref.Kind == source.OCI {
		c, err := registryClient(&cf.Reg, Deps{})
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
