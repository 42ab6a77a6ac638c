package chart

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entry is a tar entry for tgz; Type defaults to a regular file holding Data.
type entry struct {
	Name     string
	Data     string
	Type     byte
	Linkname string
	Mode     int64
}

// tgz builds a gzipped tar archive from entries, in order.
func tgz(t testing.TB, entries ...entry) []byte {
	t.Helper()
	return gz(t, tarball(t, entries...))
}

func tarball(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hd := &tar.Header{Name: e.Name, Typeflag: e.Type, Linkname: e.Linkname, Mode: e.Mode}
		if hd.Typeflag == tar.TypeXGlobalHeader {
			hd = &tar.Header{Name: e.Name, Typeflag: e.Type, PAXRecords: map[string]string{"comment": e.Data}}
		}
		if hd.Typeflag == 0 {
			hd.Typeflag = tar.TypeReg
		}
		if hd.Mode == 0 && hd.Typeflag != tar.TypeXGlobalHeader {
			hd.Mode = 0o644
		}
		if hd.Typeflag == tar.TypeReg {
			hd.Size = int64(len(e.Data))
		}
		if err := tw.WriteHeader(hd); err != nil {
			t.Fatalf("tar header %q: %v", e.Name, err)
		}
		if hd.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.Data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// chartYAMLOf is a minimal valid Chart.yaml for a chart named name.
func chartYAMLOf(name string) string {
	return fmt.Sprintf("apiVersion: v2\nname: %s\nversion: 0.1.0\n", name)
}

// packDir archives the files of dir named in names (slash-separated, relative to
// dir), in that order, under the top-level directory top.
func packDir(t testing.TB, dir, top string, names ...string) []byte {
	t.Helper()
	var entries []entry
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, entry{Name: top + "/" + n, Data: string(data)})
	}
	return tgz(t, entries...)
}

// allFiles lists the regular files under dir, slash-separated, in walk order.
func allFiles(t testing.TB, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		names = append(names, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// copyDir copies the fixture chart testdata/charts/<name> into a new temporary
// directory and returns the copy's path.
func copyDir(t testing.TB, name string) string {
	t.Helper()
	src := filepath.Join("testdata", "charts", name)
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// writeFile writes data to dir/name, creating directories.
func writeFile(t testing.TB, dir, name, data string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// dump renders a chart and its subcharts as text, for comparing loads.
func dump(c *Chart) string {
	var b strings.Builder
	dumpTo(&b, c, "")
	return b.String()
}

func dumpTo(b *strings.Builder, c *Chart, indent string) {
	md, _ := json.Marshal(c.Metadata)
	lock, _ := json.Marshal(c.Lock)
	values, _ := json.Marshal(c.Values)
	fmt.Fprintf(b, "%schart %s\n%s  metadata %s\n%s  lock %s\n%s  values %s\n%s  raw values %q\n%s  schema %q\n",
		indent, c.ChartFullPath(), indent, md, indent, lock, indent, values, indent, c.RawValues, indent, c.Schema)
	for _, f := range c.Templates {
		fmt.Fprintf(b, "%s  template %s %q\n", indent, f.Name, f.Data)
	}
	for _, f := range c.Files {
		fmt.Fprintf(b, "%s  file %s %q\n", indent, f.Name, f.Data)
	}
	for _, d := range c.Dependencies() {
		dumpTo(b, d, indent+"  ")
	}
}

func names(files []*File) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Name
	}
	return out
}

func depNames(c *Chart) []string {
	var out []string
	for _, d := range c.Dependencies() {
		out = append(out, d.Name())
	}
	return out
}

// checkErr fails unless err matches: nil want means no error; otherwise err must
// wrap every error in want.is and contain every string in want.has.
type wantErr struct {
	is  []error
	has []string
}

func (w *wantErr) check(t testing.TB, err error) {
	t.Helper()
	if w == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want one wrapping %v containing %q", w.is, w.has)
	}
	for _, target := range w.is {
		if !errors.Is(err, target) {
			t.Errorf("error %q does not wrap %q", err, target)
		}
	}
	for _, s := range w.has {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, nil))
}
