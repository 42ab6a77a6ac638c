package repo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hoist-dev/hoist/pkg/source"
)

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func repoRef(repoName, chartName, version string) source.Ref {
	return source.Ref{Kind: source.Repo, Raw: repoName + "/" + chartName, RepoName: repoName, Chart: chartName, Version: version}
}

func TestAddListUpdateRemove(t *testing.T) {
	ctx := context.Background()
	srv := newChartRepo(t, false)
	srv.put("/charts/index.yaml", indexYAML(indexEntry{name: "web", version: "1.0.0", url: "web-1.0.0.tgz"}))
	m := testManager(t)

	res, err := m.Add(ctx, Entry{Name: "main", URL: srv.URL + "/charts/"}, false)
	if err != nil || res != Added {
		t.Fatalf("add: %v %v", res, err)
	}
	fi, err := os.Stat(m.opts.ConfigFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("repositories file: %v %v", fi, err)
	}
	if _, err := os.Stat(m.IndexPath("main")); err != nil {
		t.Fatalf("index not cached: %v", err)
	}
	b, _ := os.ReadFile(filepath.Join(m.opts.CacheDir, "main-charts.txt"))
	if string(b) != "web\n" {
		t.Fatalf("charts list %q", b)
	}
	// The same again: nothing to do, no download.
	srv.takeLog()
	if res, err := m.Add(ctx, Entry{Name: "main", URL: srv.URL + "/charts"}, false); err != nil || res != Unchanged {
		t.Fatalf("same add: %v %v", res, err)
	}
	if l := srv.takeLog(); len(l) != 0 {
		t.Fatalf("an unchanged add sent %v", l)
	}
	// Another URL under the same name needs --force-update.
	srv.put("/other/index.yaml", indexYAML(indexEntry{name: "api", version: "2.0.0", url: "api-2.0.0.tgz"}))
	if _, err := m.Add(ctx, Entry{Name: "main", URL: srv.URL + "/other"}, false); !errors.Is(err, ErrRepoExists) {
		t.Fatalf("conflicting add: %v", err)
	}
	if res, err := m.Add(ctx, Entry{Name: "main", URL: srv.URL + "/other"}, true); err != nil || res != Replaced {
		t.Fatalf("forced add: %v %v", res, err)
	}
	if _, err := m.Add(ctx, Entry{Name: "second", URL: srv.URL + "/charts"}, false); err != nil {
		t.Fatal(err)
	}
	list, err := m.List()
	if err != nil || len(list) != 2 || list[0].Name != "main" || list[0].URL != srv.URL+"/other" || list[1].Name != "second" {
		t.Fatalf("list %+v %v", list, err)
	}

	// Not a repository, bad names and URLs.
	for _, e := range []Entry{
		{Name: "missing", URL: srv.URL + "/nothing-here"},
		{Name: "a/b", URL: srv.URL + "/charts"},
		{Name: "oci", URL: "oci://registry.example.com/charts"},
		{Name: "ftp", URL: "ftp://example.com/charts"},
	} {
		if _, err := m.Add(ctx, e, false); err == nil {
			t.Errorf("add %+v succeeded", e)
		}
	}
	if list, _ := m.List(); len(list) != 2 {
		t.Fatalf("a failed add changed the file: %+v", list)
	}

	// Update: one fails, the other is updated.
	srv.put("/charts/index.yaml", indexYAML(indexEntry{name: "web", version: "1.0.0", url: "web-1.0.0.tgz"}, indexEntry{name: "web", version: "1.1.0", url: "web-1.1.0.tgz"}, indexEntry{name: "db", version: "x", url: "db.tgz"}))
	srv.remove("/other/index.yaml")
	results, err := m.Update(ctx)
	if err != nil || len(results) != 2 {
		t.Fatalf("update: %+v %v", results, err)
	}
	if results[0].Err == nil || !strings.Contains(results[0].Err.Error(), "404") {
		t.Errorf("main: %+v", results[0])
	}
	if results[1].Err != nil || results[1].Charts != 1 || len(results[1].Skipped) != 1 {
		t.Errorf("second: %+v", results[1])
	}
	idx, err := m.Index("second")
	if err != nil || idx.Entries["web"][0].Version != "1.1.0" {
		t.Fatalf("updated index: %v", err)
	}
	if _, err := m.Update(ctx, "second", "nope"); !errors.Is(err, ErrRepoNotFound) {
		t.Fatalf("update of an unknown repo: %v", err)
	}

	// Remove: all names must exist; the cache goes with them.
	if err := m.Remove(ctx, "second", "nope"); !errors.Is(err, ErrRepoNotFound) || !strings.Contains(err.Error(), "repo nope not found; run hoist repo add") {
		t.Fatalf("remove with an unknown name: %v", err)
	}
	if list, _ := m.List(); len(list) != 2 {
		t.Fatal("a failed remove removed something")
	}
	if err := m.Remove(ctx, "second", "main"); err != nil {
		t.Fatal(err)
	}
	if list, _ := m.List(); len(list) != 0 {
		t.Fatalf("left %+v", list)
	}
	if _, err := os.Stat(m.IndexPath("second")); !os.IsNotExist(err) {
		t.Fatalf("cached index left: %v", err)
	}
	if _, err := m.Update(ctx); !errors.Is(err, ErrNoRepositories) {
		t.Fatalf("update with no repositories: %v", err)
	}
}

