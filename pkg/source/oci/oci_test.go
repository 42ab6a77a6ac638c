package oci

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/hoist-dev/hoist/pkg/source"
)

func memStore() credentials.Store { return credentials.NewMemoryStore() }

func ociRef(t testing.TB, raw, version string) source.Ref {
	t.Helper()
	r, err := source.Parse(raw, version, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func target(t testing.TB, raw string) Target {
	t.Helper()
	tg, err := ParseTarget(raw)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

var created = time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))

func TestTags(t *testing.T) {
	for v, tag := range map[string]string{"1.2.3": "1.2.3", "1.2.3+build.1": "1.2.3_build.1", "1.0.0-rc.1+a+b": "1.0.0-rc.1_a_b"} {
		if got := TagFromVersion(v); got != tag {
			t.Errorf("TagFromVersion(%q) = %q, want %q", v, got, tag)
		}
		if got := VersionFromTag(tag); got != v {
			t.Errorf("VersionFromTag(%q) = %q, want %q", tag, got, v)
		}
	}
}

func TestParseTarget(t *testing.T) {
	for raw, want := range map[string]Target{
		"oci://localhost:5000":          {Registry: "localhost:5000"},
		"oci://localhost:5000/":         {Registry: "localhost:5000"},
		"oci://ghcr.io/org/charts":      {Registry: "ghcr.io", Path: "org/charts"},
		"oci://r.example/a.b/c_d/e-f/g": {Registry: "r.example", Path: "a.b/c_d/e-f/g"},
	} {
		got, err := ParseTarget(raw)
		if err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", raw, got, err, want)
		}
	}
	for _, raw := range []string{"ghcr.io/org", "oci://", "oci:///org", "oci://ghcr.io/Org", "oci://ghcr.io/org/web:1.0.0", "oci://ghcr.io/org@sha256:" + strings.Repeat("a", 64)} {
		if _, err := ParseTarget(raw); !errors.Is(err, source.ErrInvalidRef) {
			t.Errorf("ParseTarget(%q) = %v, want ErrInvalidRef", raw, err)
		}
	}
	if got := target(t, "oci://h:1/org").repository("web"); got != "org/web" {
		t.Errorf("repository = %q", got)
	}
}

func TestParseHost(t *testing.T) {
	for raw, want := range map[string][2]string{
		"ghcr.io":                {"ghcr.io", ""},
		"oci://localhost:5000":   {"localhost:5000", ""},
		"oci://ghcr.io/org/repo": {"ghcr.io", "org/repo"},
	} {
		h, cut, err := ParseHost(raw)
		if err != nil || h != want[0] || cut != want[1] {
			t.Errorf("ParseHost(%q) = %q, %q, %v; want %q", raw, h, cut, err, want)
		}
	}
	for _, raw := range []string{"", "oci://", "a b", "host@x"} {
		if _, _, err := ParseHost(raw); err == nil {
			t.Errorf("ParseHost(%q) succeeded", raw)
		}
	}
}

