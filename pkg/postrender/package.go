package postrender

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"sigs.k8s.io/kustomize/api/konfig"

	"github.com/hoist-dev/hoist/pkg/engine"
)

// Media types of a kustomize package stored as an OCI artifact: a manifest whose
// config (and artifactType) is ConfigMediaType and whose single layer is
// ContentMediaType.
const (
	// ContentMediaType is the layer: the package's Archive, a gzipped tar of its
	// files under a top-level directory named after the package.
	ContentMediaType = "application/vnd.hoist.kustomize.content.v1.tar+gzip"
	// ConfigMediaType is the config: the JSON of PackageConfig.
	ConfigMediaType = "application/vnd.hoist.kustomize.config.v1+json"
)

// VersionAnnotation, set in the kustomization's metadata.annotations, gives a
// package its version.
const VersionAnnotation = "hoist.dev/version"

// DefaultVersion is the version of a package that does not set VersionAnnotation.
const DefaultVersion = "0.0.0"

// chartFile marks a chart: a directory with it is not a kustomize package.
const chartFile = "Chart.yaml"

// Package is a kustomize package: a directory whose root holds a kustomization
// file and no Chart.yaml, installed as a release of its own.
type Package struct {
	// Name is the kustomization's metadata.name when set, else the directory's
	// base name (for LoadArchive, the archive's top-level directory).
	Name string
	// Version is the kustomization's metadata.annotations["hoist.dev/version"],
	// a semantic version, else DefaultVersion.
	Version string
	// Files are the package's files, keyed by slash paths relative to its root.
	Files map[string]string
}

