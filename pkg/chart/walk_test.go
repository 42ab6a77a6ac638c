package chart

import (
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"
)

func TestLoadFS(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s), Mode: 0o644} }
	link := func(target string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink}
	}
	base := func() fstest.MapFS {
		return fstest.MapFS{
			"Chart.yaml":          file(chartYAMLOf("c")),
			".helmignore":         file("*.skip\n"),
			"templates/a.yaml":    file("a"),
			"templates/.hidden":   file("h"),
			"x.skip":              file("skipped"),
			"shared/cm.yaml":      file("cm"),
			"charts/s/Chart.yaml": file(chartYAMLOf("s")),
		}
	}
	tests := []struct {
		name  string
		edit  func(m fstest.MapFS)
		err   *wantErr
		check func(t *testing.T, c *Chart)
	}{
		{
			name: "plain",
			check: func(t *testing.T, c *Chart) {
				if got := names(c.Templates); !slices.Equal(got, []string{"templates/a.yaml"}) {
					t.Errorf("templates = %q", got)
				}
				if got := names(c.Files); !slices.Equal(got, []string{".helmignore", "shared/cm.yaml"}) {
					t.Errorf("files = %q", got)
				}
				if got := depNames(c); !slices.Equal(got, []string{"s"}) {
					t.Errorf("subcharts = %q", got)
				}
			},
		},
		{
			name: "relative link inside",
			edit: func(m fstest.MapFS) { m["templates/cm.yaml"] = link("../shared/cm.yaml") },
			check: func(t *testing.T, c *Chart) {
				if got := names(c.Templates); !slices.Equal(got, []string{"templates/a.yaml", "templates/cm.yaml"}) {
					t.Errorf("templates = %q", got)
				}
			},
		},
		{
			name: "link through a linked directory",
			edit: func(m fstest.MapFS) {
				m["l"] = link("shared")
				m["templates/cm.yaml"] = link("../l/./cm.yaml")
			},
			check: func(t *testing.T, c *Chart) {
				if got := names(c.Templates); !slices.Equal(got, []string{"templates/a.yaml", "templates/cm.yaml"}) {
					t.Errorf("templates = %q", got)
				}
				if got := names(c.Files); !slices.Equal(got, []string{".helmignore", "l/cm.yaml", "shared/cm.yaml"}) {
					t.Errorf("files = %q", got)
				}
			},
		},
		{
			name: "absolute link",
			edit: func(m fstest.MapFS) { m["templates/x.yaml"] = link("/etc/passwd") },
			err:  &wantErr{is: []error{ErrUnsafePath}, has: []string{`symlink "templates/x.yaml"`, "absolute path /etc/passwd"}},
		},
		{
			name: "link climbing above the root",
			edit: func(m fstest.MapFS) { m["templates/x.yaml"] = link("../../x") },
			err:  &wantErr{is: []error{ErrUnsafePath}, has: []string{"climbs above the root"}},
		},
		{
			name: "link climbing out and back in",
			edit: func(m fstest.MapFS) { m["templates/x.yaml"] = link("../../c/shared/cm.yaml") },
			err:  &wantErr{is: []error{ErrUnsafePath}},
		},
		{
			name: "link climbing above the root, ignored",
			edit: func(m fstest.MapFS) {
				m["templates/x.skip"] = link("../../x")
			},
		},
		{
			name: "link loop",
			edit: func(m fstest.MapFS) { m["shared/up"] = link("..") },
			err:  &wantErr{is: []error{ErrUnsupportedFile}, has: []string{"loop"}},
		},
		{
			name: "link cycle",
			edit: func(m fstest.MapFS) { m["a"] = link("b"); m["b"] = link("a") },
			err:  &wantErr{has: []string{`error evaluating symlink "a"`, "too many links"}},
		},
		{
			name: "link through a file",
			edit: func(m fstest.MapFS) { m["a"] = link("x.skip/y") },
			err:  &wantErr{has: []string{"not a directory"}},
		},
		{
			name: "dangling link",
			edit: func(m fstest.MapFS) { m["a"] = link("missing") },
			err:  &wantErr{is: []error{fs.ErrNotExist}, has: []string{`error evaluating symlink "a"`}},
		},
		{
			name: "no Chart.yaml",
			edit: func(m fstest.MapFS) { delete(m, "Chart.yaml") },
			err:  &wantErr{is: []error{ErrChartYAMLMissing}},
		},
		{
			name: "irregular file",
			edit: func(m fstest.MapFS) { m["dev"] = &fstest.MapFile{Mode: fs.ModeDevice} },
			err:  &wantErr{is: []error{ErrUnsupportedFile}, has: []string{`"dev"`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			if tt.edit != nil {
				tt.edit(m)
			}
			c, err := LoadFS(m)
			tt.err.check(t, err)
			if err == nil && tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

// noLinkFS hides fstest.MapFS's ReadLink: its Stat follows links by itself.
type noLinkFS struct{ m fstest.MapFS }

func (f noLinkFS) Open(name string) (fs.File, error) { return f.m.Open(name) }

func TestLoadFSWithoutReadLink(t *testing.T) {
	m := fstest.MapFS{
		"Chart.yaml":     {Data: []byte(chartYAMLOf("c"))},
		"shared/cm.yaml": {Data: []byte("cm")},
		"templates/l":    {Data: []byte("../shared/cm.yaml"), Mode: fs.ModeSymlink},
	}
	c, err := LoadFS(noLinkFS{m})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(c.Templates); !slices.Equal(got, []string{"templates/l"}) || string(c.Templates[0].Data) != "cm" {
		t.Errorf("templates = %s", dump(c))
	}
}
