package oci

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// Helm's media types.
const (
	// ConfigMediaType is the manifest config: Chart.yaml's metadata as JSON.
	ConfigMediaType = "application/vnd.cncf.helm.config.v1+json"
	// ChartLayerMediaType is the chart archive (.tgz).
	ChartLayerMediaType = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
	// ProvLayerMediaType is the chart's provenance file (.prov).
	ProvLayerMediaType = "application/vnd.cncf.helm.chart.provenance.v1.prov"
	// LegacyChartLayerMediaType is the chart layer of charts pushed by Helm 3.0–3.6
	// era tools; it is read, never written.
	LegacyChartLayerMediaType = "application/tar+gzip"
)

// Size limits on what a registry may make us read into memory.
const (
	maxManifestSize = 4 << 20   // oras-go's default
	maxLayerSize    = 256 << 20 // a chart archive is at most 100 MiB decompressed
)

// TagFromVersion is the OCI tag for a chart version: '+' is not allowed in tags, so
// it is stored as '_' (Helm's convention).
func TagFromVersion(version string) string { return strings.ReplaceAll(version, "+", "_") }

// VersionFromTag is the chart version a tag stands for ('_' read back as '+').
func VersionFromTag(tag string) string { return strings.ReplaceAll(tag, "_", "+") }

// repoComponentRE is one path component of an OCI repository name.
var repoComponentRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)

// packed is an artifact laid out for a registry: a chart as Helm lays it out (pack),
// or a kustomize package (packPackage).
type packed struct {
	kind          Kind
	name, version string
	tag           string
	config        ocispec.Descriptor
	chart         ocispec.Descriptor // the chart or package archive
	prov          *ocispec.Descriptor
	manifest      ocispec.Descriptor
	blobs         map[digest.Digest][]byte // config, archive, prov and the manifest itself
}

// add describes data as a blob of mediaType and keeps it for the push.
func (p *packed) add(mediaType string, data []byte) ocispec.Descriptor {
	d := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
	p.blobs[d.Digest] = data
	return d
}

// pack builds the manifest Helm's `helm push` builds for an archive: config is the
// chart's metadata as JSON, layers the archive and the provenance file sorted by
// digest, annotations from Chart.yaml. created is the org.opencontainers.image.created
// annotation (RFC 3339, UTC); Helm uses the archive file's modification time.
func pack(archive, prov []byte, created time.Time) (*packed, error) {
	c, err := chart.LoadArchive(bytes.NewReader(archive))
	if err != nil {
		return nil, newError(ErrNotChart, err, "neither a Helm chart archive nor a kustomize package archive: %v", err)
	}
	meta := c.Metadata
	if !repoComponentRE.MatchString(meta.Name) {
		return nil, newError(ErrNotChart, nil, "chart name %q cannot be an OCI repository name: it must be lower-case letters and digits separated by '.', '_' or '-'", meta.Name)
	}
	config, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("encoding the chart metadata: %w", err)
	}
	p := &packed{kind: KindChart, name: meta.Name, version: meta.Version, tag: TagFromVersion(meta.Version), blobs: map[digest.Digest][]byte{}}
	p.chart = p.add(ChartLayerMediaType, archive)
	p.config = p.add(ConfigMediaType, config)
	layers := []ocispec.Descriptor{p.chart}
	if prov != nil {
		d := p.add(ProvLayerMediaType, prov)
		p.prov = &d
		layers = append(layers, d)
	}
	sort.Slice(layers, func(i, j int) bool { return layers[i].Digest < layers[j].Digest })
	if created.IsZero() {
		created = time.Now()
	}
	m := ocispec.Manifest{
		Versioned:   specs.Versioned{SchemaVersion: 2},
		Config:      p.config,
		Layers:      layers,
		Annotations: manifestAnnotations(meta, created.UTC().Format(time.RFC3339)),
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding the manifest: %w", err)
	}
	p.manifest = p.add(ocispec.MediaTypeImageManifest, data)
	return p, nil
}

