package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/chart/provenance"
	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/source/oci"
)

func newPullCmd(deps Deps) *cobra.Command {
	var (
		rf      registryFlags
		version string
		devel   bool
		opts    oci.PullOptions
		verify  bool
		keyring string
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
provenance file) is not kept.`,
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
			if verify {
				if opts.Untar {
					return errors.New("--verify cannot be combined with --untar yet: pull and verify the archive, then unpack it")
				}
				opts.Prov = true
				if _, err := provenance.LoadKeyring(keyring); err != nil {
					return fmt.Errorf("--verify: %w", err)
				}
			}
			v := version
			if v == "" && devel {
				v = ">0.0.0-0"
			}
			refs := make([]source.Ref, 0, len(args))
			for _, raw := range args {
				ref, err := source.Parse(raw, v, nil)
				if err != nil {
					return err
				}
				if ref.Kind != source.OCI {
					return fmt.Errorf("%q is a %s reference: hoist pull fetches charts from OCI registries (oci://HOST/REPOSITORY)", raw, ref.Kind)
				}
				refs = append(refs, ref)
			}
			c, err := registryClient(&rf, deps)
			if err != nil {
				return err
			}
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			for _, ref := range refs {
				res, err := c.Pull(cmd.Context(), ref, opts)
				if err != nil {
					return err
				}
				for _, w := range res.Warnings {
					fmt.Fprintf(errOut, "WARNING: %s\n", w)
				}
				fmt.Fprintf(out, "Pulled: %s\n", res.Ref)
				if _, err := fmt.Fprintf(out, "Digest: %s\n", res.ManifestDigest); err != nil {
					return err
				}
				if verify && res.Kind == oci.KindPackage {
					os.Remove(res.Path)
					return fmt.Errorf("--verify: %s is a kustomize package, which has no provenance file (only charts are signed); removed %s", res.Ref, res.Path)
				}
				if verify {
					if err := verifyPulled(out, res, keyring); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&version, "version", "", "chart version: exact, or a SemVer constraint (\"^1.2\"); default the newest stable version")
	f.BoolVar(&devel, "devel", false, "include pre-release versions (same as --version '>0.0.0-0'); ignored with --version")
	f.BoolVar(&opts.Untar, "untar", false, "unpack the chart into <untardir>/<chart name> instead of saving the archive")
	f.StringVar(&opts.UntarDir, "untardir", ".", "with --untar, the directory to unpack into (relative to --destination)")
	f.StringVarP(&opts.DestDir, "destination", "d", ".", "directory to write the chart to")
	f.BoolVar(&opts.Prov, "prov", false, "also save the provenance file (<archive>.prov), without verifying it")
	f.BoolVar(&verify, "verify", false, "verify the chart against its provenance file (implies --prov); delete it if that fails")
	f.StringVar(&keyring, "keyring", provenance.DefaultKeyring(), "with --verify, the keyring of public keys to trust")
	rf.Register(f, "insecure-skip-tls-verify", true)
	return cmd
}

// verifyPulled checks a pulled archive against its provenance file, and removes
// both when that fails.
func verifyPulled(out io.Writer, res *oci.PullResult, keyring string) error {
	var v *provenance.Verification
	var err error
	if res.ProvPath == "" {
		err = fmt.Errorf("verifying %s: %w: %s has no provenance file", res.Path, provenance.ErrNoProvenance, res.Ref)
	} else {
		v, err = verifyChart(res.Path, keyring)
	}
	if err != nil {
		os.Remove(res.Path)
		if res.ProvPath != "" {
			os.Remove(res.ProvPath)
		}
		return fmt.Errorf("%w (removed the downloaded files)", err)
	}
	return printVerification(out, v)
}
