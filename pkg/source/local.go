package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

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
// directory a sha256 over its files' paths and contents (so an edit changes it).
func (g LocalGetter) Get(_ context.Context, ref Ref) (*Fetched, error) {
	if fi, err := os.Stat(ref.Path); err == nil && fi.IsDir() && kpkg.IsPackage(os.DirFS(ref.Path)) {
		return g.getPackage(ref)
	}
	c, err := chart.Load(ref.Path)
	if err != nil {
		if data, rerr := os.ReadFile(ref.Path); rerr == nil && kpkg.IsPackageArchive(data) {
			return g.getPackage(ref)
		}
		return nil, err
	}
	if ref.Version != "" && c.Metadata.Version != ref.Version {
		return nil, fmt.Errorf("chart %s is version %s, not %s", ref.Path, c.Metadata.Version, ref.Version)
	}
	var digest string
	if !g.NoDigest {
		if digest, err = pathDigest(ref.Path); err != nil {
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
		data, err := os.ReadFile(ref.Path)
		if err != nil {
			return nil, err
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
		if digest, err = pathDigest(ref.Path); err != nil {
			return nil, err
		}
	}
	return PackageFetched(p, digest, abs, archive), nil
}

func pathDigest(p string) (string, error) {
	h := sha256.New()
	fi, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		f, err := os.Open(p)
		if err != nil {
			return "", err
		}
		defer f.Close()
		if _, err := io.Copy(h, f); err != nil {
			return "", fmt.Errorf("reading %s: %w", p, err)
		}
		return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(p, f)
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(b))
		h.Write(b)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
