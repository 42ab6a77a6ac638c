package repo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

func searchFixture(t *testing.T) *Manager {
	t.Helper()
	ctx := context.Background()
	a := newChartRepo(t, false)
	a.put("/index.yaml", indexYAML(
		indexEntry{name: "nginx", version: "1.0.0", url: "n.tgz", description: "A web server", appVersion: "1.25", keywords: []string{"web", "proxy"}},
		indexEntry{name: "nginx", version: "1.1.0", url: "n.tgz", description: "A web server", appVersion: "1.27", keywords: []string{"web", "proxy"}},
		indexEntry{name: "nginx", version: "2.0.0-rc.1", url: "n.tgz", description: "A web server", appVersion: "1.29"},
		indexEntry{name: "redis", version: "0.0.0", url: "r.tgz", description: "Key-value store, not a web thing"},
		indexEntry{name: "edge", version: "0.1.0-alpha", url: "e.tgz", description: "Only pre-releases"},
	))
	b := newChartRepo(t, false)
	b.put("/index.yaml", indexYAML(
		indexEntry{name: "webapp", version: "3.2.1", url: "w.tgz", description: "Generic app"},
		indexEntry{name: "db", version: "1.0.0", url: "d.tgz", description: "database", keywords: []string{"web"}},
	))
	m := testManager(t)
	for name, srv := range map[string]*chartRepo{"alpha": a, "beta": b} {
		if _, err := m.Add(ctx, Entry{Name: name, URL: srv.URL}, false); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func names(rs []SearchResult) string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s@%s:%d", r.Name, r.Chart.Version, r.Score))
	}
	return strings.Join(out, " ")
}

func TestSearch(t *testing.T) {
	m := searchFixture(t)
	for _, tc := range []struct {
		name string
		opts SearchOptions
		want string
	}{
		{"all, latest stable", SearchOptions{},
			"alpha/nginx@1.1.0:0 alpha/redis@0.0.0:0 beta/db@1.0.0:0 beta/webapp@3.2.1:0"},
		{"keyword: name first, then repo/name, description, keywords", SearchOptions{Keyword: "WEB"},
			"beta/webapp@3.2.1:0 alpha/nginx@1.1.0:2 alpha/redis@0.0.0:2 beta/db@1.0.0:3"},
		{"repo name", SearchOptions{Keyword: "beta/"}, "beta/db@1.0.0:1 beta/webapp@3.2.1:1"},
		{"versions", SearchOptions{Keyword: "nginx", Versions: true}, "alpha/nginx@1.1.0:0 alpha/nginx@1.0.0:0"},
		{"devel", SearchOptions{Keyword: "nginx", Devel: true}, "alpha/nginx@2.0.0-rc.1:0"},
		{"devel versions", SearchOptions{Keyword: "e", Devel: true, Versions: true},
			"alpha/edge@0.1.0-alpha:0 alpha/redis@0.0.0:0 beta/webapp@3.2.1:0 beta/db@1.0.0:1 alpha/nginx@2.0.0-rc.1:2 alpha/nginx@1.1.0:2 alpha/nginx@1.0.0:2"},
		{"constraint", SearchOptions{Keyword: "nginx", Version: "~1.0"}, "alpha/nginx@1.0.0:0"},
		{"constraint with versions", SearchOptions{Keyword: "nginx", Version: ">=1.0.0-0", Versions: true}, "alpha/nginx@2.0.0-rc.1:0 alpha/nginx@1.1.0:0 alpha/nginx@1.0.0:0"},
		{"regexp", SearchOptions{Keyword: "^(db|redis)", Regexp: true}, "alpha/redis@0.0.0:0 beta/db@1.0.0:0"},
		{"no match", SearchOptions{Keyword: "cassandra"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, warnings, err := m.Search(tc.opts)
			if err != nil || len(warnings) != 0 {
				t.Fatalf("%v %v", err, warnings)
			}
			if got := names(rs); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	if _, _, err := m.Search(SearchOptions{Keyword: "("}); err != nil {
		t.Fatalf("a literal '(': %v", err)
	}
	if _, _, err := m.Search(SearchOptions{Keyword: "(", Regexp: true}); err == nil {
		t.Fatal("an invalid regexp was accepted")
	}
	if _, _, err := m.Search(SearchOptions{Version: "not a constraint"}); err == nil {
		t.Fatal("an invalid constraint was accepted")
	}
	if err := os.Remove(m.IndexPath("beta")); err != nil {
		t.Fatal(err)
	}
	rs, warnings, err := m.Search(SearchOptions{Keyword: "db"})
	if err != nil || len(rs) != 0 || len(warnings) != 1 || !strings.Contains(warnings[0], "hoist repo update beta") {
		t.Fatalf("missing index: %v %v %v", rs, warnings, err)
	}
	if _, _, err := testManager(t).Search(SearchOptions{}); !errors.Is(err, ErrNoRepositories) {
		t.Fatalf("no repositories: %v", err)
	}
}
