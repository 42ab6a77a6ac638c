package kpkg

import (
	"archive/tar"
	"bytes"
	"maps"
	"testing"
)

func FuzzLoadArchive(f *testing.F) {
	good := entry{Name: "p/kustomization.yaml", Data: "resources:\n- a.yaml\n"}
	full := tgz(f, entry{Name: "p/", Type: tar.TypeDir}, good,
		entry{Name: "p/a.yaml", Data: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"})
	for _, seed := range [][]byte{
		full,
		full[:len(full)/2],
		tgz(f, good, entry{Name: "p/link", Type: tar.TypeSymlink, Link: "../../etc/passwd"}),
		tgz(f, good, entry{Name: "p/../../x", Data: "x"}),
		tgz(f, good, entry{Name: "q/x", Data: "x"}),
		tgz(f, good, good),
		tgz(f, entry{Name: "p/kustomization.yaml", Data: "metadata:\n  name: n\n  annotations:\n    hoist.dev/version: 1.0.0\n"}),
		[]byte("not an archive"),
		{},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := LoadArchive(data)
		if err != nil {
			if p != nil {
				t.Fatal("a package returned with an error")
			}
			return
		}
		// What loads archives again to the same package.
		again, err := p.Archive()
		if err != nil {
			t.Fatalf("Archive of a loaded package: %v", err)
		}
		back, err := LoadArchive(again)
		if err != nil {
			t.Fatalf("LoadArchive of Archive: %v", err)
		}
		if back.Name != p.Name || back.Version != p.Version || !maps.Equal(back.Files, p.Files) {
			t.Fatal("round trip changed the package")
		}
		again2, _ := back.Archive()
		if !bytes.Equal(again, again2) {
			t.Fatal("Archive is not deterministic")
		}
	})
}
