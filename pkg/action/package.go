package action

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/chart/provenance"
	"github.com/hoist-dev/hoist/pkg/postrender"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// DependencyUpdater updates a chart directory's dependencies (DependencyUpdate).
type DependencyUpdater interface {
	Run(ctx context.Context, opts DependencyOptions) (DependencyResult, error)
}

// Package writes chart and kustomize package directories as reproducible archives.
type Package struct {
	// Dependencies updates a chart's dependencies first, with
	// PackageOptions.DependencyUpdate; nil refuses that option.
	Dependencies DependencyUpdater
}

// PackageOptions configure Package.Run.
type PackageOptions struct {
	// Dirs are chart or kustomize package directories.
	Dirs []string `json:"dirs"`
	// Destination is where the archives are written; default ".".
	Destination string `json:"destination,omitempty"`
	// Version and AppVersion override a chart's; Version must be SemVer 2.
	Version    string `json:"version,omitempty"`
	AppVersion string `json:"appVersion,omitempty"`
	// DependencyUpdate updates each chart's dependencies first (Dependencies' options
	// are Dependency, with Dir set for each chart).
	DependencyUpdate bool              `json:"dependencyUpdate,omitempty"`
	Dependency       DependencyOptions `json:"dependency,omitempty"`
	// SourceDateEpoch, when set, timestamps chart entries and a kustomize package
	// archive's file (its entries always have the Unix epoch).
	SourceDateEpoch *time.Time `json:"sourceDateEpoch,omitempty"`
	// Sign also writes each chart's provenance file, signed with Key (a name,
	// e-mail address or key id; empty for the only one) of Keyring.
	Sign    bool   `json:"sign,omitempty"`
	Key     string `json:"key,omitempty"`
	Keyring string `json:"keyring,omitempty"`
	// Passphrase unlocks an encrypted key; nil reads HOIST_SIGNING_PASSPHRASE.
	Passphrase provenance.PassphraseFunc `json:"-"`
}

// PackageKind is what a directory held.
type PackageKind string

// Kinds of packaged directories.
const (
	PackageChart     PackageKind = "chart"
	PackageKustomize PackageKind = "kustomize package"
)

// Packaged is one directory packaged.
type Packaged struct {
	Dir  string      `json:"dir"`
	Kind PackageKind `json:"kind"`
	// Dependencies is what the dependency update did, with DependencyUpdate.
	Dependencies *DependencyResult `json:"dependencies,omitempty"`
	// Archive is the file written; empty when packaging failed after the update.
	Archive string `json:"archive,omitempty"`
	// Provenance is the provenance file written, with Sign.
	Provenance string `json:"provenance,omitempty"`
}

// PackageResult lists the directories packaged in order. When Run fails, it holds
// what was done before, the failing directory last if part of it was.
type PackageResult struct {
	Packaged []Packaged `json:"packaged"`
}

// Run checks every directory and option, then packages the directories in order.
func (a Package) Run(ctx context.Context, opts PackageOptions) (PackageResult, error) {
	var res PackageResult
	isPkg := make([]bool, len(opts.Dirs))
	for i, dir := range opts.Dirs {
		fi, err := os.Stat(dir)
		if err != nil {
			return res, err
		}
		if !fi.IsDir() {
			return res, fmt.Errorf("%s is not a directory: hoist package takes chart or kustomize package directories", dir)
		}
		if isPkg[i] = kpkg.IsPackage(os.DirFS(dir)); isPkg[i] {
			if err := refuseChartOnlyOptions(dir, opts); err != nil {
				return res, err
			}
		}
	}
	if opts.Version != "" {
		if _, err := semver.StrictNewVersion(opts.Version); err != nil {
			return res, fmt.Errorf("--version %q is not a SemVer 2 version: %w", opts.Version, err)
		}
	}
	var signer *openpgp.Entity
	if opts.Sign {
		s, err := provenance.LoadSigner(opts.Keyring, opts.Key, opts.Passphrase)
		if err != nil {
			return res, fmt.Errorf("--sign: %w", err)
		}
		signer = s
	}
	dest := opts.Destination
	if dest == "" {
		dest = "."
	}
	var modTime time.Time
	if opts.SourceDateEpoch != nil {
		modTime = *opts.SourceDateEpoch
	}
	for i, dir := range opts.Dirs {
		if isPkg[i] {
			p, err := savePackage(dir, dest, modTime)
			if err != nil {
				return res, err
			}
			res.Packaged = append(res.Packaged, Packaged{Dir: dir, Kind: PackageKustomize, Archive: p})
			continue
		}
		res.Packaged = append(res.Packaged, Packaged{Dir: dir, Kind: PackageChart})
		done := &res.Packaged[len(res.Packaged)-1]
		if err := a.packageChart(ctx, dir, dest, modTime, signer, opts, done); err != nil {
			if done.Dependencies == nil && done.Archive == "" {
				res.Packaged = res.Packaged[:len(res.Packaged)-1]
			}
			return res, err
		}
	}
	return res, nil
}

// packageChart packages the chart in dir, recording in done what it did.
func (a Package) packageChart(ctx context.Context, dir, dest string, modTime time.Time, signer *openpgp.Entity, opts PackageOptions, done *Packaged) error {
	if opts.DependencyUpdate {
		if a.Dependencies == nil {
			return fmt.Errorf("chart %s: no dependency updater to update its dependencies with", dir)
		}
		do := opts.Dependency
		do.Dir = dir
		dr, err := a.Dependencies.Run(ctx, do)
		if err != nil {
			return err
		}
		done.Dependencies = &dr
	}
	c, err := chart.LoadDir(dir)
	if err != nil {
		return err
	}
	if opts.Version != "" {
		c.Metadata.Version = opts.Version
	}
	if opts.AppVersion != "" {
		c.Metadata.AppVersion = opts.AppVersion
	}
	p, err := chart.Save(c, dest, chart.SaveOptions{ModTime: modTime})
	if err != nil {
		return err
	}
	done.Archive = p
	if signer == nil {
		return nil
	}
	prov, err := provenance.Sign(p, signer)
	if err != nil {
		return err
	}
	if err := os.WriteFile(p+".prov", prov, 0o644); err != nil {
		return err
	}
	done.Provenance = p + ".prov"
	return nil
}

// refuseChartOnlyOptions refuses the options only charts take, for the kustomize
// package in dir.
func refuseChartOnlyOptions(dir string, opts PackageOptions) error {
	for _, f := range []struct {
		name string
		set  bool
		why  string
	}{
		{"sign", opts.Sign, "only charts are signed (a provenance file is Helm's format for a chart)"},
		{"dependency-update", opts.DependencyUpdate, "a kustomize package has no chart dependencies"},
		{"version", opts.Version != "", "its version is the kustomization's metadata.annotations[" + kpkg.VersionAnnotation + "]; set it there"},
		{"app-version", opts.AppVersion != "", "it has no appVersion"},
	} {
		if f.set {
			return fmt.Errorf("--%s: %s is a kustomize package: %s", f.name, dir, f.why)
		}
	}
	return nil
}

// savePackage writes the kustomize package in dir as dest/<name>-<version>.tgz (its
// postrender.Package.Archive) and returns the file's path. The archive is written
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
