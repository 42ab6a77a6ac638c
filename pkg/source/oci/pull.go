package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// pulled is a chart or a kustomize package fetched into the cache.
type pulled struct {
	resolved Resolved
	manifest *chartManifest
	// chart is set for a chart (KindChart), pkg for a kustomize package.
	chart       *chart.Chart
	pkg         *kpkg.Package
	archive     []byte
	archivePath string
	prov        []byte // nil when not asked for or not there
	provPath    string
	// cached: the chart layer (and prov) came from the cache, not the registry.
	cached bool
}

// pull resolves ref, then reads the archive layer (and a chart's provenance layer
// when withProv) from the cache or the registry, verifying digests, and loads the
// chart or the kustomize package.
func (c *Client) pull(ctx context.Context, ref source.Ref, withProv bool) (*pulled, error) {
	repo, err := c.repositoryOf(ref)
	if err != nil {
		return nil, err
	}
	res, data, err := c.resolve(ctx, repo, ref)
	if err != nil {
		return nil, err
	}
	cm, err := parseManifest(res.Manifest, data)
	if err != nil {
		return nil, err
	}
	p := &pulled{resolved: res, manifest: cm, cached: true}
	var fromCache bool
	p.archive, p.archivePath, fromCache, err = c.blob(ctx, repo, cm.chart)
	if err != nil {
		return nil, err
	}
	p.cached = p.cached && fromCache
	if withProv && cm.prov != nil {
		p.prov, p.provPath, fromCache, err = c.blob(ctx, repo, *cm.prov)
		if err != nil {
			return nil, err
		}
		p.cached = p.cached && fromCache
	}
	if cm.kind == KindPackage {
		p.pkg, err = c.loadPackage(p.archive)
		if err != nil {
			return nil, newError(ErrNotChart, err, "kustomize package layer %s: %v", cm.chart.Digest, err)
		}
		return p, nil
	}
	p.chart, err = chart.LoadArchive(bytes.NewReader(p.archive))
	if err != nil {
		return nil, newError(ErrNotChart, err, "chart layer %s: %v", cm.chart.Digest, err)
	}
	return p, nil
}

// nameVersion is the pulled chart's or package's name and version.
func (p *pulled) nameVersion() (string, string) {
	if p.pkg != nil {
		return p.pkg.Name, p.pkg.Version
	}
	return p.chart.Metadata.Name, p.chart.Metadata.Version
}

// blob returns the content of a layer from the cache, or fetches, verifies and
// caches it.
func (c *Client) blob(ctx context.Context, repo *remote.Repository, desc ocispec.Descriptor) (data []byte, path string, cached bool, err error) {
	if data, path, ok, err := c.cache.Get(desc.Digest); err != nil {
		return nil, "", false, err
	} else if ok {
		if int64(len(data)) != desc.Size {
			return nil, "", false, newError(ErrDigestMismatch, nil, "the manifest gives layer %s size %d, its content has %d bytes", desc.Digest, desc.Size, len(data))
		}
		return data, path, true, nil
	}
	host := repo.Reference.Registry
	rc, err := repo.Blobs().Fetch(ctx, desc)
	if err != nil {
		return nil, "", false, c.registryError(ctx, err, host, "layer "+desc.Digest.String(), false)
	}
	defer rc.Close()
	data, err = content.ReadAll(rc, desc)
	if err != nil {
		if errors.Is(err, content.ErrMismatchedDigest) || errors.Is(err, content.ErrTrailingData) {
			return nil, "", false, newError(ErrDigestMismatch, err, "layer %s from registry %s does not match its digest", desc.Digest, host)
		}
		return nil, "", false, c.registryError(ctx, err, host, "layer "+desc.Digest.String(), false)
	}
	path, err = c.cache.Put(desc.Digest, data)
	if err != nil {
		return nil, "", false, err
	}
	return data, path, false, nil
}

// Get fetches the chart or kustomize package ref names (source.Getter).
// Fetched.Digest is the digest of the archive, Fetched.Source an oci:// reference
// pinned to the manifest digest, Fetched.Archive the archive's path in the cache;
// for a kustomize package Fetched.Package is set (see source.PackageFetched).
// Errors say what was resolved but not the reference itself, which source.Fetcher
// adds.
func (c *Client) Get(ctx context.Context, ref source.Ref) (*source.Fetched, error) {
	p, err := c.pull(ctx, ref, false)
	if err != nil {
		return nil, err
	}
	if p.pkg != nil {
		return source.PackageFetched(p.pkg, p.manifest.chart.Digest.String(), p.resolved.Pinned(), p.archivePath), nil
	}
	return &source.Fetched{
		Chart:   p.chart,
		Version: p.chart.Metadata.Version,
		Digest:  p.manifest.chart.Digest.String(),
		Source:  p.resolved.Pinned(),
		Archive: p.archivePath,
	}, nil
}

