package deps

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/hoist-dev/hoist/pkg/chart"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *update {
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

// writeFiles writes name->content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for n, c := range files {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// archive is a packaged minimal chart.
func archive(t *testing.T, name, version string) []byte {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"Chart.yaml":        fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\n", name, version),
		"templates/cm.yaml": "kind: ConfigMap\n",
		"values.yaml":       "a: 1\n",
	})
	c, err := chart.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := chart.Write(&buf, c, chart.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var epoch = time.Unix(1700000000, 0).UTC()

// fakeFetcher serves charts from memory: name -> version -> archive, with one added
// repository "stable" at stableURL. It records what was refreshed and requested.
type fakeFetcher struct {
	charts    map[string]map[string][]byte
	refreshed [][]string
	requests  []Request
}

const stableURL = "https://charts.example.com/stable"

func newFakeFetcher(t *testing.T, charts ...[2]string) *fakeFetcher {
	f := &fakeFetcher{charts: map[string]map[string][]byte{}}
	for _, c := range charts {
		if f.charts[c[0]] == nil {
			f.charts[c[0]] = map[string][]byte{}
		}
		f.charts[c[0]][c[1]] = archive(t, c[0], c[1])
	}
	return f
}

func (f *fakeFetcher) Repositories(context.Context) ([]Repository, error) {
	return []Repository{{Name: "stable", URL: stableURL}}, nil
}

func (f *fakeFetcher) Refresh(_ context.Context, names []string) error {
	f.refreshed = append(f.refreshed, names)
	return nil
}

// Fetch returns the highest version matching req.Version.
func (f *fakeFetcher) Fetch(_ context.Context, req Request) (*Fetched, error) {
	f.requests = append(f.requests, req)
	c, err := semver.NewConstraint(req.Version)
	if err != nil {
		return nil, err
	}
	var best *semver.Version
	for v := range f.charts[req.Dependency.Name] {
		sv := semver.MustParse(v)
		if c.Check(sv) && (best == nil || sv.GreaterThan(best)) {
			best = sv
		}
	}
	if best == nil {
		return nil, errors.New("no chart version matches")
	}
	data := f.charts[req.Dependency.Name][best.Original()]
	ch, err := chart.LoadArchive(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return &Fetched{Chart: ch, Archive: data, Digest: "sha256:" + sha256hex(data)}, nil
}
