//go:build unix

package chart

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestLoadDirSymlinks(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir, outside string)
		err   *wantErr
		check func(t *testing.T, c *Chart)
	}{
		{
			name: "link to a file inside is followed and keeps the link's name",
			setup: func(t *testing.T, dir, _ string) {
				writeFile(t, dir, "shared/cm.yaml", "kind: ConfigMap\n")
				symlink(t, "../shared/cm.yaml", filepath.Join(dir, "templates", "cm.yaml"))
			},
			check: func(t *testing.T, c *Chart) {
				if len(c.Templates) != 1 || c.Templates[0].Name != "templates/cm.yaml" || string(c.Templates[0].Data) != "kind: ConfigMap\n" {
					t.Errorf("templates = %s", dump(c))
				}
			},
		},
		{
			name: "link to a directory inside is walked",
			setup: func(t *testing.T, dir, _ string) {
				writeFile(t, dir, "real/a.yaml", "a")
				writeFile(t, dir, "real/b/c.yaml", "c")
				symlink(t, filepath.Join(dir, "real"), filepath.Join(dir, "templates")) // absolute target inside
			},
			check: func(t *testing.T, c *Chart) {
				if got := names(c.Templates); !slices.Equal(got, []string{"templates/a.yaml", "templates/b/c.yaml"}) {
					t.Errorf("templates = %q", got)
				}
			},
		},
		{
			name: "link to a file outside",
			setup: func(t *testing.T, dir, outside string) {
				writeFile(t, outside, "secret", "s3cr3t")
				symlink(t, filepath.Join(outside, "secret"), filepath.Join(dir, "files", "secret"))
			},
			err: &wantErr{is: []error{ErrUnsafePath}, has: []string{`symlink "files/secret"`, "outside the chart"}},
		},
		{
			name: "relative link climbing out",
			setup: func(t *testing.T, dir, outside string) {
				writeFile(t, outside, "x", "x")
				rel, _ := filepath.Rel(filepath.Join(dir, "templates"), filepath.Join(outside, "x"))
				symlink(t, rel, filepath.Join(dir, "templates", "x.yaml"))
			},
			err: &wantErr{is: []error{ErrUnsafePath}, has: []string{`symlink "templates/x.yaml"`}},
		},
		{
			name: "link to a directory outside",
			setup: func(t *testing.T, dir, outside string) {
				writeFile(t, outside, "etc/passwd", "root")
				symlink(t, filepath.Join(outside, "etc"), filepath.Join(dir, "etc"))
			},
			err: &wantErr{is: []error{ErrUnsafePath}, has: []string{`symlink "etc"`}},
		},
		{
			name: "link outside that .helmignore skips",
			setup: func(t *testing.T, dir, outside string) {
				writeFile(t, outside, "etc/passwd", "root")
				symlink(t, filepath.Join(outside, "etc"), filepath.Join(dir, "etc"))
				writeFile(t, dir, ".helmignore", "etc/\n")
			},
			check: func(t *testing.T, c *Chart) {
				if got := names(c.Files); !slices.Equal(got, []string{".helmignore"}) {
					t.Errorf("files = %q", got)
				}
			},
		},
		{
			name: "dangling link",
			setup: func(t *testing.T, dir, _ string) {
				symlink(t, "nowhere", filepath.Join(dir, "README.md"))
			},
			err: &wantErr{has: []string{`error evaluating symlink "README.md"`}},
		},
		{
			name: "loop",
			setup: func(t *testing.T, dir, _ string) {
				symlink(t, "..", filepath.Join(dir, "sub", "up"))
			},
			err: &wantErr{is: []error{ErrUnsupportedFile}, has: []string{`symlink "sub/up"`, "loop"}},
		},
		{
			name: "link to the chart root",
			setup: func(t *testing.T, dir, _ string) {
				symlink(t, ".", filepath.Join(dir, "self"))
			},
			err: &wantErr{is: []error{ErrUnsupportedFile}, has: []string{"loop"}},
		},
		{
			name: "link cycle",
			setup: func(t *testing.T, dir, _ string) {
				symlink(t, "b", filepath.Join(dir, "a"))
				symlink(t, "a", filepath.Join(dir, "b"))
			},
			err: &wantErr{has: []string{`error evaluating symlink "a"`}},
		},
		{
			name: "two links to the same directory are both loaded",
			setup: func(t *testing.T, dir, _ string) {
				writeFile(t, dir, "real/x", "x")
				symlink(t, "real", filepath.Join(dir, "l1"))
				symlink(t, "real", filepath.Join(dir, "l2"))
			},
			check: func(t *testing.T, c *Chart) {
				if got := names(c.Files); !slices.Equal(got, []string{"l1/x", "l2/x", "real/x"}) {
					t.Errorf("files = %q", got)
				}
			},
		},
		{
			name: ".helmignore linked from outside",
			setup: func(t *testing.T, dir, outside string) {
				writeFile(t, outside, "ignore", "*.md\n")
				symlink(t, filepath.Join(outside, "ignore"), filepath.Join(dir, ".helmignore"))
			},
			err: &wantErr{is: []error{ErrUnsafePath}, has: []string{`symlink ".helmignore"`}},
		},
		{
			name: "Chart.yaml linked from inside",
			setup: func(t *testing.T, dir, _ string) {
				if err := os.Remove(filepath.Join(dir, "Chart.yaml")); err != nil {
					t.Fatal(err)
				}
				writeFile(t, dir, "meta/Chart.yaml", chartYAMLOf("linked"))
				symlink(t, "meta/Chart.yaml", filepath.Join(dir, "Chart.yaml"))
			},
			check: func(t *testing.T, c *Chart) {
				if c.Name() != "linked" {
					t.Errorf("name = %q", c.Name())
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, outside := t.TempDir(), t.TempDir()
			writeFile(t, dir, "Chart.yaml", chartYAMLOf("c"))
			tt.setup(t, dir, outside)
			for name, load := range map[string]func() (*Chart, error){
				"LoadDir": func() (*Chart, error) { return LoadDir(dir) },
				"LoadFS":  func() (*Chart, error) { return LoadFS(os.DirFS(dir)) },
			} {
				t.Run(name, func(t *testing.T) {
					c, err := load()
					if name == "LoadFS" && tt.name == "link to a directory inside is walked" {
						// os.DirFS cannot follow an absolute link: it is outside
						// the fs.FS's namespace.
						(&wantErr{is: []error{ErrUnsafePath}, has: []string{"absolute path"}}).check(t, err)
						return
					}
					tt.err.check(t, err)
					if err == nil && tt.check != nil {
						tt.check(t, c)
					}
				})
			}
		})
	}
}

