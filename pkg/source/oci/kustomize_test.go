package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hoist-dev/hoist/pkg/postrender"
	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// packageFiles are the files of a small kustomize package named name at version
// (no version annotation when version is "").
func packageFiles(name, version string) map[string]string {
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata:\n  name: " + name + "\n"
	if version != "" {
		k += "  annotations:\n    hoist.dev/version: " + version + "\n"
	}
	k += "resources:\n- cm.yaml\n"
	return map[string]string{
		"kustomization.yaml": k,
		"cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  message: hello\n",
		"notes.txt":          "\xEF\xBB\xBFkept byte for byte\n", // a byte order mark, which Helm strips from charts
	}
}

// packageArchive is the Archive of packageFiles(name, version).
func packageArchive(t testing.TB, name, version string) []byte {
	t.Helper()
	data, err := (&kpkg.Package{Name: name, Version: version, Files: packageFiles(name, version)}).Archive()
	if err != nil {
		t.Fatal(err)
	}
	if !kpkg.IsPackageArchive(data) {
		t.Fatal("not recognised as a package archive")
	}
	return data
}

// TestPackPackageLayout checks the manifest of a kustomize package: hoist's media
// types, artifactType, the archive as the only layer, three annotations, and the
// same digest for the same archive and time.
func TestPackPackageLayout(t *testing.T) {
	archive := packageArchive(t, "shop", "1.4.2+build.7")
	p, err := packPackage(archive, created, kpkg.LoadArchive)
	if err != nil {
		t.Fatal(err)
	}
	if p.kind != KindPackage || p.name != "shop" || p.version != "1.4.2+build.7" || p.tag != "1.4.2_build.7" {
		t.Errorf("packed %s %s %s tag %s", p.kind, p.name, p.version, p.tag)
	}
	var m map[string]any
	if err := json.Unmarshal(p.blobs[p.manifest.Digest], &m); err != nil {
		t.Fatal(err)
	}
	if m["schemaVersion"] != 2.0 || m["mediaType"] != ocispec.MediaTypeImageManifest || m["artifactType"] != kpkg.ConfigMediaType {
		t.Errorf("manifest header: schemaVersion %v mediaType %v artifactType %v", m["schemaVersion"], m["mediaType"], m["artifactType"])
	}
	cfg := m["config"].(map[string]any)
	if cfg["mediaType"] != kpkg.ConfigMediaType || cfg["digest"] != p.config.Digest.String() {
		t.Errorf("config %v", cfg)
	}
	if got := string(p.blobs[p.config.Digest]); got != `{"name":"shop","version":"1.4.2+build.7"}` {
		t.Errorf("config blob %s", got)
	}
	layers := m["layers"].([]any)
	if len(layers) != 1 {
		t.Fatalf("%d layers", len(layers))
	}
	l := layers[0].(map[string]any)
	if l["mediaType"] != kpkg.ContentMediaType || l["digest"] != digest.FromBytes(archive).String() || l["size"] != float64(len(archive)) {
		t.Errorf("layer %v", l)
	}
	if !bytes.Equal(p.blobs[p.chart.Digest], archive) {
		t.Error("the layer is not the archive as given")
	}
	wantAnn := map[string]any{
		ocispec.AnnotationTitle:   "shop",
		ocispec.AnnotationVersion: "1.4.2+build.7",
		ocispec.AnnotationCreated: "2026-03-04T04:06:07Z",
	}
	if !reflect.DeepEqual(m["annotations"], wantAnn) {
		t.Errorf("annotations\n got %v\nwant %v", m["annotations"], wantAnn)
	}
	// The manifest parses back as a package.
	cm, err := parseManifest(p.manifest, p.blobs[p.manifest.Digest])
	if err != nil {
		t.Fatal(err)
	}
	if cm.kind != KindPackage || cm.chart.Digest != p.chart.Digest || cm.prov != nil {
		t.Errorf("parsed %+v", cm)
	}
	// Reproducible: the same instant in another zone, and the archive rebuilt.
	again, err := packPackage(packageArchive(t, "shop", "1.4.2+build.7"), created.UTC(), kpkg.LoadArchive)
	if err != nil || again.manifest.Digest != p.manifest.Digest {
		t.Errorf("packPackage is not reproducible: %s vs %s (%v)", again.manifest.Digest, p.manifest.Digest, err)
	}
}

func TestPackPackageRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, archiveName, version, want string
	}{
		{"upper-case name", "Shop", "1.0.0", `kustomize package name "Shop" cannot be an OCI repository name`},
		{"loose version", "shop", "v1.2.3", `version "v1.2.3" is not a SemVer 2 version`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := packPackage(packageArchive(t, tc.archiveName, tc.version), created, kpkg.LoadArchive)
			if !errors.Is(err, ErrNotChart) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v; want %q", err, tc.want)
			}
		})
	}
}

// TestParseManifestKinds covers manifests that are neither kind, or a broken package.
func TestParseManifestKinds(t *testing.T) {
	layer := func(mt string) string {
		return `{"mediaType":"` + mt + `","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}`
	}
	manifest := func(configType string, layers ...string) []byte {
		return []byte(`{"schemaVersion":2,"config":{"mediaType":"` + configType + `","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[` + strings.Join(layers, ",") + `]}`)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want []string
	}{
		{"unknown config", manifest("application/vnd.example.thing.v1+json", layer(kpkg.ContentMediaType)),
			[]string{`config media type "application/vnd.example.thing.v1+json"`, ConfigMediaType, kpkg.ConfigMediaType}},
		{"package without content", manifest(kpkg.ConfigMediaType, layer(ChartLayerMediaType)),
			[]string{"has no layer of media type " + kpkg.ContentMediaType}},
		{"package with two contents", manifest(kpkg.ConfigMediaType, layer(kpkg.ContentMediaType), layer(kpkg.ContentMediaType)),
			[]string{"more than one layer of media type " + kpkg.ContentMediaType}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(tc.data), Size: int64(len(tc.data))}
			_, err := parseManifest(d, tc.data)
			if !errors.Is(err, ErrNotChart) {
				t.Fatalf("%v", err)
			}
			for _, w := range append(tc.want, d.Digest.String()) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v; want %q", err, w)
				}
			}
		})
	}
}