// PullOptions say where a pulled chart or kustomize package goes.
type PullOptions struct {
	// DestDir is where the archive <name>-<version>.tgz is written; default ".".
	DestDir string
	// Prov also writes the provenance file, <archive>.prov, when the chart has one
	// (a warning otherwise, and always for a kustomize package). Ignored with Untar.
	Prov bool
	// Untar expands the chart or package into UntarDir/<name> instead of writing
	// the archive. A relative UntarDir is relative to DestDir; default ".".
	Untar    bool
	UntarDir string
}

// PullResult describes a pulled chart or kustomize package.
type PullResult struct {
	// Ref is the resolved reference (host/repo:tag or host/repo@digest).
	Ref string `json:"ref"`
	// Kind is what was pulled: KindChart or KindPackage.
	Kind           Kind   `json:"kind"`
	Name           string `json:"name"`
	Version        string `json:"version"`
	ManifestDigest string `json:"manifestDigest"`
	// ChartDigest is the digest of the archive layer (a chart's or a package's).
	ChartDigest string `json:"chartDigest"`
	// Path is the archive written, or the directory it was expanded into.
	Path string `json:"path"`
	// ProvPath is the provenance file written, if any.
	ProvPath string `json:"provPath,omitempty"`
	// Cached: no layer had to be downloaded.
	Cached   bool     `json:"cached"`
	Warnings []string `json:"warnings,omitempty"`
}

// Pull fetches the chart or kustomize package ref names and writes it (or expands
// it) under opts.DestDir. Nothing is left behind on failure: files are written to
// temporary names and renamed into place.
func (c *Client) Pull(ctx context.Context, ref source.Ref, opts PullOptions) (*PullResult, error) {
	p, err := c.pull(ctx, ref, opts.Prov && !opts.Untar)
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", ref.Raw, err)
	}
	name, version := p.nameVersion()
	res := &PullResult{
		Ref:            p.resolved.Ref(),
		Kind:           p.manifest.kind,
		Name:           name,
		Version:        version,
		ManifestDigest: p.resolved.Manifest.Digest.String(),
		ChartDigest:    p.manifest.chart.Digest.String(),
		Cached:         p.cached,
	}
	if p.manifest.legacy {
		res.Warnings = append(res.Warnings, fmt.Sprintf("chart media type %s is deprecated", LegacyChartLayerMediaType))
	}
	dest := opts.DestDir
	if dest == "" {
		dest = "."
	}
	if opts.Untar {
		ud := opts.UntarDir
		if ud == "" {
			ud = "."
		}
		if !filepath.IsAbs(ud) {
			ud = filepath.Join(dest, ud)
		}
		res.Path, err = expand(p.archive, name, ud, p.pkg == nil)
		if err != nil {
			return nil, fmt.Errorf("pulling %s: %w", ref.Raw, err)
		}
		return res, nil
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return nil, fmt.Errorf("pulling %s: %w", ref.Raw, err)
	}
	archive := filepath.Join(dest, name+"-"+version+".tgz")
	if err := writeFileAtomic(archive, p.archive, 0o644); err != nil {
		return nil, fmt.Errorf("pulling %s: writing %s: %w", ref.Raw, archive, err)
	}
	res.Path = archive
	if opts.Prov {
		if p.pkg != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s is a kustomize package: only charts have provenance files", res.Ref))
		} else if p.prov == nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s has no provenance file", res.Ref))
		} else {
			if err := writeFileAtomic(archive+".prov", p.prov, 0o644); err != nil {
				os.Remove(archive)
				return nil, fmt.Errorf("pulling %s: writing %s: %w", ref.Raw, archive+".prov", err)
			}
			res.ProvPath = archive + ".prov"
		}
	}
	return res, nil
}

// expand writes the files of a chart or kustomize package archive (already loaded,
// so checked) under dir/<name>, as `helm pull --untar` does: the archive's
// top-level directory is replaced by name and, when stripBOM (charts, as Helm
// does), byte order marks are removed. It expands into a temporary directory
// beside the target and renames it, so a failure leaves nothing. The target must
// not exist.
func expand(archive []byte, name, dir string, stripBOM bool) (string, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return "", newError(ErrNotChart, nil, "name %q cannot be a directory name", name)
	}
	target := filepath.Join(dir, name)
	if _, err := os.Lstat(target); err == nil {
		return "", fmt.Errorf("cannot expand %s: %s already exists", name, target)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, ".tmp-"+name+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return "", err
	}
	defer root.Close()
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return "", err
	}
	tr := tar.NewReader(gz)
	for {
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
		if !hd.FileInfo().Mode().IsRegular() {
			continue // directories and extended headers; the loader refused the rest
		}
		entry := hd.Name
		if strings.Contains(entry, `\`) {
			entry = strings.ReplaceAll(entry, `\`, "/")
		}
		_, rel, _ := strings.Cut(entry, "/")
		rel = path.Clean(rel)
		if !fs.ValidPath(rel) || rel == "." {
			return "", fmt.Errorf("archive entry %q: unsafe path", hd.Name)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return "", err
		}
		if stripBOM {
			data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
		}
		if d := path.Dir(rel); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return "", err
			}
		}
		f, err := root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return "", err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return "", err
		}
		if err := f.Close(); err != nil {
			return "", err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, target); err != nil {
		return "", err
	}
	return target, nil
}
