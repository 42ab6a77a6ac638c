package git

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/testenv"
)

// fixture is a repository with a chart at charts/web: c1 = v1.0.0 (annotated tag,
// and branch "stable"), c2 = v1.1.0 (annotated tag), mid (no ref points to it, chart
// 1.1.1), c3 = main (1.2.0-dev).
type fixture struct {
	*workRepo
	c1, c2, mid, c3 string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureIn(t, t.TempDir())
}

func newFixtureIn(t *testing.T, dir string) *fixture {
	t.Helper()
	r := newWorkRepoIn(t, dir)
	f := &fixture{workRepo: r}
	f.c1 = r.commit(chartFiles("charts/web", "1.0.0"), "v1.0.0")
	r.tag("v1.0.0")
	r.branch("stable")
	f.c2 = r.commit(chartFiles("charts/web", "1.1.0"), "v1.1.0")
	r.tag("v1.1.0")
	f.mid = r.commit(chartFiles("charts/web", "1.1.1"), "fix")
	f.c3 = r.commit(chartFiles("charts/web", "1.2.0-dev"), "dev")
	return f
}

func getterRef(t *testing.T, repoURL, ref string) source.Ref {
	t.Helper()
	return parse(t, "git+"+repoURL+"//charts/web?ref="+ref)
}

