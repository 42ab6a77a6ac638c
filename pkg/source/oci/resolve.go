package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/source"
)

// Resolved is what a reference points at.
type Resolved struct {
	Registry, Repository string
	// Tag is the tag that was resolved ("" for a pull by digest).
	Tag string
	// Manifest describes the chart's manifest.
	Manifest ocispec.Descriptor
}

// Ref is the resolved reference as Helm prints it: host/repo:tag, or host/repo@digest.
func (r Resolved) Ref() string {
	if r.Tag != "" {
		return r.Registry + "/" + r.Repository + ":" + r.Tag
	}
	return r.Registry + "/" + r.Repository + "@" + r.Manifest.Digest.String()
}

// Pinned is an oci:// reference that names exactly this manifest.
func (r Resolved) Pinned() string {
	return "oci://" + r.Registry + "/" + r.Repository + "@" + r.Manifest.Digest.String()
}

// Versions lists the chart versions in a repository: its tags that are SemVer
// versions once '_' is read as '+', newest first. Other tags are left out.
func (c *Client) Versions(ctx context.Context, registry, repository string) ([]*semver.Version, error) {
	repo, err := c.repository(registry, repository)
	if err != nil {
		return nil, err
	}
	vs, _, err := c.versions(ctx, repo)
	return vs, err
}

// versions lists the SemVer tags of repo, newest first, with the tag of each.
func (c *Client) versions(ctx context.Context, repo *remote.Repository) ([]*semver.Version, map[*semver.Version]string, error) {
	var vs []*semver.Version
	tagOf := map[*semver.Version]string{}
	err := repo.Tags(ctx, "", func(tags []string) error {
		for _, t := range tags {
			v, err := semver.StrictNewVersion(VersionFromTag(t))
			if err != nil {
				continue
			}
			vs = append(vs, v)
			tagOf[v] = t
		}
		return nil
	})
	if err != nil {
		return nil, nil, c.registryError(ctx, err, repo.Reference.Registry, "repository "+repo.Reference.Repository, false)
	}
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].GreaterThan(vs[j]) })
	return vs, tagOf, nil
}

// selectVersion picks the tag for a --version value: an exact SemVer version is
// its own tag (no listing needed); anything else is a constraint over the listed
// versions ("" is "*": the newest stable version), the highest match wins.
func (c *Client) selectVersion(ctx context.Context, repo *remote.Repository, constraint string) (string, error) {
	if constraint != "" {
		if _, err := semver.StrictNewVersion(constraint); err == nil {
			return TagFromVersion(constraint), nil
		}
	}
	cons, err := chart.ParseVersionConstraint(constraint)
	if err != nil {
		return "", fmt.Errorf("%w: version %q is neither a SemVer version nor a constraint: %w", source.ErrInvalidRef, constraint, err)
	}
	vs, tagOf, err := c.versions(ctx, repo)
	if err != nil {
		return "", err
	}
	if len(vs) == 0 {
		return "", newError(ErrNotFound, nil, "repository %s has no chart versions (no SemVer tags)", repo.Reference.Repository)
	}
	originals := make([]string, len(vs))
	for i, v := range vs {
		originals[i] = v.Original()
	}
	if i := chart.HighestVersion(cons, originals); i >= 0 {
		return tagOf[vs[i]], nil
	}
	if constraint == "" {
		return "", newError(ErrNoMatchingVersion, ErrNotFound, "no stable version, only pre-releases (ask for one with --version or --devel); available: %s", listVersions(vs))
	}
	return "", newError(ErrNoMatchingVersion, ErrNotFound, "no version matches %q; available: %s", constraint, listVersions(vs))
}

// listVersions prints up to 20 versions, newest first.
func listVersions(vs []*semver.Version) string {
	const most = 20
	var b strings.Builder
	for i, v := range vs {
		if i == most {
			fmt.Fprintf(&b, " and %d older", len(vs)-most)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.Original())
	}
	return b.String()
}

// Resolve finds the manifest a reference points at — by its digest, its tag, or
// the tag its version selects — and caches the manifest, without fetching the
// chart. A controller can poll a tag or a constraint with it cheaply.
func (c *Client) Resolve(ctx context.Context, ref source.Ref) (Resolved, error) {
	repo, err := c.repositoryOf(ref)
	if err != nil {
		return Resolved{}, err
	}
	r, _, err := c.resolve(ctx, repo, ref)
	return r, err
}

