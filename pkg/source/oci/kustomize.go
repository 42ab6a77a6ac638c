package oci

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// Kind is what an OCI artifact holds: a Helm chart or a hoist kustomize package.
type Kind string

const (
	// KindChart is a Helm chart: config ConfigMediaType, layer ChartLayerMediaType.
	KindChart Kind = "chart"
	// KindPackage is a kustomize package: config and artifactType
	// kpkg.ConfigMediaType, one layer kpkg.ContentMediaType.
	KindPackage Kind = "kustomize-package"
)

// packPackage builds the manifest of a kustomize package archive (its
// kpkg.Package.Archive): config the package's kpkg.PackageConfig as JSON
// (kpkg.ConfigMediaType, also the manifest's artifactType), one layer the
// archive as given (kpkg.ContentMediaType), and the annotations
// org.opencontainers.image.title (name), .version and .created (RFC 3339, UTC).
// The same archive and created time give the same manifest digest. load reads
// and checks the archive (Client.loadPackage).
func packPackage(archive []byte, created time.Time, load func([]byte) (*kpkg.Package, error)) (*packed, error) {
	pkg, err := load(archive)
	if err != nil {
		return nil, newError(ErrNotChart, err, "%v", err)
	}
	if !repoComponentRE.MatchString(pkg.Name) {
		return nil, newError(ErrNotChart, nil, "kustomize package name %q cannot be an OCI repository name: it must be lower-case letters and digits separated by '.', '_' or '-' (set the kustomization's metadata.name)", pkg.Name)
	}
	if _, err := semver.StrictNewVersion(pkg.Version); err != nil {
		return nil, newError(ErrNotChart, err, "kustomize package %s: version %q is not a SemVer 2 version (MAJOR.MINOR.PATCH), which pulls by version need; fix the kustomization's metadata.annotations[%s]", pkg.Name, pkg.Version, kpkg.VersionAnnotation)
	}
	config, err := pkg.Config()
	if err != nil {
		return nil, fmt.Errorf("encoding the kustomize package config: %w", err)
	}
	p := &packed{kind: KindPackage, name: pkg.Name, version: pkg.Version, tag: TagFromVersion(pkg.Version), blobs: map[digest.Digest][]byte{}}
	p.chart = p.add(kpkg.ContentMediaType, archive)
	p.config = p.add(kpkg.ConfigMediaType, config)
	if created.IsZero() {
		created = time.Now()
	}
	m := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: kpkg.ConfigMediaType,
		Config:       p.config,
		Layers:       []ocispec.Descriptor{p.chart},
		Annotations: map[string]string{
			ocispec.AnnotationTitle:   pkg.Name,
			ocispec.AnnotationVersion: pkg.Version,
			ocispec.AnnotationCreated: created.UTC().Format(time.RFC3339),
		},
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding the manifest: %w", err)
	}
	p.manifest = p.add(ocispec.MediaTypeImageManifest, data)
	return p, nil
}