// TestPackIsHelmsLayout checks the manifest against what helm push writes.
func TestPackIsHelmsLayout(t *testing.T) {
	archive := chartArchive(t, "web", "1.2.3+build.7", nil)
	prov := []byte("-----BEGIN PGP SIGNED MESSAGE-----\n")
	p, err := pack(archive, prov, created)
	if err != nil {
		t.Fatal(err)
	}
	if p.tag != "1.2.3_build.7" {
		t.Errorf("tag %q", p.tag)
	}
	var m map[string]any
	if err := json.Unmarshal(p.blobs[p.manifest.Digest], &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["mediaType"]; ok {
		t.Error("helm's manifests have no mediaType field")
	}
	if m["schemaVersion"] != 2.0 {
		t.Errorf("schemaVersion %v", m["schemaVersion"])
	}
	cfg := m["config"].(map[string]any)
	if cfg["mediaType"] != ConfigMediaType {
		t.Errorf("config media type %v", cfg["mediaType"])
	}
	layers := m["layers"].([]any)
	if len(layers) != 2 {
		t.Fatalf("%d layers", len(layers))
	}
	var types []string
	for i, l := range layers {
		lm := l.(map[string]any)
		types = append(types, lm["mediaType"].(string))
		if i > 0 && lm["digest"].(string) < layers[i-1].(map[string]any)["digest"].(string) {
			t.Error("layers are not sorted by digest")
		}
	}
	slices.Sort(types)
	if !reflect.DeepEqual(types, []string{ChartLayerMediaType, ProvLayerMediaType}) {
		t.Errorf("layer media types %v", types)
	}
	wantAnn := map[string]any{
		ocispec.AnnotationTitle:       "web",
		ocispec.AnnotationVersion:     "1.2.3+build.7",
		ocispec.AnnotationDescription: "A test chart",
		ocispec.AnnotationURL:         "https://example.com/web",
		ocispec.AnnotationSource:      "https://git.example/web",
		ocispec.AnnotationAuthors:     "Ann (ann@example.com), Bob",
		ocispec.AnnotationCreated:     "2026-03-04T04:06:07Z",
		"example.com/team":            "web",
	}
	if !reflect.DeepEqual(m["annotations"], wantAnn) {
		t.Errorf("annotations\n got %v\nwant %v", m["annotations"], wantAnn)
	}
	var meta map[string]any
	if err := json.Unmarshal(p.blobs[p.config.Digest], &meta); err != nil {
		t.Fatal(err)
	}
	if meta["name"] != "web" || meta["version"] != "1.2.3+build.7" || meta["apiVersion"] != "v2" {
		t.Errorf("config %v", meta)
	}
	// Same input, same digest: the only time in the manifest is the one given.
	again, err := pack(archive, prov, created.UTC())
	if err != nil || again.manifest.Digest != p.manifest.Digest {
		t.Errorf("pack is not reproducible: %s vs %s (%v)", again.manifest.Digest, p.manifest.Digest, err)
	}
}

func TestPackRefuses(t *testing.T) {
	if _, err := pack([]byte("not gzip"), nil, created); !errors.Is(err, ErrNotChart) {
		t.Errorf("garbage: %v", err)
	}
	if _, err := pack(chartArchive(t, "Web", "1.0.0", nil), nil, created); !errors.Is(err, ErrNotChart) || !strings.Contains(err.Error(), "lower-case") {
		t.Errorf("upper-case name: %v", err)
	}
}

func TestPushPullRoundTrip(t *testing.T) {
	reg := newFakeRegistry(t)
	host := reg.serve()
	c := newTestClient(t, nil)
	ctx := context.Background()

	dir := t.TempDir()
	archivePath := filepath.Join(dir, "web-1.0.0.tgz")
	archive := chartArchive(t, "web", "1.0.0", nil)
	prov := []byte("provenance\n")
	mustWrite(t, archivePath, archive)
	mustWrite(t, archivePath+".prov", prov)
	if err := os.Chtimes(archivePath, created, created); err != nil {
		t.Fatal(err)
	}

	pushed, err := c.PushFile(ctx, archivePath, target(t, "oci://"+host+"/org/charts"))
	if err != nil {
		t.Fatal(err)
	}
	if pushed.Ref != host+"/org/charts/web:1.0.0" || pushed.Uploaded != 3 || pushed.ProvDigest == "" {
		t.Errorf("push result %+v", pushed)
	}
	// Pushing the same file again uploads nothing and gives the same digest.
	again, err := c.PushFile(ctx, archivePath, target(t, "oci://"+host+"/org/charts"))
	if err != nil || again.Uploaded != 0 || again.ManifestDigest != pushed.ManifestDigest {
		t.Errorf("second push %+v, %v", again, err)
	}

	dest := t.TempDir()
	res, err := c.Pull(ctx, ociRef(t, "oci://"+host+"/org/charts/web", "1.0.0"), PullOptions{DestDir: dest, Prov: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ref != host+"/org/charts/web:1.0.0" || res.ManifestDigest != pushed.ManifestDigest || res.ChartDigest != pushed.ChartDigest || res.Cached {
		t.Errorf("pull result %+v", res)
	}
	if got := mustRead(t, filepath.Join(dest, "web-1.0.0.tgz")); !bytes.Equal(got, archive) {
		t.Error("pulled archive differs")
	}
	if got := mustRead(t, filepath.Join(dest, "web-1.0.0.tgz.prov")); !bytes.Equal(got, prov) {
		t.Error("pulled provenance differs")
	}

	f, err := c.Get(ctx, ociRef(t, "oci://"+host+"/org/charts/web:1.0.0", ""))
	if err != nil {
		t.Fatal(err)
	}
	if f.Chart.Name() != "web" || f.Version != "1.0.0" || f.Digest != digest.FromBytes(archive).String() ||
		f.Source != "oci://"+host+"/org/charts/web@"+pushed.ManifestDigest || !bytes.Equal(mustRead(t, f.Archive), archive) {
		t.Errorf("fetched %+v", f)
	}
	// The pinned source fetches the same thing again.
	f2, err := c.Get(ctx, ociRef(t, f.Source, ""))
	if err != nil || f2.Digest != f.Digest {
		t.Errorf("pinned fetch %+v, %v", f2, err)
	}
}

// TestCachedPullRequests proves what a warm cache saves: a pull by tag makes one
// request (HEAD of the tag), no blob request; a pull by digest makes none.
func TestCachedPullRequests(t *testing.T) {
	reg := newFakeRegistry(t)
	host := reg.serve()
	c := newTestClient(t, nil)
	ctx := context.Background()
	pushed, err := c.Push(ctx, PushRequest{Archive: chartArchive(t, "web", "1.0.0", nil), Target: target(t, "oci://"+host+"/org"), Created: created})
	if err != nil {
		t.Fatal(err)
	}
	byTag := ociRef(t, "oci://"+host+"/org/web:1.0.0", "")
	byDigest := ociRef(t, "oci://"+host+"/org/web@"+pushed.ManifestDigest, "")

	reg.reset()
	if _, err := c.Get(ctx, byTag); err != nil {
		t.Fatal(err)
	}
	cold := reg.reset()
	want := []string{"HEAD /v2/org/web/manifests/1.0.0", "GET /v2/org/web/manifests/" + pushed.ManifestDigest, "GET /v2/org/web/blobs/" + pushed.ChartDigest}
	if !reflect.DeepEqual(cold, want) {
		t.Errorf("cold pull requests\n got %q\nwant %q", cold, want)
	}
	if _, err := c.Get(ctx, byTag); err != nil {
		t.Fatal(err)
	}
	if warm := reg.reset(); !reflect.DeepEqual(warm, want[:1]) {
		t.Errorf("warm pull by tag: %q, want only %q", warm, want[:1])
	}
	if _, err := c.Get(ctx, byDigest); err != nil {
		t.Fatal(err)
	}
	if warm := reg.reset(); len(warm) != 0 {
		t.Errorf("warm pull by digest made requests: %q", warm)
	}
	// A version constraint lists the tags, then resolves the tag.
	if _, err := c.Get(ctx, ociRef(t, "oci://"+host+"/org/web", "^1")); err != nil {
		t.Fatal(err)
	}
	if warm := reg.reset(); !reflect.DeepEqual(warm, []string{"GET /v2/org/web/tags/list", want[0]}) {
		t.Errorf("warm pull by constraint: %q", warm)
	}

	// A different client sharing the cache directory benefits too.
	c2 := newTestClient(t, func(o *Options) { o.CacheDir = c.Cache().Dir() })
	if _, err := c2.Get(ctx, byDigest); err != nil {
		t.Fatal(err)
	}
	if warm := reg.reset(); len(warm) != 0 {
		t.Errorf("second client, pull by digest: %q", warm)
	}
}

// BenchmarkWarmPull measures a pull by tag from a warm cache and reports the blob
// requests it made (0).
func BenchmarkWarmPull(b *testing.B) {
	reg := newFakeRegistry(&testing.T{})
	srv := httptest.NewServer(reg)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	c := newTestClient(b, nil)
	ctx := context.Background()
	if _, err := c.Push(ctx, PushRequest{Archive: chartArchive(b, "web", "1.0.0", nil), Target: Target{Registry: host}, Created: created}); err != nil {
		b.Fatal(err)
	}
	ref := ociRef(b, "oci://"+host+"/web:1.0.0", "")
	if _, err := c.Get(ctx, ref); err != nil {
		b.Fatal(err)
	}
	reg.reset()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Get(ctx, ref); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	log := reg.reset()
	b.ReportMetric(float64(countBy(log, "/blobs/")), "blob-requests")
	b.ReportMetric(float64(len(log))/float64(b.N), "requests/op")
	if n := countBy(log, "/blobs/"); n != 0 {
		b.Fatalf("warm pulls made %d blob requests", n)
	}
}

func TestVersionResolution(t *testing.T) {
	reg := newFakeRegistry(t)
	host := reg.serve()
	c := newTestClient(t, nil)
	ctx := context.Background()
	for _, v := range []string{"0.1.0", "0.2.0", "1.0.0", "1.1.0-rc.1", "1.0.1+build.5"} {
		if _, err := c.Push(ctx, PushRequest{Archive: chartArchive(t, "web", v, nil), Target: target(t, "oci://"+host), Created: created}); err != nil {
			t.Fatal(err)
		}
	}
	// A tag that is not SemVer is ignored.
	reg.mu.Lock()
	reg.manifests["web"]["latest"] = reg.manifests["web"]["0.1.0"]
	reg.mu.Unlock()

	for _, tc := range []struct{ version, want string }{
		{"", "1.0.1+build.5"},
		{"^0.1", "0.1.0"},
		{"~0", "0.2.0"},
		{"0.x", "0.2.0"},
		{"1.0", "1.0.1+build.5"},
		{">0.0.0-0", "1.1.0-rc.1"},
		{"1.0.0", "1.0.0"},
		{"1.0.1+build.5", "1.0.1+build.5"},
		{"<1", "0.2.0"},
	} {
		f, err := c.Get(ctx, ociRef(t, "oci://"+host+"/web", tc.version))
		if err != nil {
			t.Errorf("--version %q: %v", tc.version, err)
			continue
		}
		if f.Version != tc.want {
			t.Errorf("--version %q resolved to %s, want %s", tc.version, f.Version, tc.want)
		}
	}
	vs, err := c.Versions(ctx, host, "web")
	if err != nil {
		t.Fatal(err)
	}
	if got := listVersions(vs); got != "1.1.0-rc.1, 1.0.1+build.5, 1.0.0, 0.2.0, 0.1.0" {
		t.Errorf("versions %s", got)
	}

	_, err = c.Get(ctx, ociRef(t, "oci://"+host+"/web", "^2"))
	if !errors.Is(err, ErrNoMatchingVersion) || !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "available: 1.1.0-rc.1, 1.0.1+build.5, 1.0.0, 0.2.0, 0.1.0") {
		t.Errorf("^2: %v", err)
	}
	_, err = c.Get(ctx, ociRef(t, "oci://"+host+"/web", "9.9.9"))
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "version 9.9.9 not found; available: 1.1.0-rc.1") {
		t.Errorf("9.9.9: %v", err)
	}
	_, err = c.Get(ctx, ociRef(t, "oci://"+host+"/web", "not a constraint!"))
	if !errors.Is(err, source.ErrInvalidRef) {
		t.Errorf("bad constraint: %v", err)
	}
	_, err = c.Get(ctx, ociRef(t, "oci://"+host+"/web:9.9.9", ""))
	if !errors.Is(err, ErrNotFound) || err.Error() != "tag 9.9.9 not found on registry "+host {
		t.Errorf("missing tag: %v", err)
	}
	_, err = c.Get(ctx, ociRef(t, "oci://"+host+"/nothing", ""))
	if !errors.Is(err, ErrNotFound) || err.Error() != "repository nothing not found on registry "+host+" (NAME_UNKNOWN)" {
		t.Errorf("missing repository: %v", err)
	}
}

func TestOnlyPrereleases(t *testing.T) {
	reg := newFakeRegistry(t)
	host := reg.serve()
	c := newTestClient(t, nil)
	ctx := context.Background()
	if _, err := c.Push(ctx, PushRequest{Archive: chartArchive(t, "web", "0.1.0-alpha.1", nil), Target: target(t, "oci://"+host)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Get(ctx, ociRef(t, "oci://"+host+"/web", ""))
	if !errors.Is(err, ErrNoMatchingVersion) || !strings.Contains(err.Error(), "no stable version") {
		t.Errorf("%v", err)
	}
}

func TestRegistryErrors(t *testing.T) {
	ctx := context.Background()
	archive := chartArchive(t, "web", "1.0.0", nil)

	t.Run("401 without credentials", func(t *testing.T) {
		reg := newFakeRegistry(t)
		reg.user, reg.pass = "u", "p"
		host := reg.serve()
		c := newTestClient(t, nil)
		_, err := c.Get(ctx, ociRef(t, "oci://"+host+"/web:1.0.0", ""))
		if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "hoist registry login "+host) {
			t.Errorf("%v", err)
		}
		_, err = c.Push(ctx, PushRequest{Archive: archive, Target: target(t, "oci://"+host)})
		if !errors.Is(err, ErrUnauthorized) || !strings.HasPrefix(err.Error(), "oci://"+host+"/web:1.0.0: registry "+host+" requires authentication") {
			t.Errorf("push: %v", err)
		}
	})
	t.Run("401 with wrong credentials", func(t *testing.T) {
		reg := newFakeRegistry(t)
		reg.user, reg.pass = "u", "p"
		host := reg.serve()
		c := newTestClient(t, func(o *Options) { o.Username, o.Password, o.CredentialsHost = "u", "wrong", host })
		_, err := c.Get(ctx, ociRef(t, "oci://"+host+"/web:1.0.0", ""))
		if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "rejected the credentials") {
			t.Errorf("%v", err)
		}
		ok := newTestClient(t, func(o *Options) { o.Username, o.Password, o.CredentialsHost = "u", "p", host })
		if _, err := ok.Push(ctx, PushRequest{Archive: archive, Target: target(t, "oci://"+host)}); err != nil {
			t.Errorf("push with the right credentials: %v", err)
		}
	})
	t.Run("403", func(t *testing.T) {
		reg := newFakeRegistry(t)
		reg.forbidden["org/web"] = true
		host := reg.serve()
		c := newTestClient(t, nil)
		_, err := c.Push(ctx, PushRequest{Archive: archive, Target: target(t, "oci://"+host+"/org")})
		if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "may not push to") || !strings.Contains(err.Error(), host) {
			t.Errorf("%v", err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		host := l.Addr().String()
		l.Close()
		c := newTestClient(t, nil)
		_, err = c.Get(ctx, ociRef(t, "oci://"+host+"/web:1.0.0", ""))
		if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "cannot reach registry "+host+": connection refused") {
			t.Errorf("%v", err)
		}
	})
	t.Run("TLS unknown authority", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(newFakeRegistry(t))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.StartTLS()
		defer srv.Close()
		host := strings.TrimPrefix(srv.URL, "https://")
		c := newTestClient(t, func(o *Options) { o.PlainHTTP = false })
		_, err := c.Get(ctx, ociRef(t, "oci://"+host+"/web:1.0.0", ""))
		if !errors.Is(err, ErrTLS) || !strings.Contains(err.Error(), host) || !strings.Contains(err.Error(), "--ca-file") {
			t.Errorf("%v", err)
		}
		// --insecure-skip-tls-verify gets through (to a 404).
		c = newTestClient(t, func(o *Options) { o.PlainHTTP, o.InsecureSkipTLSVerify = false, true })
		if _, err := c.Get(ctx, ociRef(t, "oci://"+host+"/web:1.0.0", "")); !errors.Is(err, ErrNotFound) {
			t.Errorf("insecure: %v", err)
		}
	})
	t.Run("TLS to a plain HTTP registry", func(t *testing.T) {
		host := newFakeRegistry(t).serve()
		c := newTestClient(t, func(o *Options) { o.PlainHTTP = false })
		_, err := c.Get(ctx, ociRef(t, "oci://"+host+"/web:1.0.0", ""))
		if !errors.Is(err, ErrTLS) || !strings.Contains(err.Error(), "--plain-http") {
			t.Errorf("%v", err)
		}
	})
	t.Run("bad CA file", func(t *testing.T) {
		ca := filepath.Join(t.TempDir(), "ca.pem")
		mustWrite(t, ca, []byte("not PEM"))
		if _, err := New(Options{CAFile: ca, CacheDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), ca) {
			t.Errorf("%v", err)
		}
	})
}