// PackageConfig is the OCI config of a package.
type PackageConfig struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// packageName is what a package's name may look like (a chart name's rules: no
// slash, not "." or "..", plus DNS-friendly characters).
var packageName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*$`)

// IsPackage reports whether the root of fsys is a kustomize package: a
// kustomization file and no Chart.yaml. For a directory, use os.DirFS(dir).
func IsPackage(fsys fs.FS) bool {
	if _, err := fs.Stat(fsys, chartFile); err == nil {
		return false
	}
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		if fi, err := fs.Stat(fsys, n); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// LoadPackage reads a kustomize package from dir, with LoadOverlay's rules for
// files, and checks its kustomization.
func LoadPackage(dir string) (*Package, error) {
	files, err := readDir(dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize package: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize package: %s: %w", dir, err)
	}
	p, err := newPackage(files, filepath.Base(abs), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize package: %w", err)
	}
	prewarm()
	return p, nil
}

// newPackage checks files and makes a package named defaultName unless the
// kustomization names it.
func newPackage(files map[string]string, defaultName, display string) (*Package, error) {
	if _, ok := files[chartFile]; ok {
		return nil, fmt.Errorf("%s: %w: a directory with Chart.yaml is a chart", display, ErrInvalidKustomization)
	}
	t, err := loadTree(files, display)
	if err != nil {
		return nil, err
	}
	p := &Package{Name: defaultName, Version: DefaultVersion, Files: files}
	k := t.kusts[0]
	if md := k.k.MetaData; md != nil {
		if md.Name != "" {
			p.Name = md.Name
		}
		if v, ok := md.Annotations[VersionAnnotation]; ok {
			if _, err := semver.NewVersion(v); err != nil {
				return nil, t.errorf(k.file, "%w: metadata.annotations[%s]: %q is not a semantic version", ErrInvalidKustomization, VersionAnnotation, v)
			}
			p.Version = v
		}
	}
	if !packageName.MatchString(p.Name) || strings.Contains(p.Name, "..") {
		return nil, t.errorf(k.file, "%w: package name %q is invalid (set metadata.name to letters, digits, '.', '_' and '-')", ErrInvalidKustomization, p.Name)
	}
	return p, nil
}

// Config is the package's OCI config (ConfigMediaType).
func (p *Package) Config() ([]byte, error) {
	return json.Marshal(PackageConfig{Name: p.Name, Version: p.Version})
}

// Render builds the package with kustomize in memory (with Overlay.Run's
// restrictions) and sorts the result into manifests and hooks, in Helm's install
// order: objects annotated helm.sh/hook are hooks, as in charts. Each is named
// after the package and the file it comes from ("web/deploy.yaml"; generated
// objects after their kustomization).
//
// Namespaced objects without a namespace get namespace (the release's), so that
// they stay in it. A kustomization's own namespace field is applied first by
// kustomize and wins. Kinds are known to be cluster-scoped from kustomize's
// built-in list and the package's own CustomResourceDefinitions.
func (p *Package) Render(namespace string) ([]engine.Manifest, []*engine.Hook, error) {
	t, err := loadTree(p.Files, p.Name)
	if err != nil {
		return nil, nil, fmt.Errorf("kustomize package: %w", err)
	}
	b := &build{tree: t, what: "kustomize package", namePrefix: p.Name, namespace: namespace}
	docs, err := b.run(context.Background())
	if err != nil {
		return nil, nil, err
	}
	return sortDocs(docs)
}

// Archive is the package as a gzipped tar (ContentMediaType): its files under a
// top-level directory named after it, in lexical order, with fixed metadata (mode
// 0644, time zero of the Unix epoch, no owner), so that the same package gives
// the same bytes.
func (p *Package) Archive() ([]byte, error) {
	if !packageName.MatchString(p.Name) || strings.Contains(p.Name, "..") {
		return nil, fmt.Errorf("kustomize package: name %q is invalid", p.Name)
	}
	if err := checkFiles(p.Files); err != nil {
		return nil, fmt.Errorf("kustomize package %s: %w", p.Name, err)
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	mod := time.Unix(0, 0).UTC()
	zw.ModTime = mod
	tw := tar.NewWriter(zw)
	for _, name := range slices.Sorted(maps.Keys(p.Files)) {
		data := p.Files[name]
		if err := tw.WriteHeader(&tar.Header{
			Name: path.Join(p.Name, name), Mode: 0o644, Size: int64(len(data)),
			ModTime: mod, Typeflag: tar.TypeReg, Format: tar.FormatPAX,
		}); err != nil {
			return nil, fmt.Errorf("kustomize package %s: %s: %w", p.Name, name, err)
		}
		if _, err := io.WriteString(tw, data); err != nil {
			return nil, fmt.Errorf("kustomize package %s: %s: %w", p.Name, name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// MaxArchiveEntries is the most entries (files, directories, extended headers) an
// archive may have.
const MaxArchiveEntries = 4 * MaxFiles

// LoadArchive reads a package from its Archive. Every entry must lie under one
// top-level directory (which names the package unless its kustomization does),
// with a clean relative path; only regular files and directories are accepted;
// no two entries may have the same name; the files are held to MaxFiles,
// MaxFileSize and MaxTotalSize. The kustomization is checked as LoadPackage's.
func LoadArchive(data []byte) (*Package, error) {
	files, top, err := readArchive(data)
	if err != nil {
		return nil, fmt.Errorf("kustomize package archive: %w", err)
	}
	p, err := newPackage(files, top, top)
	if err != nil {
		return nil, fmt.Errorf("kustomize package archive: %w", err)
	}
	return p, nil
}

func readArchive(data []byte) (map[string]string, string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrInvalidArchive, err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	files := map[string]string{}
	var top string
	var b budget
	for entries := 1; ; entries++ {
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", fmt.Errorf("%w: %w", ErrInvalidArchive, err)
		}
		if entries > MaxArchiveEntries {
			return nil, "", fmt.Errorf("%w: more than %d entries", ErrLimitExceeded, MaxArchiveEntries)
		}
		switch hd.Typeflag {
		case tar.TypeXHeader, tar.TypeXGlobalHeader:
			continue
		case tar.TypeDir, tar.TypeReg:
		default:
			return nil, "", fmt.Errorf("entry %q: %w: %s", hd.Name, ErrUnsupportedFile, entryType(hd))
		}
		dir, rel, err := entryName(hd.Name, hd.Typeflag == tar.TypeDir)
		if err != nil {
			return nil, "", fmt.Errorf("entry %q: %w", hd.Name, err)
		}
		if top == "" {
			top = dir
		} else if dir != top {
			return nil, "", fmt.Errorf("entry %q: %w: outside the top-level directory %q", hd.Name, ErrUnsafePath, top)
		}
		if hd.Typeflag == tar.TypeDir {
			continue
		}
		if _, dup := files[rel]; dup {
			return nil, "", fmt.Errorf("entry %q: %w: duplicate file", hd.Name, ErrInvalidArchive)
		}
		if err := b.add(fmt.Sprintf("entry %q", hd.Name), hd.Size); err != nil {
			return nil, "", err
		}
		content, err := io.ReadAll(io.LimitReader(tr, hd.Size))
		if err != nil {
			return nil, "", fmt.Errorf("entry %q: %w: %w", hd.Name, ErrInvalidArchive, err)
		}
		if int64(len(content)) != hd.Size {
			return nil, "", fmt.Errorf("entry %q: %w: %w", hd.Name, ErrInvalidArchive, io.ErrUnexpectedEOF)
		}
		files[rel] = string(content)
	}
	if len(files) == 0 {
		return nil, "", fmt.Errorf("%w: no files", ErrInvalidArchive)
	}
	return files, top, nil
}

// entryName splits an archive entry's name into its top-level directory and the
// path below it, refusing anything but clean relative slash paths.
func entryName(name string, isDir bool) (string, string, error) {
	if isDir {
		name = strings.TrimSuffix(name, "/")
	}
	if !fs.ValidPath(name) || name == "." || strings.Contains(name, `\`) || isDrivePath(name) {
		return "", "", fmt.Errorf("%w: not a clean relative slash path", ErrUnsafePath)
	}
	top, rel, found := strings.Cut(name, "/")
	if !found {
		if isDir {
			return top, "", nil
		}
		return "", "", fmt.Errorf("%w: file outside a top-level directory", ErrUnsafePath)
	}
	return top, rel, nil
}

func entryType(hd *tar.Header) string {
	switch hd.Typeflag {
	case tar.TypeSymlink:
		return fmt.Sprintf("symbolic link to %q", hd.Linkname)
	case tar.TypeLink:
		return fmt.Sprintf("hard link to %q", hd.Linkname)
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "FIFO"
	}
	return fmt.Sprintf("entry of type %q", hd.Typeflag)
}
