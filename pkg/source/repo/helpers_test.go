package repo

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// chartArchive is a minimal chart archive for name and version.
func chartArchive(t testing.TB, name, version string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for p, c := range map[string]string{
		"Chart.yaml":        fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\ndescription: %s chart\n", name, version, name),
		"values.yaml":       "replicas: 1\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
	} {
		if err := tw.WriteHeader(&tar.Header{Name: name + "/" + p, Mode: 0o644, Size: int64(len(c)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// chartRepo is an HTTP chart repository: files by path, optional basic auth,
// and a log of requests ("GET /path user").
type chartRepo struct {
	*httptest.Server
	mu         sync.Mutex
	files      map[string][]byte
	user, pass string
	log        []string
}

func newChartRepo(t *testing.T, tlsServer bool) *chartRepo {
	t.Helper()
	if tlsServer {
		return newChartRepoTLS(t, nil)
	}
	return startChartRepo(t, httptest.NewServer)
}

// newChartRepoTLS is a repository over TLS with cfg (nil: httptest's default).
func newChartRepoTLS(t *testing.T, cfg *tls.Config) *chartRepo {
	t.Helper()
	return startChartRepo(t, func(h http.Handler) *httptest.Server {
		s := httptest.NewUnstartedServer(h)
		s.TLS = cfg
		s.StartTLS()
		return s
	})
}

func startChartRepo(t *testing.T, start func(http.Handler) *httptest.Server) *chartRepo {
	t.Helper()
	r := &chartRepo{files: map[string][]byte{}}
	r.Server = start(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		u, p, ok := req.BasicAuth()
		r.mu.Lock()
		r.log = append(r.log, strings.TrimSpace(req.Method+" "+req.URL.Path+" "+u))
		b, found := r.files[req.URL.Path]
		needAuth := r.user != "" && (!ok || u != r.user || p != r.pass)
		r.mu.Unlock()
		switch {
		case needAuth:
			w.Header().Set("WWW-Authenticate", `Basic realm="charts"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		case !found:
			http.NotFound(w, req)
		default:
			_, _ = w.Write(b)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *chartRepo) put(path string, b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.files[path] = b
}

func (r *chartRepo) remove(path string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.files, path)
}

func (r *chartRepo) setAuth(user, pass string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.user, r.pass = user, pass
}

func (r *chartRepo) takeLog() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.log
	r.log = nil
	return l
}

// indexEntry is one version for an index built by indexYAML.
type indexEntry struct {
	name, version, url, digest, description, appVersion string
	keywords                                            []string
}

func indexYAML(entries ...indexEntry) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nentries:\n")
	byName := map[string][]indexEntry{}
	var names []string
	for _, e := range entries {
		if _, ok := byName[e.name]; !ok {
			names = append(names, e.name)
		}
		byName[e.name] = append(byName[e.name], e)
	}
	for _, n := range names {
		fmt.Fprintf(&b, "  %s:\n", n)
		for _, e := range byName[n] {
			fmt.Fprintf(&b, "  - name: %s\n    version: %s\n    urls: [%q]\n", e.name, e.version, e.url)
			if e.digest != "" {
				fmt.Fprintf(&b, "    digest: %s\n", e.digest)
			}
			if e.description != "" {
				fmt.Fprintf(&b, "    description: %q\n", e.description)
			}
			if e.appVersion != "" {
				fmt.Fprintf(&b, "    appVersion: %q\n", e.appVersion)
			}
			if len(e.keywords) > 0 {
				fmt.Fprintf(&b, "    keywords: [%s]\n", strings.Join(e.keywords, ", "))
			}
		}
	}
	b.WriteString("generated: \"2025-01-01T00:00:00Z\"\n")
	return []byte(b.String())
}

func testManager(t *testing.T) *Manager {
	t.Helper()
	dir := t.TempDir()
	return NewManager(Options{
		ConfigFile: filepath.Join(dir, "config", "repositories.yaml"),
		CacheDir:   filepath.Join(dir, "cache"),
		UserAgent:  "hoist-test",
	})
}
