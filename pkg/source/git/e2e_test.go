package git

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/testenv"
)

// TestE2EGitSource fetches a chart from the test environment's real Git server (git
// http-backend over smart HTTP), anonymously and under /auth/ with basic auth.
func TestE2EGitSource(t *testing.T) {
	env := testenv.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	repo, err := env.CreateGitRepo(fmt.Sprintf("e2e/git-source-%d", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	commit := func(version string) string {
		files := map[string][]byte{}
		for p, c := range chartFiles("charts/web", version) {
			files[p] = []byte(c)
		}
		c, err := repo.Commit(files, "web "+version)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c1 := commit("1.0.0")
	if err := repo.Tag("v1.0.0"); err != nil {
		t.Fatal(err)
	}
	c2 := commit("1.1.0")
	if err := repo.Tag("v1.1.0"); err != nil {
		t.Fatal(err)
	}
	if err := repo.Branch("release-1.1"); err != nil {
		t.Fatal(err)
	}
	mid := commit("1.1.1")
	c3 := commit("1.2.0-dev")

	get := func(t *testing.T, g *Getter, repoURL, ref, version string) *source.Fetched {
		t.Helper()
		raw := "git+" + repoURL + "//charts/web"
		if ref != "" {
			raw += "?ref=" + ref
		}
		r, err := source.Parse(raw, version, nil)
		if err != nil {
			t.Fatal(err)
		}
		f, err := g.Get(ctx, r)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		return f
	}
	check := func(t *testing.T, f *source.Fetched, version, commit string) {
		t.Helper()
		if f.Version != version || f.Digest != "git:"+commit {
			t.Fatalf("got %s %s, want %s git:%s", f.Version, f.Digest, version, commit)
		}
		if want := "git+" + repo.URL + "//charts/web?ref=" + commit; f.Source != want && !strings.Contains(f.Source, "/auth/") {
			t.Fatalf("source %s, want %s", f.Source, want)
		}
	}
	g := getter(t, Options{})

	t.Run("by tag", func(t *testing.T) {
		check(t, get(t, g, repo.URL, "v1.0.0", ""), "1.0.0", c1)
		check(t, get(t, g, repo.URL, "v1.1.0", ""), "1.1.0", c2)
	})
	t.Run("by semver range", func(t *testing.T) {
		check(t, get(t, g, repo.URL, "^1.0.0", ""), "1.1.0", c2)
		check(t, get(t, g, repo.URL, "", "~1.0"), "1.0.0", c1) // --version
	})
	t.Run("by branch", func(t *testing.T) {
		check(t, get(t, g, repo.URL, "release-1.1", ""), "1.1.0", c2)
		check(t, get(t, g, repo.URL, "main", ""), "1.2.0-dev", c3)
		check(t, get(t, g, repo.URL, "", ""), "1.2.0-dev", c3)
	})
	t.Run("by commit", func(t *testing.T) {
		check(t, get(t, g, repo.URL, c1, ""), "1.0.0", c1)
		check(t, get(t, g, repo.URL, mid, ""), "1.1.1", mid)
		check(t, get(t, getter(t, Options{}), repo.URL, mid[:8], ""), "1.1.1", mid)
	})
	t.Run("missing ref and path", func(t *testing.T) {
		r, _ := source.Parse("git+"+repo.URL+"//charts/web?ref=v3.0.0", "", nil)
		_, err := g.Get(ctx, r)
		if !errors.Is(err, ErrRefNotFound) || !strings.Contains(err.Error(), "tags v1.1.0, v1.0.0") {
			t.Fatalf("got %v", err)
		}
		r, _ = source.Parse("git+"+repo.URL+"//charts/api?ref=v1.0.0", "", nil)
		_, err = g.Get(ctx, r)
		if !errors.Is(err, ErrPathNotFound) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("authenticated URL", func(t *testing.T) {
		r, _ := source.Parse("git+"+repo.AuthURL+"//charts/web?ref=v1.1.0", "", nil)
		if _, err := getter(t, Options{}).Get(ctx, r); !errors.Is(err, ErrAuthRequired) {
			t.Fatalf("without credentials: %v", err)
		}
		if _, err := getter(t, Options{Username: env.GitUser, Password: "wrong"}).Get(ctx, r); !errors.Is(err, ErrAuthFailed) {
			t.Fatalf("wrong password: %v", err)
		}
		check(t, get(t, getter(t, Options{Username: env.GitUser, Password: env.GitPass}), repo.AuthURL, "v1.1.0", ""), "1.1.0", c2)
		netrc := filepath.Join(t.TempDir(), "netrc")
		host := strings.Split(strings.TrimPrefix(env.GitURL, "http://"), ":")[0]
		if err := os.WriteFile(netrc, []byte("machine "+host+" login "+env.GitUser+" password "+env.GitPass+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		f := get(t, getter(t, Options{NetrcFile: netrc}), repo.AuthURL, "^1", "")
		check(t, f, "1.1.0", c2)
		if strings.Contains(f.Source, env.GitPass) {
			t.Fatalf("password in the pinned source %s", f.Source)
		}
	})
	t.Run("cache hit makes no network request", func(t *testing.T) {
		cnt, hc := newCounter()
		g := getter(t, Options{HTTPClient: hc})
		start := time.Now()
		get(t, g, repo.URL, c2, "")
		cold := time.Since(start)
		if n := cnt.take(); len(n) != 2 {
			t.Fatalf("first Get sent %v, want ls-remote and one upload-pack", n)
		}
		start = time.Now()
		check(t, get(t, g, repo.URL, c2, ""), "1.1.0", c2)
		warm := time.Since(start)
		if n := cnt.take(); len(n) != 0 {
			t.Fatalf("Get of a cached commit sent %v", n)
		}
		start = time.Now()
		check(t, get(t, g, repo.URL, "v1.1.0", ""), "1.1.0", c2)
		tag := time.Since(start)
		if n := cnt.take(); len(n) != 1 || !strings.HasSuffix(n[0], "/info/refs") {
			t.Fatalf("Get of a tag at a cached commit sent %v, want only the ls-remote", n)
		}
		t.Logf("cold Get %v; cached commit %v; tag at a cached commit (ls-remote only) %v", cold, warm, tag)
	})
}
