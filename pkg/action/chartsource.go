package action

import (
	"context"
	"os"

	"github.com/hoist-dev/hoist/pkg/postrender"
	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/source/oci"
)

// ChartSource resolves a chart reference (oci://…, git+…, repo/chart or a path) and
// fetches the chart or kustomize package it names. Every command that takes a CHART
// argument goes through it.
type ChartSource struct {
	// Git and Repo fetch git+… and repo/chart references; nil refuses them.
	Git, Repo source.Getter
	// OCI builds the getter of oci:// references for a call's registry options; nil
	// means NewRegistryClient. It is called for oci:// references only, so a bad
	// registry option does not fail a local chart.
	OCI func(RegistryOptions) (source.Getter, error)
}

// ChartSourceOptions configure ChartSource.Run.
type ChartSourceOptions struct {
	// Ref is the chart reference as the user wrote it.
	Ref string `json:"ref"`
	// Version is an exact version or a SemVer constraint; empty for the latest.
	Version string `json:"version,omitempty"`
	// Registry is how to reach an oci:// reference's registry.
	Registry RegistryOptions `json:"registry"`
	// NoDigest skips the digest of a local chart, which only release records need:
	// rendering saves reading every file a second time.
	NoDigest bool `json:"noDigest,omitempty"`
}

func ociGetter(c *oci.Client) source.Getter { return c }

// Run parses opts.Ref (a path that exists is a local chart, before repo/chart) and
// fetches it. The result's Source pins exactly what was fetched.
func (s ChartSource) Run(ctx context.Context, opts ChartSourceOptions) (*source.Fetched, error) {
	ref, err := source.Parse(opts.Ref, opts.Version, pathExists)
	if err != nil {
		return nil, err
	}
	// Kustomize checks a local package at fetch, as git.Options.Packages does for Git.
	local := source.LocalGetter{NoDigest: opts.NoDigest, Packages: postrender.Packages{}}
	f := &source.Fetcher{Local: local, Git: s.Git, Repo: s.Repo}
	if ref.Kind == source.OCI {
		reg, err := credentialsFor(opts.Registry, []string{ref.Registry}, ref.Raw)
		if err != nil {
			return nil, err
		}
		if f.OCI, err = registryClient(s.OCI, reg, ociGetter); err != nil {
			return nil, err
		}
	}
	return f.Fetch(ctx, ref)
}

func pathExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
