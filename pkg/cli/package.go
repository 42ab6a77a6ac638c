package cli

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/chart/provenance"
)

func newPackageCmd() *cobra.Command {
	var version, appVersion, dest string
	var sign, depUpdate bool
	var key, keyring, passphraseFile string
	cmd := &cobra.Command{
		Use:   "package CHART_DIR...",
		Short: "Package chart directories into reproducible .tgz archives",
		Long: `Write each chart as NAME-VERSION.tgz. The same chart always gives the same bytes:
entries are in a fixed order with fixed metadata, timestamped with SOURCE_DATE_EPOCH
when it is set, else the Unix epoch. .helmignore is honoured.

With --sign, also write NAME-VERSION.tgz.prov, Helm's provenance file, signed with
the secret key --key (a name, e-mail address or key id) of --keyring (binary or
ASCII-armored, e.g. gpg --export-secret-keys). An encrypted key's passphrase is
read from --passphrase-file ("-" for standard input) or HOIST_SIGNING_PASSPHRASE.`,
		Example: `  hoist package ./charts/web
  hoist package ./charts/web --version 1.2.3 --app-version 4.5.6 -d dist/
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) hoist package ./charts/web
  hoist package ./charts/web --sign --key release@example.com --keyring secring.gpg --passphrase-file pass.txt`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := chart.SaveOptions{}
			if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
				n, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					return fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since the epoch", s)
				}
				opts.ModTime = time.Unix(n, 0)
			}
			if version != "" {
				if _, err := semver.StrictNewVersion(version); err != nil {
					return fmt.Errorf("--version %q is not a SemVer 2 version: %w", version, err)
				}
			}
			var signer *openpgp.Entity
			if sign {
				var pass provenance.PassphraseFunc
				if passphraseFile != "" {
					pass = provenance.FilePassphrase(passphraseFile, cmd.InOrStdin())
				}
				s, err := provenance.LoadSigner(keyring, key, pass)
				if err != nil {
					return fmt.Errorf("--sign: %w", err)
				}
				signer = s
			}
			for _, dir := range args {
				fi, err := os.Stat(dir)
				if err != nil {
					return err
				}
				if !fi.IsDir() {
					return fmt.Errorf("%s is not a chart directory", dir)
				}
				if depUpdate {
					if err := runDependencyUpdate(cmd.Context(), cmd.OutOrStdout(), Deps{}, &dependencyFlags{}, dir); err != nil {
						return err
					}
				}
				c, err := chart.LoadDir(dir)
				if err != nil {
					return err
				}
				if version != "" {
					c.Metadata.Version = version
				}
				if appVersion != "" {
					c.Metadata.AppVersion = appVersion
				}
				p, err := chart.Save(c, dest, opts)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Successfully packaged chart and saved it to: %s\n", p)
				if signer != nil {
					prov, err := provenance.Sign(p, signer)
					if err != nil {
						return err
					}
					if err := os.WriteFile(p+".prov", prov, 0o644); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&version, "version", "", "set the chart's version (SemVer 2)")
	f.StringVar(&appVersion, "app-version", "", "set the chart's appVersion")
	f.StringVarP(&dest, "destination", "d", ".", "directory to write the archive to")
	f.BoolVarP(&depUpdate, "dependency-update", "u", false, "update the dependencies from Chart.yaml into charts/ (as hoist dependency update) before packaging")
	f.BoolVar(&sign, "sign", false, "also write a signed provenance file, NAME-VERSION.tgz.prov")
	f.StringVar(&key, "key", "", "with --sign, the signing key: a name, e-mail address or key id (default: the keyring's only secret key)")
	f.StringVar(&keyring, "keyring", provenance.DefaultKeyring(), "with --sign, the keyring holding the secret key")
	f.StringVar(&passphraseFile, "passphrase-file", "", `with --sign, a file whose first line is the key's passphrase ("-": standard input); default $`+provenance.PassphraseEnv)
	return cmd
}