// TestPackagePushPullRoundTrip pushes a package archive to the fake registry and
// pulls it back with Pull (archive and untar) and Get.
func TestPackagePushPullRoundTrip(t *testing.T) {
	reg := newFakeRegistry(t)
	host := reg.serve()
	c := newTestClient(t, nil)
	ctx := context.Background()

	archive := packageArchive(t, "shop", "1.4.2")
	archivePath := filepath.Join(t.TempDir(), "shop-1.4.2.tgz")
	mustWrite(t, archivePath, archive)
	if err := os.Chtimes(archivePath, created, created); err != nil {
		t.Fatal(err)
	}
	pushed, err := c.PushFile(ctx, archivePath, target(t, "oci://"+host+"/org/pkgs"))
	if err != nil {
		t.Fatal(err)
	}
	if pushed.Ref != host+"/org/pkgs/shop:1.4.2" || pushed.Kind != KindPackage || pushed.Uploaded != 2 ||
		pushed.ChartDigest != digest.FromBytes(archive).String() || pushed.ProvDigest != "" {
		t.Errorf("push result %+v", pushed)
	}
	stored := reg.manifests["org/pkgs/shop"]["1.4.2"]
	if stored.mediaType != ocispec.MediaTypeImageManifest || digest.FromBytes(stored.data).String() != pushed.ManifestDigest {
		t.Errorf("stored manifest %s %s", stored.mediaType, stored.data)
	}
	again, err := c.PushFile(ctx, archivePath, target(t, "oci://"+host+"/org/pkgs"))
	if err != nil || again.Uploaded != 0 || again.ManifestDigest != pushed.ManifestDigest {
		t.Errorf("second push %+v, %v", again, err)
	}

	dest := t.TempDir()
	res, err := c.Pull(ctx, ociRef(t, "oci://"+host+"/org/pkgs/shop", "1.4.2"), PullOptions{DestDir: dest, Prov: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != KindPackage || res.Name != "shop" || res.Version != "1.4.2" || res.ManifestDigest != pushed.ManifestDigest ||
		res.Path != filepath.Join(dest, "shop-1.4.2.tgz") || res.ProvPath != "" || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "only charts have provenance files") {
		t.Errorf("pull result %+v", res)
	}
	if got := mustRead(t, res.Path); !bytes.Equal(got, archive) {
		t.Error("pulled archive differs")
	}

	untarred, err := c.Pull(ctx, ociRef(t, "oci://"+host+"/org/pkgs/shop:1.4.2", ""), PullOptions{DestDir: dest, Untar: true, UntarDir: "out"})
	if err != nil {
		t.Fatal(err)
	}
	if untarred.Path != filepath.Join(dest, "out", "shop") || !untarred.Cached {
		t.Errorf("untar result %+v", untarred)
	}
	for name, want := range packageFiles("shop", "1.4.2") {
		if got := string(mustRead(t, filepath.Join(untarred.Path, name))); got != want {
			t.Errorf("%s = %q, want %q (byte for byte)", name, got, want)
		}
	}
	if p, err := kpkg.LoadDir(untarred.Path); err != nil || p.Name != "shop" || p.Version != "1.4.2" {
		t.Errorf("expanded package: %+v, %v", p, err)
	}

	f, err := c.Get(ctx, ociRef(t, "oci://"+host+"/org/pkgs/shop", "^1.4"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Package == nil || f.Package.Name != "shop" || f.Version != "1.4.2" || f.Digest != pushed.ChartDigest ||
		f.Source != "oci://"+host+"/org/pkgs/shop@"+pushed.ManifestDigest || !bytes.Equal(mustRead(t, f.Archive), archive) ||
		f.Chart.Metadata.Annotations[source.KustomizeAnnotation] != "true" {
		t.Errorf("fetched %+v", f)
	}
	manifests, _, err := postrender.Package{Package: f.Package}.Render("team-a")
	if err != nil {
		t.Fatal(err)
	}
	if len(manifests) != 1 || !strings.Contains(manifests[0].Content, "namespace: team-a") {
		t.Errorf("rendered %+v", manifests)
	}
}

func TestPushPackageRefuses(t *testing.T) {
	reg := newFakeRegistry(t)
	host := reg.serve()
	c := newTestClient(t, nil)
	ctx := context.Background()
	tgt := target(t, "oci://"+host)
	archive := packageArchive(t, "shop", "1.0.0")

	if _, err := c.Push(ctx, PushRequest{Archive: archive, Prov: []byte("sig"), Target: tgt}); err == nil || !strings.Contains(err.Error(), "only charts are signed") {
		t.Errorf("package with provenance: %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "shop-1.0.0.tgz")
	mustWrite(t, path, archive)
	mustWrite(t, path+".prov", []byte("sig"))
	if _, err := c.PushFile(ctx, path, tgt); err == nil || !strings.Contains(err.Error(), "remove the provenance file "+path+".prov") {
		t.Errorf("package file with provenance: %v", err)
	}
	for name, data := range map[string][]byte{
		"garbage":   []byte("not an archive"),
		"truncated": archive[:len(archive)/2],
	} {
		if _, err := c.Push(ctx, PushRequest{Archive: data, Target: tgt}); !errors.Is(err, ErrNotChart) || !strings.Contains(err.Error(), "neither a Helm chart archive nor a kustomize package archive") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A package archive whose kustomization is broken names the problem.
	bad, err := (&kpkg.Package{Name: "shop", Version: "1.0.0", Files: map[string]string{
		"kustomization.yaml": "metadata:\n  annotations:\n    hoist.dev/version: one\n",
	}}).Archive()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Push(ctx, PushRequest{Archive: bad, Target: tgt}); !errors.Is(err, ErrNotChart) || !strings.Contains(err.Error(), `"one" is not a semantic version`) {
		t.Errorf("bad version: %v", err)
	}
	if n := len(reg.blobs); n != 0 {
		t.Errorf("%d blobs uploaded by refused pushes", n)
	}
}

// TestPackagesChecked: a client given postrender's Packages (Options.Packages)
// refuses, at push and at pull, a package whose kustomization only kustomize
// refuses, naming the file; one without checks only the artifact.
func TestPackagesChecked(t *testing.T) {
	reg := newFakeRegistry(t)
	host := reg.serve()
	ctx := context.Background()
	plain := newTestClient(t, nil)
	checked := newTestClient(t, func(o *Options) { o.Packages = postrender.Packages{} })
	files := packageFiles("shop", "1.0.0")
	files["kustomization.yaml"] += "resourcez: []\n"
	bad, err := (&kpkg.Package{Name: "shop", Version: "1.0.0", Files: files}).Archive()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "shop-1.0.0.tgz")
	mustWrite(t, path, bad)
	tgt := target(t, "oci://"+host+"/org")

	_, err = checked.PushFile(ctx, path, tgt)
	want := "pushing " + path + ": kustomize package archive: shop/kustomization.yaml: invalid kustomization: "
	if !errors.Is(err, ErrNotChart) || !strings.HasPrefix(fmt.Sprint(err), want) || !strings.Contains(fmt.Sprint(err), `unknown field "resourcez"`) {
		t.Errorf("checked push: %v; want %q…", err, want)
	}
	if n := len(reg.blobs); n != 0 {
		t.Errorf("%d blobs uploaded by a refused push", n)
	}

	pushed, err := plain.PushFile(ctx, path, tgt)
	if err != nil {
		t.Fatalf("push without a loader: %v", err)
	}
	ref := ociRef(t, "oci://"+host+"/org/shop", "1.0.0")
	dest := t.TempDir()
	_, pullErr := checked.Pull(ctx, ref, PullOptions{DestDir: dest})
	_, getErr := checked.Get(ctx, ref)
	want = "kustomize package layer " + pushed.ChartDigest + ": kustomize package archive: shop/kustomization.yaml: invalid kustomization: "
	for name, err := range map[string]error{"pull": pullErr, "get": getErr} {
		if !errors.Is(err, ErrNotChart) || !strings.Contains(fmt.Sprint(err), want) || !strings.Contains(fmt.Sprint(err), `unknown field "resourcez"`) {
			t.Errorf("checked %s: %v; want %q…", name, err, want)
		}
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 0 {
		t.Errorf("a refused pull left %v", entries)
	}
	if f, err := plain.Get(ctx, ref); err != nil || f.Package == nil {
		t.Errorf("get without a loader: %+v, %v", f, err)
	}
}

// TestPullUnknownArtifact pulls a manifest with a foreign config media type: the
// error names the manifest's digest and its media type.
func TestPullUnknownArtifact(t *testing.T) {
	reg := newFakeRegistry(t)
	host := reg.serve()
	data := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.example.sbom.v1+json","config":{"mediaType":"application/vnd.example.sbom.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`)
	e := manifestEntry{mediaType: ocispec.MediaTypeImageManifest, data: data}
	reg.manifests["sbom"] = map[string]manifestEntry{"1.0.0": e, digest.FromBytes(data).String(): e}
	c := newTestClient(t, nil)
	dest := t.TempDir()
	_, err := c.Pull(context.Background(), ociRef(t, "oci://"+host+"/sbom:1.0.0", ""), PullOptions{DestDir: dest})
	if !errors.Is(err, ErrNotChart) {
		t.Fatalf("%v", err)
	}
	for _, w := range []string{digest.FromBytes(data).String(), "application/vnd.example.sbom.v1+json", "neither a Helm chart", "nor a kustomize package"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%v; want %q", err, w)
		}
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 0 {
		t.Errorf("files left: %v", entries)
	}
}

// TestPackageCorruptLayer: a package layer that does not match its digest is
// refused and not cached.
func TestPackageCorruptLayer(t *testing.T) {
	reg := newFakeRegistry(t)
	host := reg.serve()
	c := newTestClient(t, nil)
	ctx := context.Background()
	pushed, err := c.Push(ctx, PushRequest{Archive: packageArchive(t, "shop", "1.0.0"), Target: target(t, "oci://"+host)})
	if err != nil {
		t.Fatal(err)
	}
	reg.corrupt[digest.Digest(pushed.ChartDigest)] = true
	_, err = c.Get(ctx, ociRef(t, "oci://"+host+"/shop:1.0.0", ""))
	if !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), pushed.ChartDigest) {
		t.Fatalf("%v", err)
	}
	if _, err := os.Stat(c.Cache().Path(digest.Digest(pushed.ChartDigest))); !os.IsNotExist(err) {
		t.Errorf("corrupt layer cached: %v", err)
	}
}