func getter(t *testing.T, o Options) *Getter {
	t.Helper()
	if o.CacheDir == "" {
		o.CacheDir = t.TempDir()
	}
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func parse(t *testing.T, raw string) source.Ref {
	t.Helper()
	ref, err := source.Parse(raw, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func TestGetFile(t *testing.T) {
	f := sharedFixture(t)
	g := getter(t, Options{})
	ctx := context.Background()
	base := "git+file://" + f.Bare + "//charts/web"
	for _, tc := range []struct {
		ref, version, commit string
	}{
		{"", "1.2.0-dev", f.c3},
		{"main", "1.2.0-dev", f.c3},
		{"stable", "1.0.0", f.c1},
		{"v1.0.0", "1.0.0", f.c1},
		{"v1.1.0", "1.1.0", f.c2},
		{"^1.0.0", "1.1.0", f.c2},
		{"~1.0", "1.0.0", f.c1},
		{f.c2, "1.1.0", f.c2},
		{f.c2[:10], "1.1.0", f.c2},  // abbreviated, a peeled tag
		{f.mid, "1.1.1", f.mid},     // no ref points to it
		{f.mid[:7], "1.1.1", f.mid}, // abbreviated, not at any tip: found in the history
	} {
		t.Run("ref="+tc.ref, func(t *testing.T) {
			raw := base
			if tc.ref != "" {
				raw += "?ref=" + tc.ref
			}
			got, err := g.Get(ctx, parse(t, raw))
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != tc.version || got.Chart.Metadata.Version != tc.version {
				t.Errorf("version %s, want %s", got.Version, tc.version)
			}
			if got.Digest != "git:"+tc.commit {
				t.Errorf("digest %s, want git:%s", got.Digest, tc.commit)
			}
			if want := "git+file://" + f.Bare + "//charts/web?ref=" + tc.commit; got.Source != want {
				t.Errorf("source %s, want %s", got.Source, want)
			}
			// The pinned source fetches the same again.
			again, err := g.Get(ctx, parse(t, got.Source))
			if err != nil || again.Digest != got.Digest {
				t.Errorf("pinned source: %v, %v", again, err)
			}
		})
	}

	t.Run("chart at the root", func(t *testing.T) {
		r := newWorkRepo(t)
		c := r.commit(map[string]string{"Chart.yaml": "apiVersion: v2\nname: root\nversion: 0.1.0\n"}, "root")
		got, err := g.Get(ctx, parse(t, "git+file://"+r.Bare))
		if err != nil || got.Chart.Name() != "root" || got.Digest != "git:"+c {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("missing path", func(t *testing.T) {
		_, err := g.Get(ctx, parse(t, "git+file://"+f.Bare+"//charts/api?ref=v1.0.0"))
		if !errors.Is(err, ErrPathNotFound) || !strings.Contains(err.Error(), "charts has other, web") {
			t.Fatalf("got %v", err)
		}
		_, err = g.Get(ctx, parse(t, "git+file://"+f.Bare+"//deploy/charts/api?ref=v1.0.0"))
		if !errors.Is(err, ErrPathNotFound) || !strings.Contains(err.Error(), "the repository root has charts, scripts") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("missing ref", func(t *testing.T) {
		_, err := g.Get(ctx, parse(t, base+"?ref=v9.9.9"))
		if !errors.Is(err, ErrRefNotFound) {
			t.Fatalf("got %v", err)
		}
		for _, want := range []string{`ref "v9.9.9"`, "branches main, stable", "tags v1.1.0, v1.0.0", f.Bare} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q lacks %q", err, want)
			}
		}
	})
	t.Run("missing commit", func(t *testing.T) {
		_, err := g.Get(ctx, parse(t, base+"?ref="+strings.Repeat("0", 40)))
		if !errors.Is(err, ErrRefNotFound) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("not a chart", func(t *testing.T) {
		_, err := g.Get(ctx, parse(t, "git+file://"+f.Bare+"//scripts"))
		if err == nil || !strings.Contains(err.Error(), "loading the chart at scripts") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("missing repository", func(t *testing.T) {
		_, err := g.Get(ctx, parse(t, "git+file://"+filepath.Join(t.TempDir(), "none.git")))
		if !errors.Is(err, ErrRepositoryNotFound) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("work tree with .git", func(t *testing.T) {
		got, err := g.Get(ctx, parse(t, "git+file://"+f.work+"//charts/web?ref=v1.1.0"))
		if err != nil || got.Digest != "git:"+f.c2 {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
}

func TestCacheLayout(t *testing.T) {
	f := sharedFixture(t)
	cache := t.TempDir()
	g := getter(t, Options{CacheDir: cache})
	got, err := g.Get(context.Background(), parse(t, "git+file://"+f.Bare+"//charts/web?ref=v1.1.0"))
	if err != nil {
		t.Fatal(err)
	}
	dirs, _ := filepath.Glob(filepath.Join(cache, "*", f.c2))
	if len(dirs) != 1 {
		t.Fatalf("cache has %v", dirs)
	}
	if !strings.Contains(filepath.Base(filepath.Dir(dirs[0])), "repo.git-") {
		t.Errorf("repository directory %s does not name the repository", dirs[0])
	}
	b, err := os.ReadFile(filepath.Join(dirs[0], "charts", "web", "Chart.yaml"))
	if err != nil || !strings.Contains(string(b), "version: 1.1.0") {
		t.Fatalf("cached Chart.yaml: %q, %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(dirs[0], "charts", "other")); err != nil || !fi.IsDir() {
		t.Fatalf("charts/other: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dirs[0], ".git")); !os.IsNotExist(err) {
		t.Fatalf(".git in the cache: %v", err)
	}
	_ = got
}

func TestModesAndSymlinks(t *testing.T) {
	r := newWorkRepo(t)
	files := chartFiles("chart", "0.1.0")
	if err := os.MkdirAll(filepath.Join(r.work, "chart"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("values.yaml", filepath.Join(r.work, "chart", "values-link.yaml")); err != nil {
		t.Fatal(err)
	}
	r.commit(files, "x")
	if err := os.Chmod(filepath.Join(r.work, "scripts", "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := r.commit(nil, "exec")
	cache := t.TempDir()
	g := getter(t, Options{CacheDir: cache})
	if _, err := g.Get(context.Background(), parse(t, "git+file://"+r.Bare+"//chart")); err != nil {
		t.Fatal(err)
	}
	dirs, _ := filepath.Glob(filepath.Join(cache, "*", c))
	if len(dirs) != 1 {
		t.Fatalf("cache has %v", dirs)
	}
	fi, err := os.Stat(filepath.Join(dirs[0], "scripts", "run.sh"))
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("run.sh: %v %v", fi.Mode(), err)
	}
	target, err := os.Readlink(filepath.Join(dirs[0], "chart", "values-link.yaml"))
	if err != nil || target != "values.yaml" {
		t.Fatalf("symlink: %q %v", target, err)
	}

	// A chart path through a symlink that leaves the repository is refused.
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "Chart.yaml"), []byte("apiVersion: v2\nname: stolen\nversion: 1.0.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(r.work, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("chart", filepath.Join(r.work, "alias")); err != nil {
		t.Fatal(err)
	}
	r.commit(nil, "links")
	_, err = g.Get(context.Background(), parse(t, "git+file://"+r.Bare+"//escape"))
	if !errors.Is(err, ErrPathNotFound) || !strings.Contains(err.Error(), "leading out of the repository") {
		t.Fatalf("escaping symlink: %v", err)
	}
	if got, err := g.Get(context.Background(), parse(t, "git+file://"+r.Bare+"//alias")); err != nil || got.Chart.Name() != "web" {
		t.Fatalf("symlink inside the repository: %v", err)
	}
}

// httpServer serves the bare repositories under root with git http-backend, and
// under /auth/ with basic auth u:p.
func httpServer(t *testing.T, root string) *httptest.Server {
	t.Helper()
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed")
	}
	srv := httptest.NewServer(testenv.GitHandler(gitBin, root, "u", "p"))
	t.Cleanup(srv.Close)
	return srv
}

func TestGetHTTP(t *testing.T) {
	f := sharedFixture(t)
	srv := httpServer(t, filepath.Dir(f.Bare))
	ctx := context.Background()
	anon := srv.URL + "/repo.git"
	authed := srv.URL + "/auth/repo.git"

	t.Run("cache: a commit is fetched once", func(t *testing.T) {
		cnt, hc := newCounter()
		g := getter(t, Options{HTTPClient: hc})
		ref := parse(t, "git+"+anon+"//charts/web?ref=v1.1.0")
		if _, err := g.Get(ctx, ref); err != nil {
			t.Fatal(err)
		}
		if got := cnt.take(); len(got) != 2 || !strings.HasSuffix(got[0], "/info/refs") || !strings.HasSuffix(got[1], "/git-upload-pack") {
			t.Fatalf("first Get sent %v, want ls-remote then one upload-pack", got)
		}
		// Same tag: ls-remote only, no fetch.
		if _, err := g.Get(ctx, ref); err != nil {
			t.Fatal(err)
		}
		if got := cnt.take(); len(got) != 1 || !strings.HasSuffix(got[0], "/info/refs") {
			t.Fatalf("second Get sent %v, want only the ls-remote", got)
		}
		// The range resolves to the same commit: no fetch either.
		if _, err := g.Get(ctx, parse(t, "git+"+anon+"//charts/web?ref=^1.0")); err != nil {
			t.Fatal(err)
		}
		if got := cnt.take(); len(got) != 1 {
			t.Fatalf("range Get sent %v", got)
		}
		// A full commit that is cached needs no network at all: stop the server.
		srv2 := httpServer(t, filepath.Dir(f.Bare))
		cnt2, hc2 := newCounter()
		g2 := getter(t, Options{HTTPClient: hc2})
		pinned := parse(t, "git+"+srv2.URL+"/repo.git//charts/web?ref="+f.c2)
		if _, err := g2.Get(ctx, pinned); err != nil {
			t.Fatal(err)
		}
		srv2.Close()
		cnt2.take()
		got, err := g2.Get(ctx, pinned)
		if err != nil {
			t.Fatalf("cached commit with the server stopped: %v", err)
		}
		if n := cnt2.take(); len(n) != 0 || got.Chart.Metadata.Version != "1.1.0" {
			t.Fatalf("sent %v for a cached commit", n)
		}
	})

	t.Run("commit that is no tip, over HTTP", func(t *testing.T) {
		g := getter(t, Options{})
		got, err := g.Get(ctx, parse(t, "git+"+anon+"//charts/web?ref="+f.c1))
		if err != nil || got.Version != "1.0.0" {
			t.Fatalf("got %+v, %v", got, err)
		}
		got, err = g.Get(ctx, parse(t, "git+"+anon+"//charts/web?ref="+f.mid))
		if err != nil || got.Version != "1.1.1" {
			t.Fatalf("full hash: got %+v, %v", got, err)
		}
		got, err = g.Get(ctx, getterRef(t, anon, f.mid[:8]))
		if err != nil || got.Version != "1.1.1" {
			t.Fatalf("abbreviated: got %+v, %v", got, err)
		}
	})

	t.Run("auth", func(t *testing.T) {
		ref := parse(t, "git+"+authed+"//charts/web?ref=v1.0.0")
		_, err := getter(t, Options{}).Get(ctx, ref)
		if !errors.Is(err, ErrAuthRequired) || !strings.Contains(err.Error(), "netrc") {
			t.Fatalf("no credentials: %v", err)
		}
		_, err = getter(t, Options{Username: "u", Password: "wrong"}).Get(ctx, ref)
		if !errors.Is(err, ErrAuthFailed) || !strings.Contains(err.Error(), `user "u"`) || strings.Contains(err.Error(), "wrong") {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := getter(t, Options{Username: "u", Password: "p"}).Get(ctx, ref); err != nil {
			t.Fatalf("options: %v", err)
		}
		netrc := filepath.Join(t.TempDir(), "netrc")
		if err := os.WriteFile(netrc, []byte("machine 127.0.0.1 login u password p\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := getter(t, Options{NetrcFile: netrc}).Get(ctx, ref); err != nil {
			t.Fatalf("netrc: %v", err)
		}
		withUser := strings.Replace(authed, "http://", "http://u:p@", 1)
		got, err := getter(t, Options{Password: "wrong"}).Get(ctx, parse(t, "git+"+withUser+"//charts/web?ref=v1.0.0"))
		if err != nil {
			t.Fatalf("URL credentials: %v", err)
		}
		if strings.Contains(got.Source, "u:p@") || strings.Contains(got.Source, "u@") {
			t.Fatalf("credentials in the pinned source %s", got.Source)
		}
	})

	t.Run("missing repository", func(t *testing.T) {
		_, err := getter(t, Options{}).Get(ctx, parse(t, "git+"+srv.URL+"/none.git"))
		if !errors.Is(err, ErrRepositoryNotFound) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("empty repository", func(t *testing.T) {
		r := newWorkRepo(t)
		srv := httpServer(t, filepath.Dir(r.Bare))
		_, err := getter(t, Options{}).Get(ctx, parse(t, "git+"+srv.URL+"/repo.git"))
		if !errors.Is(err, ErrEmptyRepository) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("resolve", func(t *testing.T) {
		cnt, hc := newCounter()
		res, err := getter(t, Options{HTTPClient: hc}).Resolve(ctx, anon, "~1.0")
		if err != nil || res.Commit != f.c1 || res.Ref != "refs/tags/v1.0.0" {
			t.Fatalf("got %+v, %v", res, err)
		}
		if n := cnt.take(); len(n) != 1 {
			t.Fatalf("Resolve sent %v", n)
		}
	})
}

// TestConcurrentGet: many fetches of the same commit into one cache, from separate
// Getters (as separate processes would), all succeed and leave one copy.
func TestConcurrentGet(t *testing.T) {
	f := sharedFixture(t)
	srv := httpServer(t, filepath.Dir(f.Bare))
	cache := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, err := New(Options{CacheDir: cache})
			if err != nil {
				errs <- err
				return
			}
			got, err := g.Get(context.Background(), parse(t, "git+"+srv.URL+"/repo.git//charts/web?ref=v1.1.0"))
			if err == nil && got.Version != "1.1.0" {
				err = fmt.Errorf("getter %d: version %s", i, got.Version)
			}
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
	entries, _ := filepath.Glob(filepath.Join(cache, "*", "*"))
	if len(entries) != 1 || filepath.Base(entries[0]) != f.c2 {
		t.Fatalf("cache holds %v", entries)
	}
	hidden, _ := filepath.Glob(filepath.Join(cache, "*", ".tmp-*"))
	if len(hidden) != 0 {
		t.Fatalf("temporary directories left: %v", hidden)
	}
}

func TestGetRejectsOtherKinds(t *testing.T) {
	g := getter(t, Options{})
	if _, err := g.Get(context.Background(), source.Ref{Kind: source.OCI, Raw: "oci://x/y"}); err == nil {
		t.Fatal("want an error")
	}
	if _, err := New(Options{}); err == nil {
		t.Fatal("New without a cache directory succeeded")
	}
}
