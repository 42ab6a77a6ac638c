package action

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
	"github.com/hoist-dev/hoist/pkg/chart/deps"
)

const repoURL = "https://charts.example.com/stable"

// depSetup writes a parent chart (charttest.Parent) with deps, and returns its
// directory, a depManager and the chart repository (web and db) it fetches from.
func depSetup(t *testing.T, deps string) (string, *depManager, *chartRepo) {
	t.Helper()
	cr := newChartRepo(t, "web-2.0.0", "web-1.2.0", "web-1.0.0", "db-3.1.0")
	m := &depManager{HTTPClient: handlerClient(cr), Now: func() time.Time { return lockEpoch }}
	return charttest.Parent(t, deps), m, cr
}

func TestDependencyUpdate(t *testing.T) {
	dir, m, _ := depSetup(t, charttest.SubAndWeb)
	charttest.WriteFiles(t, dir, map[string]string{"charts/.gitkeep": ""})
	if err := os.WriteFile(filepath.Join(dir, "charts", "web-1.0.0.tgz"), charttest.Archive(t, "web", "1.0.0"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "charts", "other-1.0.0.tgz"), charttest.Archive(t, "other", "1.0.0"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := m.Update(context.Background(), dir, deps.Options{SourceDateEpoch: &lockEpoch})
	if err != nil {
		t.Fatal(err)
	}
	if !res.LockWritten {
		t.Error("lock not written")
	}
	lock, err := os.ReadFile(filepath.Join(dir, "Chart.lock"))
	if err != nil {
		t.Fatal(err)
	}
	depGolden(t, "dependency-update-chart-lock", lock)
	if got, want := charttest.Vendored(t, dir), []string{".gitkeep", "other-1.0.0.tgz", "sub-0.1.0.tgz", "web-1.2.0.tgz"}; !slices.Equal(got, want) {
		t.Errorf("charts/ = %v, want %v", got, want)
	}
	if !slices.Equal(res.Removed, []string{"charts/web-1.0.0.tgz"}) {
		t.Errorf("Removed = %v", res.Removed)
	}
	if res.Dependencies[1].Version != "1.2.0" || res.Dependencies[1].Alias != "frontend" || !strings.HasPrefix(res.Dependencies[1].Digest, "sha256:") {
		t.Errorf("web: %+v", res.Dependencies[1])
	}
	// The vendored chart loads with its dependencies.
	c, err := chart.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Dependencies()) != 3 || c.Lock == nil {
		t.Errorf("loaded %d subcharts, lock %v", len(c.Dependencies()), c.Lock)
	}

	// A second update with nothing changed keeps the lock file as it is.
	later := lockEpoch.Add(time.Hour)
	res, err = m.Update(context.Background(), dir, deps.Options{SourceDateEpoch: &later})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(filepath.Join(dir, "Chart.lock"))
	if res.LockWritten || string(again) != string(lock) {
		t.Errorf("unchanged update rewrote the lock:\n%s", again)
	}
}

func TestDependencyUpdateUsesNowWithoutEpoch(t *testing.T) {
	dir, m, _ := depSetup(t, charttest.SubAndWeb)
	if _, err := m.Update(context.Background(), dir, deps.Options{}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "Chart.lock"))
	if !strings.Contains(string(b), "generated: \"2023-11-14T22:13:20Z\"") {
		t.Errorf("lock:\n%s", b)
	}
}

func TestDependencyBuild(t *testing.T) {
	dir, m, cr := depSetup(t, charttest.SubAndWeb)
	if _, err := m.Update(context.Background(), dir, deps.Options{SourceDateEpoch: &lockEpoch}); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(dir, "charts", "web-1.2.0.tgz"))
	if err := os.RemoveAll(filepath.Join(dir, "charts")); err != nil {
		t.Fatal(err)
	}
	// A newer 1.x published since: build still takes the locked 1.2.0.
	cr2 := newChartRepo(t, "web-1.9.0", "web-1.2.0", "web-1.0.0")
	m.HTTPClient = handlerClient(cr2)
	lockBefore, _ := os.ReadFile(filepath.Join(dir, "Chart.lock"))
	res, err := m.Build(context.Background(), dir, deps.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := charttest.Vendored(t, dir); !slices.Equal(got, []string{"sub-0.1.0.tgz", "web-1.2.0.tgz"}) {
		t.Errorf("charts/ = %v", got)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "charts", "web-1.2.0.tgz"))
	if string(got) != string(want) || res.LockWritten {
		t.Error("build fetched other bytes or wrote the lock")
	}
	lockAfter, _ := os.ReadFile(filepath.Join(dir, "Chart.lock"))
	if string(lockAfter) != string(lockBefore) {
		t.Error("build changed the lock")
	}
	_ = cr
}

