package chart

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"strings"
	"testing"
)

// fuzzSeeds are valid and broken chart archives.
func fuzzSeeds(t testing.TB) [][]byte {
	sub := tgz(t,
		entry{Name: "sub/Chart.yaml", Data: "apiVersion: v2\nname: sub\nversion: 0.1.0\n"},
		entry{Name: "sub/values.yaml", Data: "a: 1\n"},
	)
	full := tgz(t,
		entry{Name: "c/", Type: tar.TypeDir},
		entry{Name: "c/Chart.yaml", Data: "apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies:\n- name: sub\n  repository: file://charts/sub\n  alias: s\n"},
		entry{Name: "c/Chart.lock", Data: "digest: d\ngenerated: \"2024-01-01T00:00:00Z\"\n"},
		entry{Name: "c/values.yaml", Data: "x: 1\n---\ny: {z: [1, 2]}\n"},
		entry{Name: "c/values.schema.json", Data: "{}"},
		entry{Name: "c/.helmignore", Data: "*.md\n!x\n"},
		entry{Name: "c/templates/a.yaml", Data: "kind: A\n"},
		entry{Name: "c/crds/crd.yaml", Data: "kind: CustomResourceDefinition\n"},
		entry{Name: "c/charts/sub.tgz", Data: string(sub)},
		entry{Name: "c/charts/sub.tgz.prov", Data: "p"},
		entry{Name: "c/charts/dir/Chart.yaml", Data: "name: dir\nversion: 1\n"},
		entry{Name: "c/charts/dir/requirements.yaml", Data: "dependencies:\n- name: e\n"},
	)
	return [][]byte{
		tgz(t, entry{Name: "c/Chart.yaml", Data: chartYAMLOf("c")}),
		full,
		tgz(t, entry{Name: `c\Chart.yaml`, Data: "\ufeffname: c\nversion: 1.0.0\n"}, entry{Name: "c/templates/x", Data: "x"}),
		tgz(t, entry{Name: "c/Chart.yaml", Data: chartYAMLOf("c")}, entry{Name: "c/link", Type: tar.TypeSymlink, Linkname: "/etc/passwd"}),
		tgz(t, entry{Name: "c/Chart.yaml", Data: chartYAMLOf("c")}, entry{Name: "../../etc/x", Data: "x"}),
		tgz(t, entry{Name: "c/Chart.yaml", Data: chartYAMLOf("c")}, entry{Name: "c/charts/README.md", Data: "x"}),
		tgz(t, entry{Name: "c/Chart.yaml", Data: "apiVersion: v2\nname: c\nversion: nope\n"}),
		tgz(t, entry{Name: "c/values.yaml", Data: "a: 1\n"}),
		full[:len(full)/2],
		tarball(t, entry{Name: "c/Chart.yaml", Data: chartYAMLOf("c")}),
		[]byte("not an archive"),
		{},
	}
}

func FuzzLoadArchive(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := LoadArchive(bytes.NewReader(data))
		if err != nil {
			if c != nil {
				t.Fatal("a chart returned with an error")
			}
			return
		}
		checkInvariants(t, c, 0)
	})
}

// FuzzLoadTar fuzzes the tar stream itself (gzipped by the harness), which
// reaches the loader's logic more often than mutations of compressed bytes.
func FuzzLoadTar(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		if raw, err := gunzip(s); err == nil {
			f.Add(raw)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := LoadArchive(bytes.NewReader(gz(t, data)))
		if err != nil {
			return
		}
		checkInvariants(t, c, 0)
	})
}

// checkInvariants checks what every loaded chart satisfies.
func checkInvariants(t *testing.T, c *Chart, depth int) {
	t.Helper()
	if c.Metadata == nil || c.Values == nil {
		t.Fatalf("chart without metadata or values: %s", dump(c))
	}
	if err := c.Metadata.Validate(); err != nil {
		t.Fatalf("loaded metadata does not validate: %v", err)
	}
	if depth == 0 && c.Metadata.APIVersion != APIVersionV1 && c.Metadata.APIVersion != APIVersionV2 {
		t.Fatalf("apiVersion %q loaded", c.Metadata.APIVersion)
	}
	seen := map[string]bool{}
	for _, f := range append(append([]*File{}, c.Templates...), c.Files...) {
		if !fs.ValidPath(f.Name) || f.Name == "." {
			t.Fatalf("invalid name %q", f.Name)
		}
		if seen[f.Name] {
			t.Fatalf("duplicate name %q", f.Name)
		}
		seen[f.Name] = true
		switch f.Name {
		case chartYAML, chartLock, valuesYAML, valuesSchema:
			t.Fatalf("%s loaded as a file", f.Name)
		}
		if strings.HasPrefix(f.Name, "charts/") && !strings.HasSuffix(f.Name, ".prov") {
			t.Fatalf("%s loaded as a file", f.Name)
		}
	}
	for _, tpl := range c.Templates {
		if !strings.HasPrefix(tpl.Name, "templates/") {
			t.Fatalf("template %q outside templates/", tpl.Name)
		}
	}
	for _, d := range c.Dependencies() {
		if d.Parent() != c {
			t.Fatal("subchart without its parent")
		}
		checkInvariants(t, d, depth+1)
	}
}

func gunzip(data []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