func TestGetChart(t *testing.T) {
	ctx := context.Background()
	srv := newChartRepo(t, false)
	cdn := newChartRepo(t, false)
	v1 := chartArchive(t, "web", "1.0.0")
	v11 := chartArchive(t, "web", "1.1.0")
	v2 := chartArchive(t, "web", "2.0.0-rc.1")
	api := chartArchive(t, "api", "0.1.0")
	srv.put("/charts/web-1.0.0.tgz", v1)
	srv.put("/charts/sub/web-1.1.0.tgz", v11)
	cdn.put("/web-2.0.0-rc.1.tgz", v2)
	srv.put("/charts/api-0.1.0.tgz", api)
	srv.put("/charts/index.yaml", indexYAML(
		indexEntry{name: "web", version: "1.0.0", url: "web-1.0.0.tgz", digest: digestOf(v1)},
		indexEntry{name: "web", version: "1.1.0", url: "sub/web-1.1.0.tgz", digest: "sha256:" + digestOf(v11)},
		indexEntry{name: "web", version: "2.0.0-rc.1", url: cdn.URL + "/web-2.0.0-rc.1.tgz", digest: digestOf(v2)},
		indexEntry{name: "api", version: "0.1.0", url: "api-0.1.0.tgz"}, // no digest
		indexEntry{name: "bad", version: "1.0.0", url: "web-1.0.0.tgz", digest: strings.Repeat("0", 64)},
		indexEntry{name: "wrong", version: "1.0.0", url: "web-1.0.0.tgz", digest: digestOf(v1)},
	))
	m := testManager(t)
	if _, err := m.Add(ctx, Entry{Name: "main", URL: srv.URL + "/charts"}, false); err != nil {
		t.Fatal(err)
	}
	srv.takeLog()

	for _, tc := range []struct{ version, want, archive string }{
		{"", "1.1.0", digestOf(v11)},
		{"1.0.0", "1.0.0", digestOf(v1)},
		{"~1.0.0", "1.0.0", digestOf(v1)},
		{">=2.0.0-0", "2.0.0-rc.1", digestOf(v2)},
	} {
		got, err := m.Get(ctx, repoRef("main", "web", tc.version))
		if err != nil {
			t.Fatalf("%q: %v", tc.version, err)
		}
		if got.Version != tc.want || got.Chart.Metadata.Version != tc.want || got.Digest != "sha256:"+tc.archive {
			t.Errorf("%q: got %s %s", tc.version, got.Version, got.Digest)
		}
		if filepath.Base(got.Archive) != "sha256-"+tc.archive+".tgz" {
			t.Errorf("archive %s", got.Archive)
		}
		if !strings.HasPrefix(got.Source, "http://") || !strings.HasSuffix(got.Source, ".tgz") {
			t.Errorf("source %s", got.Source)
		}
	}
	if l := srv.takeLog(); strings.Join(l, ",") != "GET /charts/sub/web-1.1.0.tgz,GET /charts/web-1.0.0.tgz" {
		t.Fatalf("requests %v: want each archive once, relative URLs resolved", l)
	}
	// Cached by digest: no request at all.
	if _, err := m.Get(ctx, repoRef("main", "web", "1.0.0")); err != nil {
		t.Fatal(err)
	}
	if l := append(srv.takeLog(), cdn.takeLog()...); len(l) != 1 {
		t.Fatalf("cached archive: requests %v, want only the CDN's earlier one", l)
	}
	// Without a digest in the index it is downloaded each time.
	for range 2 {
		if got, err := m.Get(ctx, repoRef("main", "api", "")); err != nil || got.Version != "0.1.0" {
			t.Fatalf("api: %v", err)
		}
	}
	if l := srv.takeLog(); len(l) != 2 {
		t.Fatalf("requests %v", l)
	}

	_, err := m.Get(ctx, repoRef("main", "bad", ""))
	if !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), "repo main chart bad 1.0.0") {
		t.Fatalf("digest mismatch: %v", err)
	}
	if _, err := m.Get(ctx, repoRef("main", "wrong", "")); err == nil || !strings.Contains(err.Error(), `holds chart "web"`) {
		t.Fatalf("wrong chart: %v", err)
	}
	_, err = m.Get(ctx, repoRef("main", "nope", ""))
	if !errors.Is(err, ErrChartNotFound) || !strings.Contains(err.Error(), "hoist repo update main") {
		t.Fatalf("missing chart: %v", err)
	}
	if _, err := m.Get(ctx, repoRef("main", "web", "^3")); !errors.Is(err, ErrVersionNotFound) {
		t.Fatalf("missing version: %v", err)
	}
	_, err = m.Get(ctx, repoRef("stable", "web", ""))
	if !errors.Is(err, ErrRepoNotFound) || !strings.Contains(err.Error(), "repo stable not found; run hoist repo add stable URL") {
		t.Fatalf("repo not added: %v", err)
	}
	// A corrupted cached archive is downloaded again.
	got, _ := m.Get(ctx, repoRef("main", "web", "1.0.0"))
	if err := os.WriteFile(got.Archive, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv.takeLog()
	if _, err := m.Get(ctx, repoRef("main", "web", "1.0.0")); err != nil {
		t.Fatal(err)
	}
	if l := srv.takeLog(); len(l) != 1 {
		t.Fatalf("requests %v", l)
	}
	// A missing cached index is downloaded on demand.
	if err := os.Remove(m.IndexPath("main")); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, repoRef("main", "web", "1.0.0")); err != nil {
		t.Fatal(err)
	}
	if l := srv.takeLog(); len(l) != 1 || l[0] != "GET /charts/index.yaml" {
		t.Fatalf("requests %v", l)
	}
}

