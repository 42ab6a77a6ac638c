package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// LocalGetter loads charts from a directory or a .tgz on disk.
type LocalGetter struct {
	// NoDigest skips computing Fetched.Digest (rendering needs no digest; a release
	// record does). It saves reading every file of a directory a second time.
	NoDigest bool
	// Packages loads kustomize packages (pkg/postrender's Packages, which also
	// checks them with kustomize); nil checks only the artifact (kpkg.LoadDir and
	// kpkg.LoadArchive), leaving the kustomization to be checked at render.
	Packages PackageLoader
}

// PackageLoader reads a kustomize package from a directory or from an archive.
// Injected so that this package does not link the kustomize engine.
type PackageLoader interface {
	LoadDir(dir string) (*kpkg.Package, error)
	LoadArchive(data []byte) (*kpkg.Package, error)
}

// Get loads the chart at ref.Path. The digest is the archive's sha256, or for a
// directory a sha256 over the paths and contents of the files loaded from it (so
// an edit changes it; files .helmignore skips are not read).
func (g LocalGetter) Get(_ context.Context, ref Ref) (*Fetched, error) {
	if fi, err := os.Stat(ref.Path); err == nil && fi.IsDir() && kpkg.IsPackage(os.DirFS(ref.Path)) {
		return g.getPackage(ref)
	}
	var c *chart.Chart
	var files []*chart.File // of a directory, for its digest
	var err error
	if fi, serr := os.Stat(ref.Path); serr == nil && fi.IsDir() && !g.NoDigest {
		c, files, err = chart.Loader{}.LoadDirFiles(ref.Path)
	} else {
		c, err = chart.Load(ref.Path)
	}
	if err != nil {
		if data, rerr := chart.ReadFile(ref.Path, maxArchiveSize); rerr == nil && kpkg.IsPackageArchive(data) {
			return g.getPackage(ref)
		}
		return nil, err
	}
	if ref.Version != "" && c.Metadata.Version != ref.Version {
		return nil, fmt.Errorf("chart %s is version %s, not %s", ref.Path, c.Metadata.Version, ref.Version)
	}
	var digest string
	if !g.NoDigest {
		if files != nil {
			m := make(map[string][]byte, len(files))
			for _, f := range files {
				m[f.Name] = f.Data
			}
			digest = filesDigest(m)
		} else if digest, err = archiveDigest(ref.Path); err != nil {
			return nil, err
		}
	}
	abs, err := filepath.Abs(ref.Path)
	if err != nil {
		return nil, err
	}
	f := &Fetched{Chart: c, Version: c.Metadata.Version, Digest: digest, Source: abs}
	if fi, err := os.Stat(ref.Path); err == nil && !fi.IsDir() {
		f.Archive = abs
	}
	return f, nil
}

// getPackage loads the kustomize package at ref.Path, a directory or an archive,
// with g.Packages.
func (g LocalGetter) getPackage(ref Ref) (*Fetched, error) {
	abs, err := filepath.Abs(ref.Path)
	if err != nil {
		return nil, err
	}
	loadDir, loadArchive := kpkg.LoadDir, kpkg.LoadArchive
	if g.Packages != nil {
		loadDir, loadArchive = g.Packages.LoadDir, g.Packages.LoadArchive
	}
	var p *kpkg.Package
	archive := ""
	if fi, err := os.Stat(ref.Path); err == nil && fi.IsDir() {
		p, err = loadDir(ref.Path)
		if err != nil {
			return nil, err
		}
	} else {
		data, err := chart.ReadFile(ref.Path, maxArchiveSize)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref.Path, err)
		}
		if p, err = loadArchive(data); err != nil {
			return nil, fmt.Errorf("%s: %w", ref.Path, err)
		}
		archive = abs
	}
	if ref.Version != "" && p.Version != ref.Version {
		return nil, fmt.Errorf("kustomize package %s is version %s, not %s", ref.Path, p.Version, ref.Version)
	}
	var digest string
	if !g.NoDigest {
		if archive != "" {
			if digest, err = archiveDigest(ref.Path); err != nil {
				return nil, err
			}
		} else {
			m := make(map[string][]byte, len(p.Files))
			for name, data := range p.Files {
				m[name] = []byte(data)
			}
			digest = filesDigest(m)
		}
	}
	return PackageFetched(p, digest, abs, archive), nil
}

// maxArchiveSize is the largest archive read from disk, as from an OCI registry:
// a chart is at most 100 MiB decompressed (chart.DefaultLimits).
const maxArchiveSize = 256 << 20

// archiveDigest is the sha256 of the archive file p, a regular file of at most
// maxArchiveSize bytes.
func archiveDigest(p string) (string, error) {
	f, fi, err := chart.OpenRegular(p)
	if err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	defer f.Close()
	if fi.Size() > maxArchiveSize {
		return "", fmt.Errorf("%s: %w: the archive (%d bytes) is larger than the maximum size %d", p, chart.ErrLimitExceeded, fi.Size(), maxArchiveSize)
	}
	h := sha256.New()
	if n, err := io.Copy(h, io.LimitReader(f, maxArchiveSize+1)); err != nil {
		return "", fmt.Errorf("reading %s: %w", p, err)
	} else if n > maxArchiveSize {
		return "", fmt.Errorf("%s: %w: the archive is larger than the maximum size %d", p, chart.ErrLimitExceeded, maxArchiveSize)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// filesDigest is the digest of a directory: a sha256 over the paths, sizes and
// contents of the files that were loaded from it, in the order of their paths.
// Files the loader skipped (.helmignore) are not read again; the loader's limits
// bound the rest.
func filesDigest(files map[string][]byte) string {
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(files[name]))
		h.Write(files[name])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
