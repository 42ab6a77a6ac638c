package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// fakeRegistry is a small in-memory OCI distribution registry for unit tests: blob
// upload (POST then PUT), blob and manifest HEAD/GET, manifest PUT by tag, the tag
// list, optional basic auth and per-repository 403s. It records every request.
type fakeRegistry struct {
	t *testing.T

	mu        sync.Mutex
	blobs     map[digest.Digest][]byte
	manifests map[string]map[string]manifestEntry // repo -> tag or digest -> manifest
	requests  []string                            // "METHOD /path"
	auths     map[string]bool                     // the Authorization headers seen

	// user and pass, when set, are required (basic auth).
	user, pass string
	// forbidden repositories answer 403.
	forbidden map[string]bool
	// corrupt blobs are served with their first byte flipped.
	corrupt map[digest.Digest]bool
}

type manifestEntry struct {
	mediaType string
	data      []byte
}

func newFakeRegistry(t *testing.T) *fakeRegistry {
	return &fakeRegistry{
		t:         t,
		blobs:     map[digest.Digest][]byte{},
		manifests: map[string]map[string]manifestEntry{},
		forbidden: map[string]bool{},
		corrupt:   map[digest.Digest]bool{},
	}
}

// serve starts the registry on plain HTTP and returns its host:port.
func (r *fakeRegistry) serve() string {
	srv := httptest.NewServer(r)
	r.t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// reset clears the request log and returns what it held.
func (r *fakeRegistry) reset() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.requests
	r.requests = nil
	return out
}

func (r *fakeRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, req.Method+" "+req.URL.Path)
	if a := req.Header.Get("Authorization"); a != "" {
		if r.auths == nil {
			r.auths = map[string]bool{}
		}
		r.auths[a] = true
	}
	if r.user != "" {
		u, p, ok := req.BasicAuth()
		if !ok || u != r.user || p != r.pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="fake"`)
			writeErr(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
			return
		}
	}
	p := strings.TrimPrefix(req.URL.Path, "/v2/")
	if p == "" || req.URL.Path == "/v2" {
		w.WriteHeader(http.StatusOK)
		return
	}
	var repo, kind, rest string
	for _, k := range []string{"/manifests/", "/blobs/uploads/", "/blobs/", "/tags/list"} {
		if i := strings.LastIndex(p, k); i >= 0 {
			repo, kind, rest = p[:i], k, p[i+len(k):]
			break
		}
	}
	if repo == "" {
		writeErr(w, http.StatusNotFound, "NAME_UNKNOWN", "no route")
		return
	}
	if r.forbidden[repo] {
		writeErr(w, http.StatusForbidden, "DENIED", "requested access to the resource is denied")
		return
	}
	switch kind {
	case "/tags/list":
		tags := []string{}
		for ref := range r.manifests[repo] {
			if !strings.HasPrefix(ref, "sha256:") {
				tags = append(tags, ref)
			}
		}
		if r.manifests[repo] == nil {
			writeErr(w, http.StatusNotFound, "NAME_UNKNOWN", "repository name not known to registry")
			return
		}
		sort.Strings(tags)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"name": repo, "tags": tags})
	case "/manifests/":
		switch req.Method {
		case http.MethodHead, http.MethodGet:
			m, ok := r.manifests[repo][rest]
			if !ok {
				writeErr(w, http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown")
				return
			}
			w.Header().Set("Content-Type", m.mediaType)
			w.Header().Set("Docker-Content-Digest", digest.FromBytes(m.data).String())
			w.Header().Set("Content-Length", fmt.Sprint(len(m.data)))
			if req.Method == http.MethodGet {
				_, _ = w.Write(m.data)
			}
		case http.MethodPut:
			data, _ := io.ReadAll(req.Body)
			e := manifestEntry{mediaType: req.Header.Get("Content-Type"), data: data}
			if r.manifests[repo] == nil {
				r.manifests[repo] = map[string]manifestEntry{}
			}
			d := digest.FromBytes(data)
			r.manifests[repo][rest] = e
			r.manifests[repo][d.String()] = e
			w.Header().Set("Docker-Content-Digest", d.String())
			w.WriteHeader(http.StatusCreated)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	case "/blobs/":
		d := digest.Digest(rest)
		data, ok := r.blobs[d]
		if !ok {
			writeErr(w, http.StatusNotFound, "BLOB_UNKNOWN", "blob unknown")
			return
		}
		if r.corrupt[d] {
			data = append([]byte{data[0] ^ 0xff}, data[1:]...)
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Header().Set("Docker-Content-Digest", d.String())
		if req.Method == http.MethodGet {
			_, _ = w.Write(data)
		}
	case "/blobs/uploads/":
		switch req.Method {
		case http.MethodPost:
			w.Header().Set("Location", "/v2/"+repo+"/blobs/uploads/"+randomID())
			w.WriteHeader(http.StatusAccepted)
		case http.MethodPut:
			data, _ := io.ReadAll(req.Body)
			d := digest.Digest(req.URL.Query().Get("digest"))
			if digest.FromBytes(data) != d {
				writeErr(w, http.StatusBadRequest, "DIGEST_INVALID", "digest mismatch")
				return
			}
			r.blobs[d] = data
			w.Header().Set("Docker-Content-Digest", d.String())
			w.WriteHeader(http.StatusCreated)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	}
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"code": code, "message": msg}}})
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// countBy counts the logged requests whose "METHOD /path" contains substr.
func countBy(log []string, substr string) int {
	n := 0
	for _, l := range log {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}

// chartArchive builds a chart archive <name>/{Chart.yaml,values.yaml,templates/cm.yaml}
// plus extra files, deterministically.
func chartArchive(t testing.TB, name, version string, extra map[string]string) []byte {
	t.Helper()
	files := map[string]string{
		"Chart.yaml":        fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\ndescription: A test chart\nhome: https://example.com/%s\nsources:\n  - https://git.example/%s\n  - https://git.example/other\nmaintainers:\n  - name: Ann\n    email: ann@example.com\n  - name: Bob\nannotations:\n  org.opencontainers.image.title: ignored\n  example.com/team: web\n", name, version, name, name),
		"values.yaml":       "greeting: hello\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\ndata:\n  greeting: {{ .Values.greeting | quote }}\n  version: {{ .Chart.Version | quote }}\n",
	}
	for k, v := range extra {
		files[k] = v
	}
	names := make([]string, 0, len(files))
	for k := range files {
		names = append(names, k)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, n := range names {
		data := []byte(files[n])
		if err := tw.WriteHeader(&tar.Header{Name: name + "/" + n, Mode: 0o644, Size: int64(len(data)), ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
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

// newTestClient is a plain-HTTP client with its own cache and an empty credential
// store, so that nothing on the machine leaks in.
func newTestClient(t testing.TB, mod func(*Options)) *Client {
	t.Helper()
	opts := Options{PlainHTTP: true, CacheDir: t.TempDir(), Credentials: memStore()}
	if mod != nil {
		mod(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