func (c *Client) repositoryOf(ref source.Ref) (*remote.Repository, error) {
	if ref.Kind != source.OCI {
		return nil, fmt.Errorf("%w %q: not an oci:// reference", source.ErrInvalidRef, ref.Raw)
	}
	return c.repository(ref.Registry, ref.Repository)
}

// resolve finds the manifest of ref and returns it with its verified content. The
// requests it makes:
//
//   - by digest: none when the manifest is cached, else one GET of the manifest;
//   - by tag: one HEAD of the tag, plus one GET of the manifest when not cached;
//   - by version constraint: the tag list (one request per page), then as a tag.
func (c *Client) resolve(ctx context.Context, repo *remote.Repository, ref source.Ref) (Resolved, []byte, error) {
	r := Resolved{Registry: ref.Registry, Repository: ref.Repository}
	host := ref.Registry
	if ref.Digest != "" {
		d, err := digest.Parse(ref.Digest)
		if err != nil {
			return r, nil, fmt.Errorf("%w: digest %q: %w", source.ErrInvalidRef, ref.Digest, err)
		}
		if data, _, ok, err := c.cache.Get(d); err != nil {
			return r, nil, err
		} else if ok {
			r.Manifest = ocispec.Descriptor{MediaType: manifestMediaType(data), Digest: d, Size: int64(len(data))}
			return r, data, nil
		}
		desc, rc, err := repo.FetchReference(ctx, d.String())
		if err != nil {
			return r, nil, c.registryError(ctx, err, host, "manifest", false)
		}
		defer rc.Close()
		if desc.Digest != d {
			return r, nil, newError(ErrDigestMismatch, nil, "registry %s answered manifest %s for %s", host, desc.Digest, d)
		}
		data, err := c.readManifest(ctx, desc, rc, host)
		if err != nil {
			return r, nil, err
		}
		r.Manifest = desc
		return r, data, nil
	}

	tag := ref.Tag
	if tag == "" {
		var err error
		if tag, err = c.selectVersion(ctx, repo, ref.Version); err != nil {
			return r, nil, err
		}
	}
	r.Tag = tag
	desc, err := repo.Resolve(ctx, tag)
	if err != nil {
		err = c.registryError(ctx, err, host, "tag "+tag, false)
		if errors.Is(err, ErrNotFound) && ref.Version != "" {
			// An exact --version that is not there: say what is.
			if vs, _, lerr := c.versions(ctx, repo); lerr == nil && len(vs) > 0 {
				return r, nil, newError(ErrNoMatchingVersion, err, "version %s not found; available: %s", ref.Version, listVersions(vs))
			}
		}
		return r, nil, err
	}
	r.Manifest = desc
	if data, _, ok, err := c.cache.Get(desc.Digest); err != nil {
		return r, nil, err
	} else if ok {
		return r, data, nil
	}
	rc, err := repo.Fetch(ctx, desc)
	if err != nil {
		return r, nil, c.registryError(ctx, err, host, "manifest "+desc.Digest.String(), false)
	}
	defer rc.Close()
	data, err := c.readManifest(ctx, desc, rc, host)
	return r, data, err
}

// readManifest reads a manifest of at most maxManifestSize bytes, verifies it
// against desc, and caches it.
func (c *Client) readManifest(ctx context.Context, desc ocispec.Descriptor, rc io.Reader, host string) ([]byte, error) {
	if desc.Size > maxManifestSize {
		return nil, newError(ErrNotChart, nil, "manifest %s of %d bytes is larger than %d", desc.Digest, desc.Size, maxManifestSize)
	}
	data, err := content.ReadAll(rc, desc)
	if err != nil {
		if errors.Is(err, content.ErrMismatchedDigest) || errors.Is(err, content.ErrTrailingData) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, newError(ErrDigestMismatch, err, "manifest %s from registry %s does not match its digest or size", desc.Digest, host)
		}
		return nil, c.registryError(ctx, err, host, "manifest "+desc.Digest.String(), false)
	}
	if _, err := c.cache.Put(desc.Digest, data); err != nil {
		return nil, err
	}
	return data, nil
}

// manifestMediaType reads the mediaType field of a cached manifest ("" when it has
// none, as Helm's manifests have none).
func manifestMediaType(data []byte) string {
	var m struct {
		MediaType string `json:"mediaType"`
	}
	_ = json.Unmarshal(data, &m)
	if m.MediaType == "" {
		return ocispec.MediaTypeImageManifest
	}
	return m.MediaType
}
