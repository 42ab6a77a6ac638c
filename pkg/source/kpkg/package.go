package kpkg

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
	"sigs.k8s.io/yaml"
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

// ChartFile marks a chart: a directory with it is not a kustomize package.
const ChartFile = "Chart.yaml"

// KustomizationFileNames are the names of a kustomization file, in the order
// kustomize looks for them (konfig.RecognizedKustomizationFileNames, which this
// package may not import; pkg/postrender's tests check that they agree).
func KustomizationFileNames() []string {
	return []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}
}

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

func validName(name string) bool {
	return packageName.MatchString(name) && !strings.Contains(name, "..")
}

// IsPackage reports whether the root of fsys is a kustomize package: a
// kustomization file and no Chart.yaml. For a directory, use os.DirFS(dir).
func IsPackage(fsys fs.FS) bool {
	if _, err := fs.Stat(fsys, ChartFile); err == nil {
		return false
	}
	for _, n := range KustomizationFileNames() {
		if fi, err := fs.Stat(fsys, n); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// RootKustomizations are the kustomization files at the root of files.
func RootKustomizations(files map[string]string) []string {
	var found []string
	for _, n := range KustomizationFileNames() {
		if _, ok := files[n]; ok {
			found = append(found, n)
		}
	}
	return found
}

// LoadDir reads the package in dir with ReadDir's rules and checks it as New
// does; its name defaults to the directory's base name. What the kustomization
// does is not checked here: pkg/postrender.LoadPackage checks that too.
func LoadDir(dir string) (*Package, error) {
	files, err := ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize package: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize package: %s: %w", dir, err)
	}
	p, err := New(files, filepath.Base(abs), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize package: %w", err)
	}
	return p, nil
}

// New makes a package of files, named defaultName unless the root
// kustomization's metadata.name says otherwise. It checks what makes the files a
// package: no Chart.yaml, exactly one root kustomization file, a valid name and a
// semantic version. Errors name the file, prefixed with display (the directory or
// archive the files come from, or "").
func New(files map[string]string, defaultName, display string) (*Package, error) {
	name := func(file string) string {
		if display == "" {
			return file
		}
		return filepath.Join(display, filepath.FromSlash(file))
	}
	if _, ok := files[ChartFile]; ok {
		return nil, fmt.Errorf("%s: %w: a directory with Chart.yaml is a chart", display, ErrInvalidKustomization)
	}
	found := RootKustomizations(files)
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%s: %w: expected one of %s", name("."), ErrNoKustomization, strings.Join(KustomizationFileNames(), ", "))
	case 1:
	default:
		return nil, fmt.Errorf("%s: %w: more than one kustomization file (%s)", name(found[0]), ErrInvalidKustomization, strings.Join(found, ", "))
	}
	file := found[0]
	var k struct {
		Metadata struct {
			Name        string            `json:"name"`
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal([]byte(files[file]), &k); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name(file), ErrInvalidKustomization, err)
	}
	p := &Package{Name: defaultName, Version: DefaultVersion, Files: files}
	if md := k.Metadata; md.Name != "" {
		p.Name = md.Name
	}
	if v, ok := k.Metadata.Annotations[VersionAnnotation]; ok {
		if _, err := semver.NewVersion(v); err != nil {
			return nil, fmt.Errorf("%s: %w: metadata.annotations[%s]: %q is not a semantic version", name(file), ErrInvalidKustomization, VersionAnnotation, v)
		}
		p.Version = v
	}
	if !validName(p.Name) {
		return nil, fmt.Errorf("%s: %w: package name %q is invalid (set metadata.name to letters, digits, '.', '_' and '-')", name(file), ErrInvalidKustomization, p.Name)
	}
	return p, nil
}

// Config is the package's OCI config (ConfigMediaType).
func (p *Package) Config() ([]byte, error) {
	return json.Marshal(PackageConfig{Name: p.Name, Version: p.Version})
}
