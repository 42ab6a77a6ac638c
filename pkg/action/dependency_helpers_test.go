package action

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/pkg/chart/charttest"
	"github.com/hoist-dev/hoist/pkg/chart/deps"
	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/source/repo"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files")

func depGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", p, got, want)
	}
}

// chartRepo serves an index.yaml and archives of the given chart versions
// ("web-1.0.0") and counts requests by path.
type chartRepo struct {
	files map[string][]byte
	hits  map[string]int
}

func newChartRepo(t *testing.T, charts ...string) *chartRepo {
	r := &chartRepo{files: map[string][]byte{}, hits: map[string]int{}}
	var idx strings.Builder
	idx.WriteString("apiVersion: v1\nentries:\n")
	byName := map[string][]string{}
	var order []string
	for _, c := range charts {
		i := strings.LastIndex(c, "-")
		name, version := c[:i], c[i+1:]
		if byName[name] == nil {
			order = append(order, name)
		}
		byName[name] = append(byName[name], version)
		r.files["/stable/"+c+".tgz"] = charttest.Archive(t, name, version)
	}
	for _, name := range order {
		fmt.Fprintf(&idx, "  %s:\n", name)
		for _, v := range byName[name] {
			b := r.files["/stable/"+name+"-"+v+".tgz"]
			fmt.Fprintf(&idx, "  - name: %s\n    version: %s\n    apiVersion: v2\n    urls: [%s-%s.tgz]\n    digest: %s\n", name, v, name, v, sha256hex(b))
		}
	}
	r.files["/stable/index.yaml"] = []byte(idx.String())
	return r
}

func (r *chartRepo) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.hits[req.URL.Path]++
	b, ok := r.files[req.URL.Path]
	if !ok {
		http.NotFound(w, req)
		return
	}
	w.Write(b)
}

// client sends every request to h, whatever its host: the charts' repository URLs
// stay fixed (https://charts.example.com/stable) and golden files stable.
func handlerClient(h http.Handler) *http.Client {
	return &http.Client{Transport: roundTripper(func(req *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result(), nil
	})}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

var lockEpoch = time.Unix(1700000000, 0).UTC()

// depManager runs the dependency use cases over the sources its fields name, with
// the calls of the tests that moved here from pkg/chart/deps.
type depManager struct {
	OCI, Git   source.Getter
	Repos      DependencyRepos
	HTTPClient *http.Client
	Now        func() time.Time
}

func (m *depManager) sources() DependencySources {
	return DependencySources{
		OCI:        func(RegistryOptions) (source.Getter, error) { return m.OCI, nil },
		Git:        m.Git,
		Repos:      m.Repos,
		HTTPClient: m.HTTPClient,
		Now:        m.Now,
	}
}

func depOptions(dir string, o deps.Options) DependencyOptions {
	return DependencyOptions{Dir: dir, SkipRefresh: o.SkipRefresh, SourceDateEpoch: o.SourceDateEpoch}
}

func (m *depManager) Update(ctx context.Context, dir string, o deps.Options) (*deps.Result, error) {
	res, err := DependencyUpdate{m.sources()}.Run(ctx, depOptions(dir, o))
	if err != nil {
		return nil, err
	}
	return &res.Result, nil
}

func (m *depManager) Build(ctx context.Context, dir string, o deps.Options) (*deps.Result, error) {
	res, err := DependencyBuild{m.sources()}.Run(ctx, depOptions(dir, o))
	if err != nil {
		return nil, err
	}
	return &res.Result, nil
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// fakeRepos is an added repository "stable" backed by a chartRepo.
type fakeRepos struct {
	url     string
	dir     string
	m       *depManager
	updates int
}

func (f *fakeRepos) List() ([]*repo.Entry, error) {
	return []*repo.Entry{{Name: "stable", URL: f.url}}, nil
}

func (f *fakeRepos) Update(_ context.Context, names ...string) ([]repo.UpdateResult, error) {
	f.updates++
	return nil, nil
}

func (f *fakeRepos) Get(ctx context.Context, ref source.Ref) (*source.Fetched, error) {
	if ref.RepoName != "stable" {
		return nil, repo.ErrRepoNotFound
	}
	got, err := (&depFetcher{http: f.m.HTTPClient}).getFromURL(ctx, f.url, ref.Chart, ref.Version)
	if err != nil {
		return nil, err
	}
	p := filepath.Join(f.dir, sha256hex(got.Archive)+".tgz")
	if err := os.WriteFile(p, got.Archive, 0o644); err != nil {
		return nil, err
	}
	return &source.Fetched{Chart: got.Chart, Version: got.Chart.Metadata.Version, Digest: got.Digest, Archive: p}, nil
}