func TestDependencyBuildOutOfDate(t *testing.T) {
	dir, m, _ := depSetup(t, charttest.SubAndWeb)
	if _, err := m.Update(context.Background(), dir, deps.Options{SourceDateEpoch: &lockEpoch}); err != nil {
		t.Fatal(err)
	}
	yml := filepath.Join(dir, "Chart.yaml")
	b, _ := os.ReadFile(yml)
	if err := os.WriteFile(yml, []byte(strings.Replace(string(b), "^1.0.0", "^2.0.0", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := m.Build(context.Background(), dir, deps.Options{})
	if !errors.Is(err, deps.ErrLockOutOfDate) || !strings.Contains(err.Error(), "hoist dependency update") {
		t.Fatalf("err = %v", err)
	}
	// Update fixes it.
	if _, err := m.Update(context.Background(), dir, deps.Options{SourceDateEpoch: &lockEpoch}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Build(context.Background(), dir, deps.Options{}); err != nil {
		t.Fatal(err)
	}
	if got := charttest.Vendored(t, dir); !slices.Equal(got, []string{"sub-0.1.0.tgz", "web-2.0.0.tgz"}) {
		t.Errorf("charts/ = %v", got)
	}
}

func TestDependencyBuildWithoutLockUpdates(t *testing.T) {
	dir, m, _ := depSetup(t, charttest.SubAndWeb)
	res, err := DependencyBuild{m.sources()}.Run(context.Background(), DependencyOptions{Dir: dir, SourceDateEpoch: &lockEpoch})
	if err != nil {
		t.Fatal(err)
	}
	if !res.NoLock || !res.LockWritten {
		t.Errorf("NoLock %v, LockWritten %v: want an update", res.NoLock, res.LockWritten)
	}
	if got := charttest.Vendored(t, dir); !slices.Equal(got, []string{"sub-0.1.0.tgz", "web-1.2.0.tgz"}) {
		t.Errorf("charts/ = %v", got)
	}
}

func TestDependencyUpdateErrorsNameDependency(t *testing.T) {
	for name, tc := range map[string]struct{ deps, want string }{
		"no version": {"- name: web\n  version: ^9.0.0\n  repository: https://charts.example.com/stable\n",
			`dependency "web" (repository "https://charts.example.com/stable"): chart web in https://charts.example.com/stable: no chart version matches`},
		"local too old": {"- name: sub\n  version: ^1.0.0\n  repository: file://../sub\n",
			`dependency "sub" (repository "file://../sub"): version 0.1.0 does not satisfy "^1.0.0"`},
		"unknown alias": {"- name: web\n  version: ^1.0.0\n  repository: \"@nope\"\n", `no repository definition for @nope`},
		"no getter":     {"- name: web\n  version: ^1.0.0\n  repository: oci://r.example.com/org\n", `dependency "web" (repository "oci://r.example.com/org"): oci repositories are not supported here`},
		"no chart":      {"- name: nope\n  version: ^1.0.0\n  repository: https://charts.example.com/stable\n", `dependency "nope" (repository "https://charts.example.com/stable")`},
	} {
		t.Run(name, func(t *testing.T) {
			dir, m, _ := depSetup(t, tc.deps)
			_, err := m.Update(context.Background(), dir, deps.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if _, serr := os.Stat(filepath.Join(dir, "Chart.lock")); serr == nil {
				t.Error("a failed update wrote Chart.lock")
			}
		})
	}
}

func TestDependencyUpdateAddedRepoAlias(t *testing.T) {
	dir, m, _ := depSetup(t, "- name: db\n  version: 3.x\n  repository: \"@stable\"\n- name: web\n  version: 1.0.0\n  repository: alias:stable\n")
	fr := &fakeRepos{url: repoURL, dir: t.TempDir(), m: m}
	m.Repos = fr
	if _, err := m.Update(context.Background(), dir, deps.Options{SourceDateEpoch: &lockEpoch}); err != nil {
		t.Fatal(err)
	}
	lock, _ := os.ReadFile(filepath.Join(dir, "Chart.lock"))
	depGolden(t, "dependency-update-alias-chart-lock", lock)
	if fr.updates != 1 {
		t.Errorf("repositories refreshed %d times", fr.updates)
	}
	// Build verifies the digest computed over the resolved URLs, as Helm does.
	os.RemoveAll(filepath.Join(dir, "charts"))
	if _, err := m.Build(context.Background(), dir, deps.Options{SkipRefresh: true}); err != nil {
		t.Fatal(err)
	}
	if got := charttest.Vendored(t, dir); !slices.Equal(got, []string{"db-3.1.0.tgz", "web-1.0.0.tgz"}) {
		t.Errorf("charts/ = %v", got)
	}
}

func TestDependencyUpdateV1Requirements(t *testing.T) {
	dir, m, _ := depSetup(t, "")
	charttest.WriteFiles(t, dir, map[string]string{
		"Chart.yaml":        "apiVersion: v1\nname: parent\nversion: 1.0.0\n",
		"requirements.yaml": "dependencies:\n- name: web\n  version: ~1.0\n  repository: https://charts.example.com/stable\n",
	})
	if _, err := m.Update(context.Background(), dir, deps.Options{SourceDateEpoch: &lockEpoch}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "requirements.lock")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "Chart.lock")); err == nil {
		t.Error("Chart.lock written for a v1 chart")
	}
	if _, err := m.Build(context.Background(), dir, deps.Options{}); err != nil {
		t.Fatal(err)
	}
}