// The chart directory itself may be reached through a symlink.
func TestLoadDirThroughSymlink(t *testing.T) {
	dir := copyDir(t, "v1")
	link := filepath.Join(t.TempDir(), "link")
	symlink(t, dir, link)
	c, err := Load(link)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "legacy" {
		t.Errorf("name = %q", c.Name())
	}
}

func TestLoadDirIrregularFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "Chart.yaml", chartYAMLOf("c"))
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, err := LoadDir(dir)
	(&wantErr{is: []error{ErrUnsupportedFile}, has: []string{`"pipe"`, "irregular file"}}).check(t, err)

	// Ignored, it is never opened.
	writeFile(t, dir, ".helmignore", "pipe\n")
	if _, err := LoadDir(dir); err != nil {
		t.Fatal(err)
	}

	// A directory without Chart.yaml is refused before anything in it is read.
	if err := os.Remove(filepath.Join(dir, "Chart.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, ".helmignore")); err != nil {
		t.Fatal(err)
	}
	_, err = LoadDir(dir)
	(&wantErr{is: []error{ErrChartYAMLMissing}}).check(t, err)
}

// A FIFO is refused without waiting for a writer: as a chart, as Chart.yaml, as
// .helmignore, and anywhere in a chart directory (TestLoadDirIrregularFiles).
func TestLoadFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	var err error
	bounded(t, time.Second, 1<<20, func() { _, err = Load(fifo) })
	(&wantErr{is: []error{ErrUnsupportedFile}, has: []string{"chart archive " + fifo, "not a regular file but a FIFO"}}).check(t, err)
	bounded(t, time.Second, 1<<20, func() { _, err = ReadFile(fifo, 10) })
	(&wantErr{is: []error{ErrUnsupportedFile}, has: []string{"FIFO"}}).check(t, err)

	for _, name := range []string{"Chart.yaml", ".helmignore"} {
		chart := t.TempDir()
		if name != "Chart.yaml" {
			writeFile(t, chart, "Chart.yaml", chartYAMLOf("c"))
		}
		if err := syscall.Mkfifo(filepath.Join(chart, name), 0o644); err != nil {
			t.Fatal(err)
		}
		bounded(t, time.Second, 1<<20, func() { _, err = LoadDir(chart) })
		(&wantErr{is: []error{ErrUnsupportedFile}, has: []string{"FIFO"}}).check(t, err)
	}
}