func TestNotAChart(t *testing.T) {
	reg := newFakeRegistry(t)
	host := reg.serve()
	image := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`)
	e := manifestEntry{mediaType: ocispec.MediaTypeImageManifest, data: image}
	reg.manifests["img"] = map[string]manifestEntry{"1.0.0": e, digest.FromBytes(image).String(): e}
	c := newTestClient(t, nil)
	_, err := c.Get(context.Background(), ociRef(t, "oci://"+host+"/img:1.0.0", ""))
	if !errors.Is(err, ErrNotChart) || !strings.Contains(err.Error(), "container image") {
		t.Errorf("%v", err)
	}
}

func TestCorruptBlob(t *testing.T) {
	reg := newFakeRegistry(t)
	host := reg.serve()
	c := newTestClient(t, nil)
	ctx := context.Background()
	pushed, err := c.Push(ctx, PushRequest{Archive: chartArchive(t, "web", "1.0.0", nil), Target: target(t, "oci://"+host)})
	if err != nil {
		t.Fatal(err)
	}
	reg.corrupt[digest.Digest(pushed.ChartDigest)] = true
	dest := t.TempDir()
	_, err = c.Pull(ctx, ociRef(t, "oci://"+host+"/web:1.0.0", ""), PullOptions{DestDir: dest})
	if !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("%v", err)
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 0 {
		t.Errorf("files left in the destination: %v", entries)
	}
	if _, err := os.Stat(c.Cache().Path(digest.Digest(pushed.ChartDigest))); !os.IsNotExist(err) {
		t.Errorf("corrupt blob cached: %v", err)
	}
}

func TestUntar(t *testing.T) {
	reg := newFakeRegistry(t)
	host := reg.serve()
	c := newTestClient(t, nil)
	ctx := context.Background()
	if _, err := c.Push(ctx, PushRequest{Archive: chartArchive(t, "web", "1.0.0", map[string]string{"files/a.txt": "\xEF\xBB\xBFbom"}), Target: target(t, "oci://"+host)}); err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	ref := ociRef(t, "oci://"+host+"/web:1.0.0", "")
	res, err := c.Pull(ctx, ref, PullOptions{DestDir: dest, Untar: true, UntarDir: "out"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Path != filepath.Join(dest, "out", "web") {
		t.Errorf("path %s", res.Path)
	}
	for name, want := range map[string]string{"Chart.yaml": "name: web", "templates/cm.yaml": "ConfigMap", "files/a.txt": "bom"} {
		got := string(mustRead(t, filepath.Join(res.Path, name)))
		if !strings.HasPrefix(got, want) && !strings.Contains(got, want) || strings.HasPrefix(got, "\xEF") {
			t.Errorf("%s = %q", name, got)
		}
	}
	// Expanding again refuses to overwrite and leaves nothing behind.
	_, err = c.Pull(ctx, ref, PullOptions{DestDir: dest, Untar: true, UntarDir: "out"})
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second untar: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(dest, "out"))
	if len(entries) != 1 {
		t.Errorf("entries after a refused untar: %v", entries)
	}
}

func TestCache(t *testing.T) {
	dir := t.TempDir()
	data := []byte("some chart")
	d := digest.FromBytes(data)
	c := NewCache(dir)
	if _, _, ok, err := c.Get(d); ok || err != nil {
		t.Fatalf("empty cache: %v %v", ok, err)
	}
	if _, err := c.Put(d, []byte("other")); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("put with the wrong digest: %v", err)
	}
	p, err := c.Put(d, data)
	if err != nil {
		t.Fatal(err)
	}
	if got, gp, ok, err := c.Get(d); !ok || err != nil || gp != p || !bytes.Equal(got, data) {
		t.Fatalf("get: %q %s %v %v", got, gp, ok, err)
	}
	// A corrupted file is a miss, and is removed.
	mustWrite(t, p, []byte("tampered"))
	if _, _, ok, err := c.Get(d); ok || err != nil {
		t.Fatalf("tampered file read as a hit: %v", err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Error("tampered file not removed")
	}
}

// TestCacheConcurrent has many writers and readers, each with its own Cache on the
// same directory (as separate processes would), race on the same digests: every
// read is either a miss or the exact content, and no temporary file is left.
func TestCacheConcurrent(t *testing.T) {
	dir := t.TempDir()
	const blobs, workers = 8, 16
	contents := make([][]byte, blobs)
	for i := range contents {
		contents[i] = bytes.Repeat([]byte{byte('a' + i)}, 256<<10)
	}
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			c := NewCache(dir)
			for round := 0; round < 20; round++ {
				b := contents[(w+round)%blobs]
				d := digest.FromBytes(b)
				if got, _, ok, err := c.Get(d); err != nil {
					errs <- err
					return
				} else if ok && !bytes.Equal(got, b) {
					errs <- errors.New("read torn content")
					return
				}
				if _, err := c.Put(d, b); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != blobs {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("cache holds %v, want %d blobs and nothing else", names, blobs)
	}
}

// TestCacheMultiProcess runs the same race between separate processes (this test
// binary, re-executed).
func TestCacheMultiProcess(t *testing.T) {
	if dir := os.Getenv("HOIST_OCI_CACHE_HELPER"); dir != "" {
		c := NewCache(dir)
		for round := 0; round < 50; round++ {
			b := bytes.Repeat([]byte{byte('a' + round%4)}, 512<<10)
			d := digest.FromBytes(b)
			if got, _, ok, err := c.Get(d); err != nil || ok && !bytes.Equal(got, b) {
				t.Fatalf("round %d: torn read or error %v", round, err)
			}
			if _, err := c.Put(d, b); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCacheMultiProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), "HOIST_OCI_CACHE_HELPER="+dir)
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if len(entries) != 4 {
		t.Errorf("cache holds %d entries, want 4 blobs and no temporary file", len(entries))
	}
}

func TestClientOptions(t *testing.T) {
	var uas []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		uas = append(uas, r.UserAgent())
		mu.Unlock()
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	wrapped := 0
	c := newTestClient(t, func(o *Options) {
		o.UserAgent = "hoist/v9.9.9"
		o.HTTPClient = &http.Client{}
		o.WrapTransport = func(b http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) { wrapped++; return b.RoundTrip(r) })
		}
	})
	if _, err := c.Get(context.Background(), ociRef(t, "oci://"+host+"/web:1.0.0", "")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("%v", err)
	}
	if wrapped != 1 || len(uas) != 1 || uas[0] != "hoist/v9.9.9" {
		t.Errorf("wrapped %d requests, user agents %q", wrapped, uas)
	}
	if dir, err := DefaultCacheDir(); err != nil || !strings.HasSuffix(dir, filepath.Join("hoist", "oci")) {
		t.Errorf("DefaultCacheDir = %q, %v", dir, err)
	}
	t.Setenv("XDG_CACHE_HOME", "/x")
	if dir, _ := DefaultCacheDir(); dir != "/x/hoist/oci" {
		t.Errorf("DefaultCacheDir with XDG_CACHE_HOME = %q", dir)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestLoginLogout(t *testing.T) {
	reg := newFakeRegistry(t)
	reg.user, reg.pass = "hoist", "s3cret"
	host := reg.serve()
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	ctx := context.Background()
	c, err := New(Options{PlainHTTP: true, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Login(ctx, host, "hoist", "wrong")
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "rejected the username or password") {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := os.Stat(filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json")); !os.IsNotExist(err) {
		t.Errorf("a failed login wrote the config: %v", err)
	}
	if err := c.Login(ctx, host, "hoist", "s3cret"); err != nil {
		t.Fatal(err)
	}
	cfg := string(mustRead(t, filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json")))
	if !strings.Contains(cfg, host) {
		t.Errorf("config.json: %s", cfg)
	}
	// A new client (a new process) finds the credentials.
	c2, _ := New(Options{PlainHTTP: true, CacheDir: t.TempDir()})
	if _, err := c2.Push(ctx, PushRequest{Archive: chartArchive(t, "web", "1.0.0", nil), Target: target(t, "oci://"+host)}); err != nil {
		t.Fatalf("push after login: %v", err)
	}
	if had, err := c2.Logout(ctx, host); !had || err != nil {
		t.Errorf("logout: %v %v", had, err)
	}
	if had, err := c2.Logout(ctx, host); had || err != nil {
		t.Errorf("second logout: %v %v", had, err)
	}
	c3, _ := New(Options{PlainHTTP: true, CacheDir: t.TempDir()})
	if _, err := c3.Get(ctx, ociRef(t, "oci://"+host+"/web:1.0.0", "")); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("pull after logout: %v", err)
	}
}

func mustWrite(t testing.TB, p string, data []byte) {
	t.Helper()
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStaticCredentialsStayWithTheirRegistry: Username and Password go to
// CredentialsHost only; another registry gets its stored credentials, and one with
// none stored gets no Authorization at all.
func TestStaticCredentialsStayWithTheirRegistry(t *testing.T) {
	ctx := context.Background()
	own, other, open := newFakeRegistry(t), newFakeRegistry(t), newFakeRegistry(t)
	own.user, own.pass = "alice", "s3cret"
	other.user, other.pass = "bob", "hunter2"
	ownHost, otherHost, openHost := own.serve(), other.serve(), open.serve()
	store := memStore()
	if err := store.Put(ctx, otherHost, auth.Credential{Username: "bob", Password: "hunter2"}); err != nil {
		t.Fatal(err)
	}
	seed := func(host, user, pass string) {
		c := newTestClient(t, func(o *Options) {
			if user != "" {
				o.Username, o.Password, o.CredentialsHost = user, pass, host
			}
		})
		if _, err := c.Push(ctx, PushRequest{Archive: chartArchive(t, "web", "1.0.0", nil), Target: target(t, "oci://"+host)}); err != nil {
			t.Fatal(err)
		}
	}
	seed(ownHost, "alice", "s3cret")
	seed(otherHost, "bob", "hunter2")
	seed(openHost, "", "")
	for _, r := range []*fakeRegistry{own, other, open} {
		r.mu.Lock()
		r.auths = nil
		r.mu.Unlock()
	}

	c := newTestClient(t, func(o *Options) {
		o.Username, o.Password, o.CredentialsHost = "alice", "s3cret", ownHost
		o.Credentials = store
	})
	for _, h := range []string{ownHost, otherHost, openHost} {
		if _, err := c.Get(ctx, ociRef(t, "oci://"+h+"/web:1.0.0", "")); err != nil {
			t.Fatalf("%s: %v", h, err)
		}
	}
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	for _, tc := range []struct {
		name string
		reg  *fakeRegistry
		want []string
	}{
		{"the registry they were given for", own, []string{basic("alice", "s3cret")}},
		{"another registry: its stored credentials", other, []string{basic("bob", "hunter2")}},
		{"a registry with none stored", open, nil},
	} {
		tc.reg.mu.Lock()
		var got []string
		for a := range tc.reg.auths {
			got = append(got, a)
		}
		tc.reg.mu.Unlock()
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: Authorization %q, want %q", tc.name, got, tc.want)
		}
	}

	if _, err := New(Options{Username: "alice", Password: "s3cret", CacheDir: t.TempDir()}); err == nil {
		t.Error("New accepted static credentials without CredentialsHost")
	}
}