// manifestAnnotations are Helm's: description, title (name), version, url (home),
// created, source (the first of sources), authors (the maintainers), then the
// chart's own annotations, which may override all but title and version.
func manifestAnnotations(meta *chart.Metadata, created string) map[string]string {
	a := map[string]string{}
	set := func(k, v string) {
		if strings.TrimSpace(v) != "" {
			a[k] = v
		}
	}
	set(ocispec.AnnotationDescription, meta.Description)
	set(ocispec.AnnotationTitle, meta.Name)
	set(ocispec.AnnotationVersion, meta.Version)
	set(ocispec.AnnotationURL, meta.Home)
	set(ocispec.AnnotationCreated, created)
	if len(meta.Sources) > 0 {
		set(ocispec.AnnotationSource, meta.Sources[0])
	}
	if len(meta.Maintainers) > 0 {
		var b strings.Builder
		for i, m := range meta.Maintainers {
			if m == nil {
				continue
			}
			b.WriteString(m.Name)
			if m.Email != "" {
				b.WriteString(" (" + m.Email + ")")
			}
			if i < len(meta.Maintainers)-1 {
				b.WriteString(", ")
			}
		}
		set(ocispec.AnnotationAuthors, b.String())
	}
	for k, v := range meta.Annotations {
		if k == ocispec.AnnotationTitle || k == ocispec.AnnotationVersion {
			continue
		}
		a[k] = v
	}
	return a
}

// chartManifest is what a pull needs of a manifest: the kind of artifact, its
// archive layer (a chart's or a kustomize package's) and a chart's provenance
// layer.
type chartManifest struct {
	desc   ocispec.Descriptor
	kind   Kind
	chart  ocispec.Descriptor
	prov   *ocispec.Descriptor
	legacy bool // the chart layer has LegacyChartLayerMediaType
}

// parseManifest checks that data (the content of desc) is the manifest of a Helm
// chart (config ConfigMediaType) or of a kustomize package (config
// kpkg.ConfigMediaType), and finds its layers.
func parseManifest(desc ocispec.Descriptor, data []byte) (*chartManifest, error) {
	switch desc.MediaType {
	case "", ocispec.MediaTypeImageManifest:
	case ocispec.MediaTypeImageIndex, "application/vnd.docker.distribution.manifest.list.v2+json":
		return nil, newError(ErrNotChart, nil, "%s is an image index, not a Helm chart or a kustomize package", desc.Digest)
	default:
		return nil, newError(ErrNotChart, nil, "%s has media type %s, not a Helm chart or kustomize package manifest (%s)", desc.Digest, desc.MediaType, ocispec.MediaTypeImageManifest)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, newError(ErrNotChart, err, "manifest %s: %v", desc.Digest, err)
	}
	if m.MediaType != "" && m.MediaType != ocispec.MediaTypeImageManifest {
		return nil, newError(ErrNotChart, nil, "manifest %s has media type %s, not %s", desc.Digest, m.MediaType, ocispec.MediaTypeImageManifest)
	}
	cm := &chartManifest{desc: desc}
	found := false
	switch m.Config.MediaType {
	case ConfigMediaType:
		cm.kind = KindChart
		for i := range m.Layers {
			l := m.Layers[i]
			switch l.MediaType {
			case ChartLayerMediaType:
				cm.chart, cm.legacy, found = l, false, true
			case LegacyChartLayerMediaType:
				if !found {
					cm.chart, cm.legacy, found = l, true, true
				}
			case ProvLayerMediaType:
				cm.prov = &l
			}
		}
		if !found {
			return nil, newError(ErrNotChart, nil, "manifest %s has no layer of media type %s", desc.Digest, ChartLayerMediaType)
		}
	case kpkg.ConfigMediaType:
		cm.kind = KindPackage
		for _, l := range m.Layers {
			if l.MediaType != kpkg.ContentMediaType {
				continue
			}
			if found {
				return nil, newError(ErrNotChart, nil, "manifest %s has more than one layer of media type %s", desc.Digest, kpkg.ContentMediaType)
			}
			cm.chart, found = l, true
		}
		if !found {
			return nil, newError(ErrNotChart, nil, "manifest %s (a kustomize package) has no layer of media type %s", desc.Digest, kpkg.ContentMediaType)
		}
	default:
		return nil, newError(ErrNotChart, nil, "manifest %s has config media type %q: neither a Helm chart (%s) nor a kustomize package (%s) (is it a container image?)", desc.Digest, m.Config.MediaType, ConfigMediaType, kpkg.ConfigMediaType)
	}
	for _, l := range append([]ocispec.Descriptor{cm.chart}, derefs(cm.prov)...) {
		if err := l.Digest.Validate(); err != nil {
			return nil, newError(ErrNotChart, err, "manifest %s: layer digest %q: %v", desc.Digest, l.Digest, err)
		}
		if l.Size < 0 || l.Size > maxLayerSize {
			return nil, newError(ErrNotChart, nil, "manifest %s: layer %s has size %d (at most %d accepted)", desc.Digest, l.Digest, l.Size, maxLayerSize)
		}
	}
	return cm, nil
}

func derefs(d *ocispec.Descriptor) []ocispec.Descriptor {
	if d == nil {
		return nil
	}
	return []ocispec.Descriptor{*d}
}
