package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/chart/provenance"
	"github.com/hoist-dev/hoist/pkg/postrender"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

func newPackageCmd() *cobra.Command {
	var version, appVersion, dest string
	var sign, depUpdate bool
	var key, keyring, passphraseFile string
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
			opts := chart.SaveOptions{}
			sourceDate, err := chart.SourceDateEpoch(os.Getenv("SOURCE_DATE_EPOCH"))
			if err != nil {
				return err
			}
			opts.ModTime = sourceDate
			isPkg := make([]bool, len(args))
			for i, dir := range args {
				fi, err := os.Stat(dir)
				if err != nil {
					return err
				}
				if !fi.IsDir() {
					return fmt.Errorf("%s is not a directory: hoist package takes chart or kustomize package directories", dir)
				}
				if isPkg[i] = kpkg.IsPackage(os.DirFS(dir)); isPkg[i] {
					if err := refuseChartOnlyFlags(dir, map[string]bool{"sign": sign, "dependency-update": depUpdate, "version": version != "", "app-version": appVersion != ""}); err != nil {
						return err
					}
				}
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
			for i, dir := range args {
				if isPkg[i] {
					p, err := savePackage(dir, dest, sourceDate)
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "Successfully packaged kustomize package and saved it to: %s\n", p)
					continue
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

// refuseChartOnlyFlags refuses the flags of hoist package that only charts take
// (set: flag name -> whether it is set), for the kustomize package in dir.
func refuseChartOnlyFlags(dir string, set map[string]bool) error {
	for _, f := range []struct{ name, why string }{
		{"sign", "only charts are signed (a provenance file is Helm's format for a chart)"},
		{"dependency-update", "a kustomize package has no chart dependencies"},
		{"version", "its version is the kustomization's metadata.annotations[" + kpkg.VersionAnnotation + "]; set it there"},
		{"app-version", "it has no appVersion"},
	} {
		if set[f.name] {
			return fmt.Errorf("--%s: %s is a kustomize package: %s", f.name, dir, f.why)
		}
	}
	return nil
}

// savePackage writes the kustomize package in dir as dest/<name>-<version>.tgz (its
// kpkg.Package.Archive) and returns the file's path. The archive is written
// to a temporary file and renamed, so a failure leaves nothing; a non-zero modTime
// (SOURCE_DATE_EPOCH) becomes the file's modification time.
func savePackage(dir, dest string, modTime time.Time) (string, error) {
	p, err := postrender.LoadPackage(dir)
	if err != nil {
		return "", err
	}
	data, err := p.Archive()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return "", err
	}
	name := filepath.Join(dest, p.Name+"-"+p.Version+".tgz")
	tmp, err := os.CreateTemp(dest, ".hoist-package-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", fmt.Errorf("writing %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("writing %s: %w", name, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", err
	}
	if !modTime.IsZero() {
		if err := os.Chtimes(tmp.Name(), modTime, modTime); err != nil {
			return "", err
		}
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return "", err
	}
	return name, nil
}
