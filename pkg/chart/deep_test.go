package chart

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/boundtest"
)

// deepChart makes a chart whose tree goes depth directories deep (a/a/…/a/f.txt),
// through an os.Root, as the path is longer than a path may be.
func deepChart(t testing.TB, depth int) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "Chart.yaml", chartYAMLOf("deep"))
	writeFile(t, dir, "templates/cm.yaml", "kind: ConfigMap\n")
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	for range depth {
		if err := root.Mkdir("a", 0o755); err != nil {
			t.Fatal(err)
		}
		sub, err := root.OpenRoot("a")
		if err != nil {
			t.Fatal(err)
		}
		_ = root.Close()
		root = sub
	}
	defer root.Close()
	if err := root.WriteFile("f.txt", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// bounded runs f, failing the test if it takes longer than d or allocates more
// than maxAlloc bytes in all (which bounds the memory it holds at any time).
func bounded(t *testing.T, d time.Duration, maxAlloc uint64, f func()) {
	t.Helper()
	boundtest.Run(t, d, maxAlloc, func(context.Context) { f() })
}

func TestLoadDirDepth(t *testing.T) {
	for _, depth := range []int{2000, 9000} {
		dir := deepChart(t, depth)
		// Refused when the walk reaches the limit, whatever lies below it.
		t.Run("default limit", func(t *testing.T) {
			var err error
			bounded(t, 3*time.Second, 16<<20, func() { _, err = LoadDir(dir) })
			(&wantErr{is: []error{ErrLimitExceeded}, has: []string{"chart directory " + dir, "directories nested more than 128 deep", `"a/a/a/`}}).check(t, err)
		})
		if depth > 2000 {
			continue
		}
		// The walk is linear: with the limit raised, the tree loads in about the
		// time and memory its file names take (the names of a tree n deep take
		// n²).
		t.Run("raised limit", func(t *testing.T) {
			var c *Chart
			var err error
			bounded(t, 3*time.Second, 128<<20, func() { c, err = Loader{Limits: Limits{MaxDirDepth: depth}}.LoadDir(dir) })
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Files) != 1 || strings.Count(c.Files[0].Name, "/") != depth {
				t.Errorf("files = %d, want a/…/a/f.txt", len(c.Files))
			}
			_, err = Loader{Limits: Limits{MaxDirDepth: depth - 1}}.LoadDir(dir)
			(&wantErr{is: []error{ErrLimitExceeded}}).check(t, err)
		})
	}

	// At the limit, a tree loads; the same tree is refused in an archive and in
	// LoadFiles one level deeper.
	dir := deepChart(t, DefaultLimits().MaxDirDepth)
	c, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	name := c.Files[0].Name
	if _, err := LoadFiles([]*File{{Name: chartYAML, Data: []byte(chartYAMLOf("c"))}, {Name: name, Data: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	_, err = LoadFiles([]*File{{Name: chartYAML, Data: []byte(chartYAMLOf("c"))}, {Name: "a/" + name, Data: []byte("x")}})
	(&wantErr{is: []error{ErrLimitExceeded}, has: []string{"nested more than 128 deep"}}).check(t, err)
	archive := tgz(t, entry{Name: "c/Chart.yaml", Data: chartYAMLOf("c")}, entry{Name: "c/a/" + name, Data: "x"})
	_, err = LoadArchive(strings.NewReader(string(archive)))
	(&wantErr{is: []error{ErrLimitExceeded}, has: []string{"nested more than 128 deep"}}).check(t, err)
}

// A device given as a chart, or as a file read with ReadFile, is refused before
// it is read: /dev/zero never ends.
func TestLoadDevice(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip(err)
	}
	var err error
	bounded(t, time.Second, 1<<20, func() { _, err = Load("/dev/zero") })
	(&wantErr{is: []error{ErrUnsupportedFile}, has: []string{"chart archive /dev/zero", "not a regular file but a character device"}}).check(t, err)
	bounded(t, time.Second, 1<<20, func() { _, err = ReadFile("/dev/zero", DefaultMaxFileSize) })
	(&wantErr{is: []error{ErrUnsupportedFile}, has: []string{"character device"}}).check(t, err)
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "f", "12345")
	if data, err := ReadFile(dir+"/f", 5); err != nil || string(data) != "12345" {
		t.Fatalf("ReadFile = %q, %v", data, err)
	}
	_, err := ReadFile(dir+"/f", 4)
	(&wantErr{is: []error{ErrLimitExceeded}, has: []string{"(5 bytes) is larger than the maximum size 4"}}).check(t, err)
	_, err = ReadFile(dir, 4)
	(&wantErr{is: []error{ErrUnsupportedFile}, has: []string{"directory"}}).check(t, err)
	if _, err = ReadFile(dir+"/none", 4); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v", err)
	}
}
