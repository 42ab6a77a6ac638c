package repo

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestLoadIndex(t *testing.T) {
	b, err := os.ReadFile("testdata/index.yaml")
	if err != nil {
		t.Fatal(err)
	}
	idx, err := LoadIndex(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Entries) != 3 {
		t.Fatalf("entries %v", keys(idx))
	}
	var got []string
	for _, v := range idx.Entries["nginx"] {
		got = append(got, v.Version)
	}
	if strings.Join(got, " ") != "0.3.0-rc.1 0.2.0 0.1.0" {
		t.Fatalf("nginx versions %v, want highest first", got)
	}
	a := idx.Entries["alpine"][0]
	if a.AppVersion != "3.20" || a.Annotations["category"] != "OS" || len(a.URLs) != 2 || len(a.Dependencies) != 2 {
		t.Fatalf("alpine %+v", a)
	}
	if idx.Entries["nginx"][2].Created.IsZero() || idx.Entries["nginx"][1].Digest != "sha256:1234567890abcdef" {
		t.Fatalf("nginx 0.1.0 %+v", idx.Entries["nginx"][2])
	}
	if _, ok := idx.Entries["broken"]; ok {
		t.Fatal("the broken chart was kept")
	}
	if len(idx.Skipped) != 3 || !strings.Contains(strings.Join(idx.Skipped, "\n"), `the entry is for chart "wrong-name"`) {
		t.Fatalf("skipped %q", idx.Skipped)
	}

	t.Run("json", func(t *testing.T) {
		idx, err := LoadIndex([]byte(`{"apiVersion":"v1","entries":{"web":[{"name":"web","version":"1.0.0","urls":["web-1.0.0.tgz"]}]}}`))
		if err != nil || idx.Entries["web"][0].URLs[0] != "web-1.0.0.tgz" {
			t.Fatalf("%+v %v", idx, err)
		}
	})
	t.Run("keys given twice: the last wins, as in Helm", func(t *testing.T) {
		idx, err := LoadIndex([]byte("apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n  a:\n  - name: a\n    version: 2.0.0\n    version: 2.0.1\n"))
		if err != nil || len(idx.Entries["a"]) != 1 || idx.Entries["a"][0].Version != "2.0.1" {
			t.Fatalf("%+v %v", idx, err)
		}
	})
	for name, data := range map[string]string{
		"empty":          "  \n",
		"no apiVersion":  "entries: {}\n",
		"not yaml":       "apiVersion: v1\nentries: [",
		"an HTML page":   "<html><body>Not found</body></html>",
		"wrong type":     "apiVersion: v1\nentries: 3\n",
		"bad created":    "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    created: yesterday\n",
		"entries a list": "apiVersion: v1\nentries:\n- a\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := LoadIndex([]byte(data)); !errors.Is(err, ErrInvalidIndex) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func keys(i *IndexFile) []string {
	var out []string
	for k := range i.Entries {
		out = append(out, k)
	}
	return out
}

func TestIndexGet(t *testing.T) {
	idx, err := LoadIndex(indexYAML(
		indexEntry{name: "web", version: "1.0.0"},
		indexEntry{name: "web", version: "1.2.3"},
		indexEntry{name: "web", version: "v1.3.0"},
		indexEntry{name: "web", version: "2.0.0-beta.1"},
		indexEntry{name: "web", version: "1.10.0"},
		indexEntry{name: "pre", version: "0.1.0-alpha"},
	))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, version, want string }{
		{"web", "", "1.10.0"},
		{"web", "1.2.3", "1.2.3"},
		{"web", "v1.3.0", "v1.3.0"},
		{"web", "1.3.0", "v1.3.0"},
		{"web", "^1.0", "1.10.0"},
		{"web", "~1.2", "1.2.3"},
		{"web", "1.2.x", "1.2.3"},
		{"web", ">=1.0.0 <1.3.0", "1.2.3"},
		{"web", "<1.2", "1.0.0"},
		{"web", "*", "1.10.0"},
		{"web", ">=2.0.0-0", "2.0.0-beta.1"},
		{"web", "2.0.0-beta.1", "2.0.0-beta.1"},
		{"web", "1.0", "1.0.0"},
		{"pre", ">0.0.0-0", "0.1.0-alpha"},
	} {
		got, err := idx.Get(tc.name, tc.version)
		if err != nil {
			t.Errorf("%s %q: %v", tc.name, tc.version, err)
			continue
		}
		if got.Version != tc.want {
			t.Errorf("%s %q: got %s, want %s", tc.name, tc.version, got.Version, tc.want)
		}
	}
	for _, tc := range []struct {
		name, version string
		err           error
		msg           string
	}{
		{"nope", "", ErrChartNotFound, ""},
		{"web", "^3", ErrVersionNotFound, `constraint "^3" of chart web; the repository has versions 2.0.0-beta.1, 1.10.0, v1.3.0, 1.2.3, 1.0.0`},
		{"web", "1.4.0", ErrVersionNotFound, `version "1.4.0"`},
		{"pre", "", ErrVersionNotFound, "only pre-release versions (versions 0.1.0-alpha)"},
		{"web", "not a constraint", nil, "neither a version nor a SemVer constraint"},
	} {
		_, err := idx.Get(tc.name, tc.version)
		if err == nil || tc.err != nil && !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s %q: got %v", tc.name, tc.version, err)
		}
	}
}

func TestResolveURL(t *testing.T) {
	for _, tc := range []struct{ base, ref, want string }{
		{"https://h/charts", "web-1.0.0.tgz", "https://h/charts/web-1.0.0.tgz"},
		{"https://h/charts/", "web-1.0.0.tgz", "https://h/charts/web-1.0.0.tgz"},
		{"https://h", "web-1.0.0.tgz", "https://h/web-1.0.0.tgz"},
		{"https://h/charts", "sub/web-1.0.0.tgz", "https://h/charts/sub/web-1.0.0.tgz"},
		{"https://h/charts", "../other/web.tgz", "https://h/other/web.tgz"},
		{"https://h/charts", "/root/web.tgz", "https://h/root/web.tgz"},
		{"https://h/charts?sig=abc", "web.tgz", "https://h/charts/web.tgz?sig=abc"},
		{"https://h/charts?sig=abc", "web.tgz?v=1", "https://h/charts/web.tgz?v=1"},
		{"https://h/charts", "https://cdn.example.com/web.tgz", "https://cdn.example.com/web.tgz"},
		{"https://h/a%2Fb", "web.tgz", "https://h/a%2Fb/web.tgz"},
	} {
		got, err := ResolveURL(tc.base, tc.ref)
		if err != nil || got != tc.want {
			t.Errorf("ResolveURL(%q, %q) = %q, %v; want %q", tc.base, tc.ref, got, err, tc.want)
		}
	}
}

// BenchmarkLoadIndex parses an index of 200 charts with 50 versions each (10,000
// entries, about the size of a large public repository's index).
func BenchmarkLoadIndex(b *testing.B) {
	var entries []indexEntry
	for c := range 200 {
		for v := range 50 {
			entries = append(entries, indexEntry{
				name: fmt.Sprintf("chart-%03d", c), version: fmt.Sprintf("%d.%d.0", v/10, v%10),
				url: fmt.Sprintf("chart-%03d-%d.tgz", c, v), digest: strings.Repeat("ab", 32),
				description: "A chart with a description of ordinary length for benchmarking", appVersion: "1.2.3",
				keywords: []string{"one", "two"},
			})
		}
	}
	data := indexYAML(entries...)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		idx, err := LoadIndex(data)
		if err != nil || len(idx.Entries) != 200 {
			b.Fatal(err)
		}
	}
}
