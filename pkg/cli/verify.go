package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/chart/provenance"
)

func newVerifyCmd() *cobra.Command {
	var keyring string
	cmd := &cobra.Command{
		Use:   "verify CHART.tgz",
		Short: "Verify a chart archive against its signed provenance file",
		Long: `Check CHART.tgz against CHART.tgz.prov, as helm verify does: the provenance file must
be signed by a key of the keyring, and name the archive with its SHA-256. Prints the
signer and the hash; fails if the provenance file is missing, the signature is bad or
by an unknown key, or the archive was changed.

The keyring holds public keys, binary (GnuPG 1 pubring.gpg, gpg --export) or
ASCII-armored (gpg --armor --export). Default $GNUPGHOME/pubring.gpg, else
~/.gnupg/pubring.gpg.`,
		Example: `  hoist verify web-1.2.3.tgz --keyring ~/keys/release.asc
  # Signed by: Release Bot <release@example.com>
  # Using Key With Fingerprint: 0123…
  # Chart Hash Verified: sha256:…`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := action.Verify{}.Run(cmd.Context(), action.VerifyOptions{Archive: args[0], Keyring: keyring})
			if err != nil {
				return err
			}
			return printVerification(cmd.OutOrStdout(), v)
		},
	}
	cmd.Flags().StringVar(&keyring, "keyring", provenance.DefaultKeyring(), "keyring of public keys to trust")
	return cmd
}

// printVerification prints what helm verify prints.
func printVerification(w io.Writer, v action.VerifyResult) error {
	fmt.Fprintf(w, "Signed by: %s\n", v.Signer)
	fmt.Fprintf(w, "Using Key With Fingerprint: %s\n", v.Fingerprint)
	_, err := fmt.Fprintf(w, "Chart Hash Verified: %s\n", v.FileHash)
	return err
}
