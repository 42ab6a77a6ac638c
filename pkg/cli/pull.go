package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/chart/provenance"
)

func newPullCmd(deps Deps) *cobra.Command {
	var (
		rf   registryFlags
		opts action.PullOptions
	)
	cmd := &cobra.Command{
		Use:   "pull oci://HOST/REPOSITORY[:TAG|@DIGEST]...",
		Short: "Download a chart or kustomize package from an OCI registry, and optionally unpack it",
		Long: `Download a chart from an OCI registry into the current directory (or --destination)
as <name>-<version>.tgz, or with --untar unpack it into <untardir>/<name>. A
kustomize package pushed by hoist push is pulled the same way; it has no
provenance file, so --verify refuses it.

The chart is chosen by the reference's tag or digest, or by --version: an exact
version, or a SemVer constraint ("^1.2", "~1.2.3", "1.x", ">=1 <2") resolved against
the repository's tags, the highest match winning. Without either, the newest
stable version is pulled; --devel includes pre-releases.

Downloads are verified against their digests and kept in a cache
(${XDG_CACHE_HOME:-~/.cache}/hoist/oci): pulling a digest that is cached needs no
network at all, and pulling a tag only asks the registry what the tag points at.

With --verify the provenance file is downloaded too and the chart is checked against
it with the keys of --keyring, as hoist verify does; a chart that fails (or has no
provenance file) is not kept.

--username and --password are sent to the registry of the references only; they are
refused when the references name several registries (log in to each with hoist
registry login instead).`,
		Example: `  hoist pull oci://ghcr.io/acme/charts/web --version '^1.2'
  # Pulled: ghcr.io/acme/charts/web:1.4.0
  # Digest: sha256:…

  # a digest, unpacked into ./vendor/web
  hoist pull oci://ghcr.io/acme/charts/web@sha256:0123… --untar --untardir vendor
  # a local plain-HTTP registry, with the provenance file
  hoist pull oci://localhost:5000/web:1.0.0 --plain-http --prov -d dist/
  # signed charts only
  hoist pull oci://ghcr.io/acme/charts/web --version 1.4.0 --verify --keyring release.gpg`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Refs = args
			opts.Registry = registryOptions(&rf, deps)
			res, err := action.Pull{}.Run(cmd.Context(), opts)
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			// What was pulled before a failure is reported too.
			for _, p := range res.Pulled {
				for _, w := range p.Warnings {
					fmt.Fprintf(errOut, "WARNING: %s\n", w)
				}
				fmt.Fprintf(out, "Pulled: %s\n", p.Ref)
				if _, werr := fmt.Fprintf(out, "Digest: %s\n", p.ManifestDigest); werr != nil {
					return werr
				}
				if p.Verification != nil {
					if werr := printVerification(out, *p.Verification); werr != nil {
						return werr
					}
				}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Version, "version", "", "chart version: exact, or a SemVer constraint (\"^1.2\"); default the newest stable version")
	f.BoolVar(&opts.Devel, "devel", false, "include pre-release versions (same as --version '>0.0.0-0'); ignored with --version")
	f.BoolVar(&opts.Pull.Untar, "untar", false, "unpack the chart into <untardir>/<chart name> instead of saving the archive")
	f.StringVar(&opts.Pull.UntarDir, "untardir", ".", "with --untar, the directory to unpack into (relative to --destination)")
	f.StringVarP(&opts.Pull.DestDir, "destination", "d", ".", "directory to write the chart to")
	f.BoolVar(&opts.Pull.Prov, "prov", false, "also save the provenance file (<archive>.prov), without verifying it")
	f.BoolVar(&opts.Verify, "verify", false, "verify the chart against its provenance file (implies --prov); delete it if that fails")
	f.StringVar(&opts.Keyring, "keyring", provenance.DefaultKeyring(), "with --verify, the keyring of public keys to trust")
	rf.Register(f, "insecure-skip-tls-verify", true)
	return cmd
}
