package kpkg

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

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

// TestArchiveRoundTrip: Archive is deterministic and LoadArchive reads back the
// same package, named and versioned by its kustomization.
func TestArchiveRoundTrip(t *testing.T) {
	p := &Package{Name: "dir", Version: DefaultVersion, Files: map[string]string{
		"kustomization.yaml": "metadata:\n  name: web\n  annotations:\n    hoist.dev/version: 1.2.3\nresources:\n- a.yaml\n",
		"a.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
		"bin/blob":           "\x00\xff binary",
	}}
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
	if back.Name != "web" || back.Version != "1.2.3" || !maps.Equal(back.Files, p.Files) {
		t.Errorf("round trip: %s %s %v", back.Name, back.Version, slices.Sorted(maps.Keys(back.Files)))
	}
	if !IsPackageArchive(a1) {
		t.Error("IsPackageArchive = false for a package archive")
	}
	// The entries: sorted, under the package's name, fixed metadata.
	zr, err := gzip.NewReader(bytes.NewReader(a1))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
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
	if want := []string{"dir/a.yaml", "dir/bin/blob", "dir/kustomization.yaml"}; !slices.Equal(names, want) {
		t.Errorf("entries %q, want %q", names, want)
	}

	config, err := back.Config()
	if err != nil {
		t.Fatal(err)
	}
	var pc PackageConfig
	if err := json.Unmarshal(config, &pc); err != nil || pc.Name != "web" || pc.Version != "1.2.3" {
		t.Errorf("config %s: %+v, %v", config, pc, err)
	}
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
		{"version", tgz(t, entry{Name: "p/kustomization.yaml", Data: "metadata:\n  annotations:\n    hoist.dev/version: one\n"}), ErrInvalidKustomization, []string{"p/kustomization.yaml", `"one"`}},
		{"name", tgz(t, entry{Name: "p/kustomization.yaml", Data: "metadata:\n  name: My App\n"}), ErrInvalidKustomization, []string{"p/kustomization.yaml", "My App"}},
		{"two kustomizations", tgz(t, good, entry{Name: "p/Kustomization", Data: kust}), ErrInvalidKustomization, []string{"more than one"}},
		{"not YAML", tgz(t, entry{Name: "p/kustomization.yaml", Data: "metadata: [\n"}), ErrInvalidKustomization, []string{"p/kustomization.yaml"}},
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

func TestIsPackageArchive(t *testing.T) {
	for _, c := range []struct {
		data []byte
		want bool
	}{
		{tgz(t, entry{Name: "p/kustomization.yaml", Data: kust}), true},
		{tgz(t, entry{Name: "p/kustomization.yaml", Data: kust}, entry{Name: "p/Chart.yaml", Data: "name: p\n"}), false},
		{tgz(t, entry{Name: "p/Chart.yaml", Data: "name: p\n"}), false},
		{[]byte("nope"), false},
	} {
		if got := IsPackageArchive(c.data); got != c.want {
			t.Errorf("IsPackageArchive = %v, want %v", got, c.want)
		}
	}
}

// wantError fails unless err wraps target (when not nil) and mentions every part.
func wantError(t testing.TB, err, target error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", parts)
	}
	if target != nil && !errors.Is(err, target) {
		t.Errorf("error %q does not wrap %v", err, target)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}
