package postrender

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// TestPackageRender renders each package of testdata/packages in the namespace
// team-a and compares with <package>.golden.
func TestPackageRender(t *testing.T) {
	for _, c := range []struct{ dir, name, version string }{
		{"web", "web", "0.0.0"},
		{"shop", "shop", "1.4.2"},
	} {
		t.Run(c.dir, func(t *testing.T) {
			dir := filepath.Join("testdata/packages", c.dir)
			if !IsPackage(os.DirFS(dir)) {
				t.Fatal("not a package")
			}
			p, err := LoadPackage(dir)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != c.name || p.Version != c.version {
				t.Errorf("package %s %s, want %s %s", p.Name, p.Version, c.name, c.version)
			}
			m, h, err := p.Render("team-a")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata/packages", c.dir+".golden"), format(m, h))
		})
	}
}

func TestIsPackage(t *testing.T) {
	k := &fstest.MapFile{Data: []byte("resources: []\n")}
	for _, c := range []struct {
		fsys fstest.MapFS
		want bool
	}{
		{fstest.MapFS{"kustomization.yaml": k}, true},
		{fstest.MapFS{"kustomization.yml": k}, true},
		{fstest.MapFS{"Kustomization": k}, true},
		{fstest.MapFS{"kustomization.yaml": k, "Chart.yaml": k}, false},
		{fstest.MapFS{"sub/kustomization.yaml": k}, false},
		{fstest.MapFS{"kustomization.yaml/x": k}, false},
		{fstest.MapFS{}, false},
	} {
		if got := IsPackage(c.fsys); got != c.want {
			t.Errorf("IsPackage(%v) = %v", slices.Sorted(maps.Keys(c.fsys)), got)
		}
	}
}

func TestPackageErrors(t *testing.T) {
	bad := func(name string, files map[string]string, target error, parts ...string) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for n, c := range files {
				write(t, dir, n, c)
			}
			_, err := LoadPackage(dir)
			wantError(t, err, target, append([]string{dir}, parts...)...)
		})
	}
	bad("chart", map[string]string{"kustomization.yaml": "resources: []\n", "Chart.yaml": "name: x\n"}, ErrInvalidKustomization, "Chart.yaml")
	bad("no kustomization", map[string]string{"app.yaml": "a: 1\n"}, ErrNoKustomization)
	bad("version", map[string]string{"kustomization.yaml": "metadata:\n  annotations:\n    hoist.dev/version: latest\n"}, ErrInvalidKustomization, "kustomization.yaml", "latest")
	bad("name", map[string]string{"kustomization.yaml": "metadata:\n  name: My App\n"}, ErrInvalidKustomization, "kustomization.yaml", "My App")
	bad("remote", map[string]string{"kustomization.yaml": "resources:\n- https://example.com/x.yaml\n"}, ErrRemoteBase, "kustomization.yaml")

	// Errors at render time name the package's file.
	p := &Package{Name: "p", Version: "0.0.0", Files: map[string]string{
		"kustomization.yaml": "resources:\n- a.yaml\npatches:\n- target:\n    kind: Deployment\n  patch: '[]'\n",
		"a.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
	}}
	_, _, err := p.Render("ns")
	wantError(t, err, ErrPatchTarget, "kustomize package: p/kustomization.yaml: patches[0]")
}

// TestArchive: Archive is deterministic and LoadArchive reads back the same
// package.
func TestArchive(t *testing.T) {
	p, err := LoadPackage("testdata/packages/web")
	if err != nil {
		t.Fatal(err)
	}
	p.Files["bin/blob"] = "\x00\xff binary"
	a1, err := p.Archive()
	if err != nil {
		t.Fatal(err)
	}
	a2, err := p.Archive()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a1, a2) {
		t.Error("Archive is not deterministic")
	}
	back, err := LoadArchive(a1)
	if err != nil {
		t.Fatal(err)
	}
	if back.Name != p.Name || back.Version != p.Version || !maps.Equal(back.Files, p.Files) {
		t.Errorf("round trip: %s %s %v", back.Name, back.Version, slices.Sorted(maps.Keys(back.Files)))
	}
	// The entries: sorted, under web/, fixed metadata.
	tr := tar.NewReader(gunzip(t, a1))
	var names []string
	for {
		hd, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, hd.Name)
		if hd.Mode != 0o644 || hd.ModTime.Unix() != 0 || hd.Uid != 0 || hd.Uname != "" {
			t.Errorf("entry %s: mode %o, time %v, uid %d, uname %q", hd.Name, hd.Mode, hd.ModTime, hd.Uid, hd.Uname)
		}
	}
	golden(t, "testdata/packages/web-archive.golden", strings.Join(names, "\n")+"\n")

	config, err := p.Config()
	if err != nil {
		t.Fatal(err)
	}
	var pc PackageConfig
	if err := json.Unmarshal(config, &pc); err != nil || pc.Name != "web" || pc.Version != "0.0.0" {
		t.Errorf("config %s: %+v, %v", config, pc, err)
	}
}

