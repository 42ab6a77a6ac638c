package repo

import (
	"errors"
	"os"
	"testing"

	"github.com/Masterminds/semver/v3"
	"sigs.k8s.io/yaml"
)

// FuzzLoadIndex: LoadIndex never panics, and what it accepts is usable: every kept
// entry has a SemVer version and its chart's name, versions are sorted highest first,
// Get works, decoding chart by chart gives what decoding the whole document gives,
// and the index survives a write and a re-read unchanged in shape.
func FuzzLoadIndex(f *testing.F) {
	if b, err := os.ReadFile("testdata/index.yaml"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		string(indexYAML(indexEntry{name: "web", version: "1.0.0", url: "web.tgz", digest: "abc"}, indexEntry{name: "web", version: "v2.0.0-rc.1", url: "https://h/w.tgz"})),
		`{"apiVersion":"v1","entries":{"a":[{"name":"a","version":"1.2.3","urls":["a.tgz"],"created":"2020-01-01T00:00:00Z"}]}}`,
		"apiVersion: v1\nentries:\n  a:\n  - null\n  - name: a\n    version: 1\n",
		"apiVersion: v1\nentries:\n  a: &x\n  - name: a\n    version: 1.0.0\n  b: *x\n",
		"apiVersion: v1\nentries: {}\n",
		"apiVersion: v1\n",
		"entries: {}\n",
		"",
		"- a\n- b\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsWhole(t, data)
		idx, err := LoadIndex(data)
		if err != nil {
			if idx != nil {
				t.Fatal("an index returned with an error")
			}
			return
		}
		check := func(idx *IndexFile) {
			for name, vs := range idx.Entries {
				if len(vs) == 0 {
					t.Fatalf("chart %q kept with no versions", name)
				}
				var prev *semver.Version
				for _, v := range vs {
					sv, err := semver.NewVersion(v.Version)
					if err != nil {
						t.Fatalf("chart %q: kept version %q: %v", name, v.Version, err)
					}
					if v.Name != name {
						t.Fatalf("chart %q: kept an entry for %q", name, v.Name)
					}
					if prev != nil && sv.GreaterThan(prev) {
						t.Fatalf("chart %q: %s after %s", name, sv, prev)
					}
					prev = sv
				}
				if _, err := idx.Get(name, ""); err != nil && !isVersionErr(err) {
					t.Fatalf("Get(%q): %v", name, err)
				}
				if _, err := idx.Get(name, vs[0].Version); err != nil {
					t.Fatalf("Get(%q, %q): %v", name, vs[0].Version, err)
				}
			}
		}
		check(idx)
		out, err := yaml.Marshal(idx)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := LoadIndex(out)
		if err != nil {
			t.Fatalf("re-reading a written index: %v\n%s", err, out)
		}
		check(again)
		if len(again.Entries) != len(idx.Entries) || len(again.Skipped) != 0 {
			t.Fatalf("round trip: %d charts (%d skipped), want %d", len(again.Entries), len(again.Skipped), len(idx.Entries))
		}
		for name, vs := range idx.Entries {
			if len(again.Entries[name]) != len(vs) {
				t.Fatalf("round trip: chart %q has %d versions, want %d", name, len(again.Entries[name]), len(vs))
			}
		}
	})
}

func isVersionErr(err error) bool { return errors.Is(err, ErrVersionNotFound) }
