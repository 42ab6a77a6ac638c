package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/source/oci"
)

func newPushCmd(deps Deps) *cobra.Command {
	var rf registryFlags
	cmd := &cobra.Command{
		Use:   "push CHART.tgz|PACKAGE.tgz oci://HOST[/PATH]",
		Short: "Push a chart or kustomize package archive to an OCI registry",
		Long: `Upload a packaged chart to an OCI registry, in Helm's format: helm pull, helm
install and hoist read it alike.

A kustomize package archive (written by hoist package from a directory with a
kustomization and no Chart.yaml) is pushed the same way with hoist's media types:
config application/vnd.hoist.kustomize.config.v1+json ({"name","version"}, also the
artifactType) and one layer application/vnd.hoist.kustomize.content.v1.tar+gzip
(the archive). hoist pull and hoist install read it; packages are not signed.

The chart goes to HOST/PATH/<chart name>:<chart version>: the last element of the
repository is always the chart's name. A version with build metadata is tagged
with '_' in place of '+' (OCI tags cannot hold '+'); pulls turn it back.

A provenance file beside the archive (CHART.tgz.prov) is pushed with it. The
manifest's creation time is the archive's modification time, so pushing the same
file again gives the same digest (and uploads nothing the registry already has).`,
		Example: `  hoist push web-1.2.3.tgz oci://ghcr.io/acme/charts
  # Pushed: ghcr.io/acme/charts/web:1.2.3
  # Digest: sha256:…

  # a local plain-HTTP registry
  hoist push web-1.2.3.tgz oci://localhost:5000 --plain-http
  # a registry with a private CA, with credentials for this push only
  hoist push web-1.2.3.tgz oci://registry.internal/charts --ca-file ca.crt --username ci --password "$TOKEN"
  # a kustomize package, packaged with hoist package
  hoist push shop-1.4.2.tgz oci://ghcr.io/acme/packages`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			tgt, err := oci.ParseTarget(args[1])
			if err != nil {
				return err
			}
			res, err := action.Push{}.Run(cmd.Context(), action.PushOptions{Archive: args[0], Target: tgt, Registry: registryOptions(&rf, deps)})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Pushed: %s\n", res.Ref)
			_, err = fmt.Fprintf(out, "Digest: %s\n", res.ManifestDigest)
			if res.TagDiffers {
				fmt.Fprintf(cmd.ErrOrStderr(), "Note: OCI tags cannot contain '+': version %s is stored as tag %s, and read back as %s.\n", res.Version, res.Tag, res.Version)
			}
			return err
		},
	}
	rf.Register(cmd.Flags(), "insecure-skip-tls-verify", true)
	return cmd
}
