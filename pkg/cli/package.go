package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/chart/provenance"
)

func newPackageCmd() *cobra.Command {
	var (
		opts           action.PackageOptions
		passphraseFile string
	)
	cmd := &cobra.Command{
		Use:   "package CHART_DIR|PACKAGE_DIR...",
		Short: "Package chart or kustomize package directories into reproducible .tgz archives",
		Long: `Write each chart as NAME-VERSION.tgz. The same chart always gives the same bytes:
entries are in a fixed order with fixed metadata, timestamped with SOURCE_DATE_EPOCH
when it is set, else the Unix epoch. .helmignore is honoured.

A kustomize package (a directory whose root holds a kustomization and no
Chart.yaml) is written the same way, as NAME-VERSION.tgz, named by the
kustomization's metadata.name (else the directory) and versioned by its annotation
hoist.dev/version (else 0.0.0). Its entries are always timestamped with the Unix
epoch; with SOURCE_DATE_EPOCH the archive file's modification time is set to it,
which hoist push records as the manifest's creation time. --version, --app-version,
--dependency-update and --sign are for charts only.

With --sign, also write NAME-VERSION.tgz.prov, Helm's provenance file, signed with
the secret key --key (a name, e-mail address or key id) of --keyring (binary or
ASCII-armored, e.g. gpg --export-secret-keys). An encrypted key's passphrase is
read from --passphrase-file ("-" for standard input) or HOIST_SIGNING_PASSPHRASE.`,
		Example: `  hoist package ./charts/web
  hoist package ./charts/web --version 1.2.3 --app-version 4.5.6 -d dist/
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) hoist package ./charts/web
  hoist package ./charts/web --sign --key release@example.com --keyring secring.gpg --passphrase-file pass.txt
  hoist package ./deploy/overlays/prod -d dist/   # a kustomize package`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			epoch, err := sourceDateEpoch()
			if err != nil {
				return err
			}
			opts.Dirs, opts.SourceDateEpoch = args, epoch
			// As hoist dependency update with no flags: default registry options.
			opts.Dependency = action.DependencyOptions{SourceDateEpoch: epoch, Registry: registryOptions(&registryFlags{}, Deps{})}
			if passphraseFile != "" {
				opts.Passphrase = provenance.FilePassphrase(passphraseFile, cmd.InOrStdin())
			}
			res, err := action.Package{Dependencies: action.DependencyUpdate{DependencySources: dependencySources(Deps{})}}.Run(cmd.Context(), opts)
			out := cmd.OutOrStdout()
			// What was packaged before a failure is reported too.
			for _, p := range res.Packaged {
				if p.Dependencies != nil {
					printDependencyResult(out, *p.Dependencies)
				}
				if p.Archive != "" {
					fmt.Fprintf(out, "Successfully packaged %s and saved it to: %s\n", p.Kind, p.Archive)
				}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Version, "version", "", "set the chart's version (SemVer 2)")
	f.StringVar(&opts.AppVersion, "app-version", "", "set the chart's appVersion")
	f.StringVarP(&opts.Destination, "destination", "d", ".", "directory to write the archive to")
	f.BoolVarP(&opts.DependencyUpdate, "dependency-update", "u", false, "update the dependencies from Chart.yaml into charts/ (as hoist dependency update) before packaging")
	f.BoolVar(&opts.Sign, "sign", false, "also write a signed provenance file, NAME-VERSION.tgz.prov")
	f.StringVar(&opts.Key, "key", "", "with --sign, the signing key: a name, e-mail address or key id (default: the keyring's only secret key)")
	f.StringVar(&opts.Keyring, "keyring", provenance.DefaultKeyring(), "with --sign, the keyring holding the secret key")
	f.StringVar(&passphraseFile, "passphrase-file", "", `with --sign, a file whose first line is the key's passphrase ("-": standard input); default $`+provenance.PassphraseEnv)
	return cmd
}