func gunzip(t testing.TB, data []byte) *bytes.Reader {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(out.Bytes())
}

// entry is one tar entry for test archives.
type entry struct {
	Name, Data, Link string
	Type             byte
	Size             int64 // when not len(Data)
}

func tgz(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		typ := e.Type
		if typ == 0 {
			typ = tar.TypeReg
		}
		size := int64(len(e.Data))
		if typ != tar.TypeReg {
			size = 0
		}
		if e.Size != 0 {
			size = e.Size
		}
		if err := tw.WriteHeader(&tar.Header{Name: e.Name, Typeflag: typ, Linkname: e.Link, Size: size, Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.Data)); err != nil && e.Size == 0 {
			t.Fatal(err)
		}
	}
	tw.Flush()
	zw.Close()
	return buf.Bytes()
}

const kust = "resources: []\n"

func TestLoadArchiveErrors(t *testing.T) {
	good := entry{Name: "p/kustomization.yaml", Data: kust}
	full := tgz(t, good, entry{Name: "p/a.yaml", Data: strings.Repeat("a: 1\n", 100)})
	for _, c := range []struct {
		name   string
		data   []byte
		target error
		parts  []string
	}{
		{"not gzip", []byte("plain"), ErrInvalidArchive, nil},
		{"truncated", full[:len(full)/2], ErrInvalidArchive, nil},
		{"empty", tgz(t), ErrInvalidArchive, []string{"no files"}},
		{"symlink", tgz(t, good, entry{Name: "p/link", Type: tar.TypeSymlink, Link: "/etc/passwd"}), ErrUnsupportedFile, []string{`"p/link"`, "/etc/passwd"}},
		{"hard link", tgz(t, good, entry{Name: "p/link", Type: tar.TypeLink, Link: "p/kustomization.yaml"}), ErrUnsupportedFile, []string{"hard link"}},
		{"device", tgz(t, good, entry{Name: "p/dev", Type: tar.TypeChar}), ErrUnsupportedFile, []string{"character device"}},
		{"traversal", tgz(t, good, entry{Name: "p/../../etc/x", Data: "x"}), ErrUnsafePath, []string{"p/../../etc/x"}},
		{"absolute", tgz(t, good, entry{Name: "/p/x", Data: "x"}), ErrUnsafePath, []string{"/p/x"}},
		{"backslash", tgz(t, good, entry{Name: `p\..\x`, Data: "x"}), ErrUnsafePath, nil},
		{"two tops", tgz(t, good, entry{Name: "q/x", Data: "x"}), ErrUnsafePath, []string{`"q/x"`, "top-level"}},
		{"top-level file", tgz(t, entry{Name: "kustomization.yaml", Data: kust}), ErrUnsafePath, []string{"top-level"}},
		{"duplicate", tgz(t, good, good), ErrInvalidArchive, []string{"duplicate"}},
		{"too large", tgz(t, good, entry{Name: "p/big", Data: strings.Repeat("x", MaxFileSize+1)}), ErrLimitExceeded, []string{"p/big"}},
		{"lying size", tgz(t, good, entry{Name: "p/big", Data: "x", Size: MaxFileSize + 1}), ErrLimitExceeded, nil},
		{"no kustomization", tgz(t, entry{Name: "p/a.yaml", Data: "a: 1\n"}), ErrNoKustomization, nil},
		{"chart", tgz(t, good, entry{Name: "p/Chart.yaml", Data: "name: p\n"}), ErrInvalidKustomization, []string{"Chart.yaml"}},
		{"remote", tgz(t, entry{Name: "p/kustomization.yaml", Data: "resources:\n- github.com/o/r\n"}), ErrRemoteBase, []string{"p/kustomization.yaml"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := LoadArchive(c.data)
			if p != nil {
				t.Error("a package returned with an error")
			}
			wantError(t, err, c.target, c.parts...)
		})
	}
	// Many entries.
	var many []entry
	for i := range MaxArchiveEntries + 1 {
		many = append(many, entry{Name: "p/" + strings.Repeat("d", 1+i%50) + "/", Type: tar.TypeDir})
	}
	_, err := LoadArchive(tgz(t, append([]entry{good}, many...)...))
	wantError(t, err, ErrLimitExceeded, "entries")
}
