package deps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/chart/charttest"
)

func TestHashReqMatchesHelm(t *testing.T) {
	// The digest Helm's own tests expect for this input.
	req := []*chart.Dependency{{Name: "alpine", Version: "0.1.0", Repository: "http://localhost:8879/charts"}}
	lock := []*chart.Dependency{{Name: "alpine", Version: "0.1.0", Repository: "http://localhost:8879/charts"}}
	got, err := HashReq(req, lock)
	if err != nil {
		t.Fatal(err)
	}
	if want := "sha256:fb239e836325c5fa14b29d1540a13b7d3ba13151b67fe719f820e0ef6d66aaaf"; got != want {
		t.Fatalf("HashReq = %s, want %s", got, want)
	}
}

// TestUpdateVendorsAndLocks checks the logic around the fetcher: file:// charts are
// packaged here, fetched archives vendored, stale versions removed, the lock written
// once, aliased repositories resolved and refreshed.
func TestUpdateVendorsAndLocks(t *testing.T) {
	dir := charttest.Parent(t, charttest.SubAndWeb+"- name: db\n  version: 3.x\n  repository: \"@stable\"\n")
	f := newFakeFetcher(t, [2]string{"web", "1.0.0"}, [2]string{"web", "1.2.0"}, [2]string{"web", "2.0.0"}, [2]string{"db", "3.1.0"})
	charttest.WriteFiles(t, dir, map[string]string{"charts/.gitkeep": ""})
	if err := os.WriteFile(filepath.Join(dir, "charts", "web-1.0.0.tgz"), charttest.Archive(t, "web", "1.0.0"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &Manager{Fetcher: f, Now: func() time.Time { return epoch }}
	res, err := m.Update(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := charttest.Vendored(t, dir), []string{".gitkeep", "db-3.1.0.tgz", "sub-0.1.0.tgz", "web-1.2.0.tgz"}; !slices.Equal(got, want) {
		t.Errorf("charts/ = %v, want %v", got, want)
	}
	if !slices.Equal(res.Removed, []string{"charts/web-1.0.0.tgz"}) || !res.LockWritten {
		t.Errorf("Removed %v, LockWritten %v", res.Removed, res.LockWritten)
	}
	if len(f.requests) != 2 || f.requests[1].RepoName != "stable" || f.requests[1].Dependency.Repository != stableURL {
		t.Errorf("requests %+v: want web, then db from the added repository by its URL", f.requests)
	}
	if len(f.refreshed) != 1 || !slices.Equal(f.refreshed[0], []string{"stable"}) {
		t.Errorf("refreshed %v", f.refreshed)
	}
	lock, _ := os.ReadFile(filepath.Join(dir, "Chart.lock"))
	if !strings.Contains(string(lock), "generated: \"2023-11-14T22:13:20Z\"") || !strings.Contains(string(lock), "repository: "+stableURL+"\n  version: 3.1.0") {
		t.Errorf("Chart.lock:\n%s", lock)
	}
	// Nothing changed: the lock stays as it is, and Build fetches the locked versions.
	if res, err := m.Update(context.Background(), dir, Options{SkipRefresh: true}); err != nil || res.LockWritten {
		t.Fatalf("second update: %v, LockWritten %v", err, res != nil && res.LockWritten)
	}
	f.charts["web"]["1.9.0"] = charttest.Archive(t, "web", "1.9.0")
	os.RemoveAll(filepath.Join(dir, "charts"))
	if _, err := m.Build(context.Background(), dir, Options{SkipRefresh: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := charttest.Vendored(t, dir), []string{"db-3.1.0.tgz", "sub-0.1.0.tgz", "web-1.2.0.tgz"}; !slices.Equal(got, want) {
		t.Errorf("charts/ after build = %v, want %v", got, want)
	}
}

func TestUpdateChecksWhatWasFetched(t *testing.T) {
	for name, tc := range map[string]struct {
		deps    string
		fetcher Fetcher
		want    string
	}{
		"unknown alias": {"- name: web\n  version: ^1.0.0\n  repository: \"@nope\"\n", newFakeFetcher(t), "repository not found: no repository definition for @nope"},
		"no fetcher":    {"- name: web\n  version: ^1.0.0\n  repository: oci://r.example.com/org\n", nil, `dependency "web" (repository "oci://r.example.com/org"): only file:// and unpacked dependencies`},
		"wrong name":    {"- name: web\n  version: ^1.0.0\n  repository: oci://r.example.com/org\n", renamed{newFakeFetcher(t, [2]string{"api", "1.0.0"})}, `the chart fetched is named "api"`},
		"local too old": {"- name: sub\n  version: ^1.0.0\n  repository: file://../sub\n", newFakeFetcher(t), `dependency "sub" (repository "file://../sub"): version 0.1.0 does not satisfy "^1.0.0"`},
	} {
		t.Run(name, func(t *testing.T) {
			dir := charttest.Parent(t, tc.deps)
			_, err := (&Manager{Fetcher: tc.fetcher}).Update(context.Background(), dir, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if name == "unknown alias" && !errors.Is(err, ErrUnknownRepository) {
				t.Errorf("err = %v, want ErrUnknownRepository", err)
			}
			if _, serr := os.Stat(filepath.Join(dir, "Chart.lock")); serr == nil {
				t.Error("a failed update wrote Chart.lock")
			}
		})
	}
}

// renamed asks its fetcher for "api" whatever the dependency's name.
type renamed struct{ *fakeFetcher }

func (r renamed) Fetch(ctx context.Context, req Request) (*Fetched, error) {
	d := *req.Dependency
	d.Name = "api"
	req.Dependency = &d
	return r.fakeFetcher.Fetch(ctx, req)
}

func TestBuildWithoutLock(t *testing.T) {
	dir := charttest.Parent(t, charttest.SubAndWeb)
	if _, err := (&Manager{Fetcher: newFakeFetcher(t)}).Build(context.Background(), dir, Options{}); !errors.Is(err, ErrNoLock) {
		t.Fatalf("err = %v", err)
	}
}

func TestList(t *testing.T) {
	dir := charttest.Parent(t, charttest.SubAndWeb+`- name: db
  version: ">=3"
  repository: https://charts.example.com/stable
- name: cache
  version: 1.0.0
  repository: https://charts.example.com/stable
- name: inline
  version: 2.x
  repository: ""
- name: odd
  version: 1.0.0
  repository: https://charts.example.com/stable
`)
	charttest.WriteFiles(t, dir, map[string]string{
		"charts/inline/Chart.yaml": "apiVersion: v2\nname: inline\nversion: 2.3.0\n",
	})
	os.WriteFile(filepath.Join(dir, "charts", "db-2.0.0.tgz"), charttest.Archive(t, "db", "2.0.0"), 0o644)
	os.WriteFile(filepath.Join(dir, "charts", "web-1.2.0.tgz"), charttest.Archive(t, "web", "1.2.0"), 0o644)
	os.WriteFile(filepath.Join(dir, "charts", "odd-1.0.0.tgz"), charttest.Archive(t, "even", "1.0.0"), 0o644)
	l, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range l.Dependencies {
		got = append(got, s.Name+"="+s.Status)
	}
	want := []string{"sub=missing", "web=ok", "db=wrong version", "cache=missing", "inline=unpacked", "odd=misnamed"}
	if !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0], "odd-1.0.0.tgz") {
		t.Errorf("warnings %v", l.Warnings)
	}
}
