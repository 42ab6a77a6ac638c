package oci

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// Target is where charts and kustomize packages are pushed: a registry and an
// optional repository path under which each gets a repository named after it.
type Target struct {
	Registry string // host[:port]
	Path     string // "org/charts", or "" for the registry's root
}

// ParseTarget reads oci://HOST[/PATH]. A tag or digest is refused: the chart's
// version is the tag, and its name the last element of the repository.
func ParseTarget(raw string) (Target, error) {
	fail := func(format string, args ...any) (Target, error) {
		return Target{}, fmt.Errorf("%w %q: %s", source.ErrInvalidRef, raw, fmt.Sprintf(format, args...))
	}
	rest, ok := strings.CutPrefix(raw, "oci://")
	if !ok {
		return fail("a push target is oci://HOST[/PATH]")
	}
	host, p, _ := strings.Cut(strings.TrimSuffix(rest, "/"), "/")
	if host == "" {
		return fail("missing registry host")
	}
	if strings.ContainsAny(host, "@") || strings.ContainsAny(p, "@:") {
		return fail("give no tag or digest: the chart's name and version are appended (oci://HOST/PATH becomes HOST/PATH/NAME:VERSION)")
	}
	if p != "" {
		for _, comp := range strings.Split(p, "/") {
			if !repoComponentRE.MatchString(comp) {
				return fail("repository path element %q must be lower-case letters and digits separated by '.', '_' or '-'", comp)
			}
		}
	}
	return Target{Registry: host, Path: p}, nil
}

// String is oci://HOST[/PATH].
func (t Target) String() string {
	if t.Path == "" {
		return "oci://" + t.Registry
	}
	return "oci://" + t.Registry + "/" + t.Path
}

// repository is the repository a chart named name is pushed to.
func (t Target) repository(name string) string {
	if t.Path == "" {
		return name
	}
	return t.Path + "/" + name
}

// PushRequest is a chart or a kustomize package to push.
type PushRequest struct {
	// Archive is the chart archive (.tgz), or a kustomize package archive
	// (kpkg.Package.Archive; recognised by kpkg.IsPackageArchive).
	Archive []byte
	// Prov is a chart's provenance file, or nil. Kustomize packages have none.
	Prov []byte
	// Target is where it goes.
	Target Target
	// Created is the org.opencontainers.image.created annotation; zero means now.
	// PushFile uses the archive's modification time, as helm push does, so that
	// pushing the same file twice gives the same manifest digest.
	Created time.Time
}

// PushResult describes a pushed chart or kustomize package.
type PushResult struct {
	// Ref is where it went: host/path/name:tag.
	Ref string `json:"ref"`
	// Kind is what was pushed: KindChart or KindPackage.
	Kind           Kind   `json:"kind"`
	Name           string `json:"name"`
	Version        string `json:"version"`
	Tag            string `json:"tag"`
	ManifestDigest string `json:"manifestDigest"`
	ConfigDigest   string `json:"configDigest"`
	// ChartDigest is the digest of the archive layer (a chart's or a package's).
	ChartDigest string `json:"chartDigest"`
	ProvDigest  string `json:"provDigest,omitempty"`
	// Uploaded counts the blobs sent; the others were already in the registry.
	Uploaded int `json:"uploaded"`
}

// PushFile pushes the chart or kustomize package archive at path, with a chart's
// path+".prov" when that exists.
func (c *Client) PushFile(ctx context.Context, path string, target Target) (*PushResult, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("pushing %s: %w", path, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("pushing %s: it is a directory; push a chart archive (.tgz) made with `helm package` or `hoist package`, or a kustomize package archive made with `hoist package`", path)
	}
	archive, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pushing %s: %w", path, err)
	}
	prov, err := os.ReadFile(path + ".prov")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("pushing %s: %w", path, err)
	}
	if prov != nil && kpkg.IsPackageArchive(archive) {
		return nil, fmt.Errorf("pushing %s: it is a kustomize package archive, and only charts are signed: remove the provenance file %s", path, path+".prov")
	}
	res, err := c.Push(ctx, PushRequest{Archive: archive, Prov: prov, Target: target, Created: fi.ModTime()})
	if err != nil {
		return nil, fmt.Errorf("pushing %s: %w", path, err)
	}
	return res, nil
}

// Push uploads a chart, or a kustomize package (see packPackage for its layout):
// the blobs the registry lacks, then the manifest under the version tag. Errors
// name what is wrong with the archive, or the reference pushed to.
func (c *Client) Push(ctx context.Context, req PushRequest) (*PushResult, error) {
	if req.Target.Registry == "" {
		return nil, fmt.Errorf("%w: push target has no registry", source.ErrInvalidRef)
	}
	var p *packed
	var err error
	if kpkg.IsPackageArchive(req.Archive) {
		if req.Prov != nil {
			return nil, errors.New("a provenance file was given with a kustomize package archive: only charts are signed; push the package without it")
		}
		p, err = packPackage(req.Archive, req.Created, c.loadPackage)
	} else {
		p, err = pack(req.Archive, req.Prov, req.Created)
	}
	if err != nil {
		return nil, err
	}
	repoName := req.Target.repository(p.name)
	repo, err := c.repository(req.Target.Registry, repoName)
	if err != nil {
		return nil, err
	}
	host := req.Target.Registry
	ref := host + "/" + repoName + ":" + p.tag
	ctx = auth.AppendRepositoryScope(ctx, repo.Reference, auth.ActionPull, auth.ActionPush)
	res := &PushResult{
		Ref:            ref,
		Kind:           p.kind,
		Name:           p.name,
		Version:        p.version,
		Tag:            p.tag,
		ManifestDigest: p.manifest.Digest.String(),
		ConfigDigest:   p.config.Digest.String(),
		ChartDigest:    p.chart.Digest.String(),
	}
	blobs := []ocispec.Descriptor{p.config, p.chart}
	if p.prov != nil {
		blobs = append(blobs, *p.prov)
		res.ProvDigest = p.prov.Digest.String()
	}
	for _, d := range blobs {
		exists, err := repo.Exists(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("oci://%s: %w", ref, c.registryError(ctx, err, host, "blob "+d.Digest.String(), true))
		}
		if exists {
			continue
		}
		if err := repo.Push(ctx, d, bytes.NewReader(p.blobs[d.Digest])); err != nil {
			return nil, fmt.Errorf("oci://%s: %w", ref, c.registryError(ctx, err, host, "upload of blob "+d.Digest.String(), true))
		}
		res.Uploaded++
	}
	if err := repo.PushReference(ctx, p.manifest, bytes.NewReader(p.blobs[p.manifest.Digest]), p.tag); err != nil {
		return nil, fmt.Errorf("oci://%s: %w", ref, c.registryError(ctx, err, host, "upload of the manifest", true))
	}
	return res, nil
}