func TestCredentialScoping(t *testing.T) {
	ctx := context.Background()
	srv := newChartRepo(t, false)
	other := newChartRepo(t, false)
	srv.setAuth("alice", "s3cret")
	v1 := chartArchive(t, "web", "1.0.0")
	srv.put("/web-1.0.0.tgz", v1)
	other.put("/web-2.0.0.tgz", chartArchive(t, "web", "2.0.0"))
	srv.put("/index.yaml", indexYAML(
		indexEntry{name: "web", version: "1.0.0", url: srv.URL + "/web-1.0.0.tgz"},
		indexEntry{name: "web", version: "2.0.0", url: other.URL + "/web-2.0.0.tgz"},
	))

	m := testManager(t)
	if _, err := m.Add(ctx, Entry{Name: "private", URL: srv.URL}, false); !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "no credentials were sent") {
		t.Fatalf("add without credentials: %v", err)
	}
	if _, err := m.Add(ctx, Entry{Name: "private", URL: srv.URL, Username: "alice", Password: "wrong"}, false); !errors.Is(err, ErrAuth) || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("add with a wrong password: %v", err)
	}
	if _, err := m.Add(ctx, Entry{Name: "private", URL: srv.URL, Username: "alice", Password: "s3cret"}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, repoRef("private", "web", "1.0.0")); err != nil {
		t.Fatal(err)
	}
	// The chart on another host (another port) gets no credentials.
	if _, err := m.Get(ctx, repoRef("private", "web", "2.0.0")); err != nil {
		t.Fatal(err)
	}
	if l := other.takeLog(); len(l) != 1 || l[0] != "GET /web-2.0.0.tgz" {
		t.Fatalf("other host got %v, want no user", l)
	}
	// With --pass-credentials it does.
	if _, err := m.Add(ctx, Entry{Name: "private", URL: srv.URL, Username: "alice", Password: "s3cret", PassCredentialsAll: true}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, repoRef("private", "web", "2.0.0")); err != nil {
		t.Fatal(err)
	}
	if l := other.takeLog(); len(l) != 1 || l[0] != "GET /web-2.0.0.tgz alice" {
		t.Fatalf("other host got %v, want user alice", l)
	}
	// When the other host wants credentials, the error says why none were sent.
	other.setAuth("bob", "x")
	m2 := testManager(t)
	if _, err := m2.Add(ctx, Entry{Name: "private", URL: srv.URL, Username: "alice", Password: "s3cret"}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Get(ctx, repoRef("private", "web", "2.0.0")); !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "--pass-credentials") {
		t.Fatalf("got %v", err)
	}
}

