package action

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hoist-dev/hoist/pkg/chart/charttest"
	"github.com/hoist-dev/hoist/pkg/source/oci"
)

// authRegistry is a read-only OCI registry serving chart NAME:VERSION at repository
// charts/NAME, optionally behind basic auth. It records every request and every
// Authorization header it is sent.
type authRegistry struct {
	user, pass string
	blobs      map[digest.Digest][]byte
	manifests  map[string][]byte // "charts/NAME:TAG" and "charts/NAME@DIGEST"

	mu       sync.Mutex
	requests int
	auths    []string
}

func newAuthRegistry(t *testing.T, user, pass string, charts ...string) (*authRegistry, string) {
	t.Helper()
	r := &authRegistry{user: user, pass: pass, blobs: map[digest.Digest][]byte{}, manifests: map[string][]byte{}}
	for _, c := range charts {
		name, version, _ := strings.Cut(c, ":")
		blob := func(mediaType string, b []byte) ocispec.Descriptor {
			d := digest.FromBytes(b)
			r.blobs[d] = b
			return ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(b))}
		}
		m, err := json.Marshal(ocispec.Manifest{
			Versioned: specs.Versioned{SchemaVersion: 2},
			MediaType: ocispec.MediaTypeImageManifest,
			Config:    blob(oci.ConfigMediaType, fmt.Appendf(nil, `{"name":%q,"version":%q,"apiVersion":"v2"}`, name, version)),
			Layers:    []ocispec.Descriptor{blob(oci.ChartLayerMediaType, charttest.Archive(t, name, version))},
		})
		if err != nil {
			t.Fatal(err)
		}
		r.manifests["charts/"+name+":"+version] = m
		r.manifests["charts/"+name+"@"+digest.FromBytes(m).String()] = m
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, strings.TrimPrefix(srv.URL, "http://")
}

func (r *authRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.requests++
	if a := req.Header.Get("Authorization"); a != "" && !slices.Contains(r.auths, a) {
		r.auths = append(r.auths, a)
	}
	r.mu.Unlock()
	if u, p, ok := req.BasicAuth(); r.user != "" && (!ok || u != r.user || p != r.pass) {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
		return
	}
	p := strings.TrimPrefix(req.URL.Path, "/v2/")
	var body []byte
	mediaType := "application/octet-stream"
	if repo, ref, ok := strings.Cut(p, "/manifests/"); ok {
		sep := ":"
		if strings.HasPrefix(ref, "sha256:") {
			sep = "@"
		}
		body, mediaType = r.manifests[repo+sep+ref], ocispec.MediaTypeImageManifest
	} else if _, d, ok := strings.Cut(p, "/blobs/"); ok {
		body = r.blobs[digest.Digest(d)]
	}
	if body == nil {
		http.Error(w, `{"errors":[{"code":"NOT_FOUND"}]}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Docker-Content-Digest", digest.FromBytes(body).String())
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	if req.Method != http.MethodHead {
		w.Write(body)
	}
}

func (r *authRegistry) seen() (requests int, auths []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests, slices.Clone(r.auths)
}

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// TestDependencyCredentialsStayWithTheirRegistry: --username and --password reach
// only the one registry a chart's dependencies name; with dependencies on several
// registries they are refused before any request; without them, each registry gets
// its own stored credentials and no other's.
func TestDependencyCredentialsStayWithTheirRegistry(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	t.Setenv("DOCKER_CONFIG", filepath.Join(home, "docker"))

	// a takes only the credentials given as flags, b only those stored for it, c none.
	a, aHost := newAuthRegistry(t, "alice", "s3cret", "web:1.0.0")
	b, bHost := newAuthRegistry(t, "bob", "hunter2", "db:2.0.0")
	c, cHost := newAuthRegistry(t, "", "", "cache:3.0.0")
	config := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, bHost, base64.StdEncoding.EncodeToString([]byte("bob:hunter2")))
	charttest.WriteFiles(t, filepath.Join(home, "docker"), map[string]string{"config.json": config})

	chartWith := func(deps ...string) string {
		dir := t.TempDir()
		y := "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n"
		for _, d := range deps {
			host, nv, _ := strings.Cut(d, "/")
			name, version, _ := strings.Cut(nv, ":")
			y += fmt.Sprintf("- name: %s\n  version: %s\n  repository: oci://%s/charts\n", name, version, host)
		}
		charttest.WriteFiles(t, dir, map[string]string{"Chart.yaml": y})
		return dir
	}
	flags := RegistryOptions{PlainHTTP: true, Username: "alice", Password: "s3cret"}
	ctx := context.Background()

	t.Run("dependencies on two registries refuse the flags", func(t *testing.T) {
		dir := chartWith(aHost+"/web:1.0.0", bHost+"/db:2.0.0")
		_, err := DependencyUpdate{}.Run(ctx, DependencyOptions{Dir: dir, Registry: flags})
		if !errors.Is(err, ErrCredentialsAmbiguous) || !strings.Contains(err.Error(), aHost) || !strings.Contains(err.Error(), bHost) {
			t.Fatalf("update: %v", err)
		}
		if _, err := (DependencyBuild{}).Run(ctx, DependencyOptions{Dir: dir, Registry: flags}); !errors.Is(err, ErrCredentialsAmbiguous) {
			t.Fatalf("build: %v", err)
		}
		for _, r := range []*authRegistry{a, b} {
			if n, _ := r.seen(); n != 0 {
				t.Errorf("a registry got %d requests", n)
			}
		}
	})
	t.Run("the flags go to the one registry", func(t *testing.T) {
		dir := chartWith(aHost + "/web:1.0.0")
		if _, err := (DependencyUpdate{}).Run(ctx, DependencyOptions{Dir: dir, Registry: flags}); err != nil {
			t.Fatal(err)
		}
		if _, auths := a.seen(); !slices.Equal(auths, []string{basicAuth("alice", "s3cret")}) {
			t.Errorf("registry a saw %q", auths)
		}
	})
	t.Run("without flags each registry gets its own stored credentials", func(t *testing.T) {
		dir := chartWith(bHost+"/db:2.0.0", cHost+"/cache:3.0.0")
		if _, err := (DependencyUpdate{}).Run(ctx, DependencyOptions{Dir: dir, Registry: RegistryOptions{PlainHTTP: true}}); err != nil {
			t.Fatal(err)
		}
		if _, auths := b.seen(); !slices.Equal(auths, []string{basicAuth("bob", "hunter2")}) {
			t.Errorf("registry b saw %q", auths)
		}
		if n, auths := c.seen(); n == 0 || len(auths) != 0 {
			t.Errorf("registry c got %d requests with %q", n, auths)
		}
		if _, err := os.Stat(filepath.Join(dir, "charts", "cache-3.0.0.tgz")); err != nil {
			t.Error(err)
		}
	})
	t.Run("pull refuses the flags for references on two registries", func(t *testing.T) {
		before, _ := c.seen()
		refs := []string{"oci://" + aHost + "/charts/web:1.0.0", "oci://" + cHost + "/charts/cache:3.0.0"}
		_, err := Pull{}.Run(ctx, PullOptions{Refs: refs, Pull: oci.PullOptions{DestDir: t.TempDir()}, Registry: flags})
		if !errors.Is(err, ErrCredentialsAmbiguous) {
			t.Fatalf("%v", err)
		}
		if after, _ := c.seen(); after != before {
			t.Errorf("registry c got %d requests", after-before)
		}
	})
}
