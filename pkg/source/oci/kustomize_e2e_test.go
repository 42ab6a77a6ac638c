package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hoist-dev/hoist/pkg/postrender"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
	"github.com/hoist-dev/hoist/pkg/testenv"
)

// TestE2EPackagePushPull packages a kustomize directory, pushes it to each real
// registry, reads the stored manifest back raw, pulls the archive (same bytes) and
// gets the package through a fresh cache (it renders).
func TestE2EPackagePushPull(t *testing.T) {
	env := testenv.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "shop")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range packageFiles("shop", "2.0.0+git.abc") {
		mustWrite(t, filepath.Join(dir, name), []byte(data))
	}
	pkg, err := kpkg.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	archive, err := pkg.Archive()
	if err != nil {
		t.Fatal(err)
	}

	check := func(t *testing.T, c *Client, host string) {
		org := uniqueRepo(t)
		pushed, err := c.Push(ctx, PushRequest{Archive: archive, Target: target(t, "oci://"+host+"/"+org), Created: created})
		if err != nil {
			t.Fatal(err)
		}
		if pushed.Ref != host+"/"+org+"/shop:2.0.0_git.abc" || pushed.Kind != KindPackage {
			t.Errorf("pushed %+v", pushed)
		}
		// What the registry stores is the manifest hoist built.
		repo, err := c.repository(host, org+"/shop")
		if err != nil {
			t.Fatal(err)
		}
		desc, rc, err := repo.FetchReference(ctx, "2.0.0_git.abc")
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		var m ocispec.Manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if desc.Digest.String() != pushed.ManifestDigest || m.ArtifactType != kpkg.ConfigMediaType ||
			m.Config.MediaType != kpkg.ConfigMediaType || len(m.Layers) != 1 || m.Layers[0].MediaType != kpkg.ContentMediaType ||
			m.Annotations[ocispec.AnnotationCreated] != "2026-03-04T04:06:07Z" {
			t.Errorf("stored manifest %s: %s", desc.Digest, raw)
		}

		dest := t.TempDir()
		res, err := c.Pull(ctx, ociRef(t, "oci://"+host+"/"+org+"/shop", "2.0.0+git.abc"), PullOptions{DestDir: dest})
		if err != nil {
			t.Fatal(err)
		}
		if res.ManifestDigest != pushed.ManifestDigest || res.Kind != KindPackage || res.Version != "2.0.0+git.abc" {
			t.Errorf("pulled %+v", res)
		}
		if got := mustRead(t, filepath.Join(dest, "shop-2.0.0+git.abc.tgz")); !bytes.Equal(got, archive) {
			t.Error("archive differs")
		}

		c2 := newTestClient(t, func(o *Options) { *o = c.opts; o.CacheDir = t.TempDir() })
		f, err := c2.Get(ctx, ociRef(t, "oci://"+host+"/"+org+"/shop@"+pushed.ManifestDigest, ""))
		if err != nil {
			t.Fatal(err)
		}
		if f.Package == nil || f.Digest != digest.FromBytes(archive).String() || f.Version != "2.0.0+git.abc" {
			t.Fatalf("fetched %+v", f)
		}
		manifests, hooks, err := postrender.Package{Package: f.Package}.Render("ns")
		if err != nil {
			t.Fatal(err)
		}
		if len(manifests) != 1 || len(hooks) != 0 || !strings.Contains(manifests[0].Content, "name: settings") || !strings.Contains(manifests[0].Content, "namespace: ns") {
			t.Errorf("rendered %+v %+v", manifests, hooks)
		}
	}

	t.Run("plain HTTP registry", func(t *testing.T) {
		check(t, plainClient(t, nil), env.Registry)
	})
	t.Run("TLS registry with credentials", func(t *testing.T) {
		check(t, secureClient(t, env, nil, func(o *Options) {
			o.Username, o.Password, o.CredentialsHost = env.RegistryUser, env.RegistryPass, env.SecureRegistry
		}), env.SecureRegistry)
	})
}

// TestE2EPullUnknownArtifact pushes an artifact of another kind (an SBOM-like
// config) with oras-go and checks the pull error names its digest and media type.
func TestE2EPullUnknownArtifact(t *testing.T) {
	env := testenv.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := plainClient(t, nil)
	org := uniqueRepo(t)
	repo, err := c.repository(env.Registry, org+"/sbom")
	if err != nil {
		t.Fatal(err)
	}
	p := &packed{blobs: map[digest.Digest][]byte{}}
	config := p.add("application/vnd.example.sbom.config.v1+json", []byte("{}"))
	layer := p.add("application/vnd.example.sbom.v1+json", []byte(`{"packages":[]}`))
	for _, d := range []ocispec.Descriptor{config, layer} {
		if err := repo.Push(ctx, d, bytes.NewReader(p.blobs[d.Digest])); err != nil {
			t.Fatal(err)
		}
	}
	data, err := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Config: config, Layers: []ocispec.Descriptor{layer}})
	if err != nil {
		t.Fatal(err)
	}
	md := p.add(ocispec.MediaTypeImageManifest, data)
	if err := repo.PushReference(ctx, md, bytes.NewReader(data), "1.0.0"); err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	_, err = c.Pull(ctx, ociRef(t, "oci://"+env.Registry+"/"+org+"/sbom", "1.0.0"), PullOptions{DestDir: dest})
	if !errors.Is(err, ErrNotChart) {
		t.Fatalf("%v", err)
	}
	for _, w := range []string{md.Digest.String(), "application/vnd.example.sbom.config.v1+json", ConfigMediaType, kpkg.ConfigMediaType} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%v; want %q", err, w)
		}
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 0 {
		t.Errorf("files left: %v", entries)
	}
}