func TestSameOrigin(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"https://h/x", "https://h/y", true},
		{"https://h/x", "https://h:443/y", true},
		{"https://H/x", "https://h/y", true},
		{"http://h/x", "https://h/y", false},
		{"https://h/x", "https://h:8443/y", false},
		{"https://h/x", "https://cdn.h/y", false},
	} {
		a, _ := parseRepoURL(tc.a)
		b, _ := parseRepoURL(tc.b)
		if got := sameOrigin(a, b); got != tc.want {
			t.Errorf("%s %s: %v", tc.a, tc.b, got)
		}
	}
}

// TestConcurrentAdd: processes adding repositories at the same time all land in the
// file (the lock serialises their read-modify-write).
func TestConcurrentAdd(t *testing.T) {
	if os.Getenv("HOIST_REPO_ADD_HELPER") != "" {
		return
	}
	srv := newChartRepo(t, false)
	srv.put("/index.yaml", indexYAML(indexEntry{name: "web", version: "1.0.0", url: "web-1.0.0.tgz"}))
	m := testManager(t)
	const n = 6
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(2)
		go func() { // another process
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestAddHelper$")
			cmd.Env = append(os.Environ(), "HOIST_REPO_ADD_HELPER=1",
				"HELPER_CONFIG="+m.opts.ConfigFile, "HELPER_CACHE="+m.opts.CacheDir,
				"HELPER_NAME="+fmt.Sprintf("proc%d", i), "HELPER_URL="+srv.URL)
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("helper %d: %w\n%s", i, err, out)
			}
		}()
		go func() { // and this one
			defer wg.Done()
			_, err := m.Add(context.Background(), Entry{Name: fmt.Sprintf("goroutine%d", i), URL: srv.URL}, false)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	list, err := m.List()
	if err != nil || len(list) != 2*n {
		var names []string
		for _, e := range list {
			names = append(names, e.Name)
		}
		t.Fatalf("file lists %d repositories %v (%v), want %d", len(list), names, err, 2*n)
	}
}

func TestAddHelper(t *testing.T) {
	if os.Getenv("HOIST_REPO_ADD_HELPER") == "" {
		t.Skip("helper process for TestConcurrentAdd")
	}
	m := NewManager(Options{ConfigFile: os.Getenv("HELPER_CONFIG"), CacheDir: os.Getenv("HELPER_CACHE")})
	if _, err := m.Add(context.Background(), Entry{Name: os.Getenv("HELPER_NAME"), URL: os.Getenv("HELPER_URL")}, false); err != nil {
		t.Fatal(err)
	}
}
