package chart

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// fullChart copies testdata/charts/full and adds charts/arch-0.1.0.tgz, packed
// from testdata/charts/arch.
func fullChart(t *testing.T) string {
	t.Helper()
	dir := copyDir(t, "full")
	arch := filepath.Join("testdata", "charts", "arch")
	data := packDir(t, arch, "arch", allFiles(t, arch)...)
	if err := os.WriteFile(filepath.Join(dir, "charts", "arch-0.1.0.tgz"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fullChartKept are the files of fullChart that .helmignore keeps, in walk order.
var fullChartKept = []string{
	".helmignore", "Chart.lock", "Chart.yaml", "README.md", "a/b.txt", "a.txt",
	"charts/arch-0.1.0.tgz", "charts/arch-0.1.0.tgz.prov",
	"charts/sub/.helmignore", "charts/sub/Chart.yaml",
	"charts/sub/charts/deeper/Chart.yaml", "charts/sub/charts/deeper/templates/pod.yaml",
	"charts/sub/keep.txt", "charts/sub/templates/service.yaml", "charts/sub/values.yaml",
	"crds/crd.yaml", "crds/notes.txt", "files/config.ini", "sub/rooted.txt",
	"templates/NOTES.txt", "templates/_helpers.tpl", "templates/configmap.yaml", "templates/sub/secret.yaml",
	"values.schema.json", "values.yaml", "values.yml",
}

func TestLoadDirFullChart(t *testing.T) {
	c, err := LoadDir(fullChart(t))
	if err != nil {
		t.Fatal(err)
	}

	md := c.Metadata
	if md.Name != "full" || md.Version != "1.2.3" || md.AppVersion != "2.0" || md.APIVersion != APIVersionV2 || md.Type != "application" {
		t.Errorf("metadata = %+v", md)
	}
	if want := "A chart that uses every rule"; md.Description != want {
		t.Errorf("description = %q, want the sanitised %q", md.Description, want)
	}
	if len(md.Dependencies) != 2 || md.Dependencies[1].Alias != "packed" {
		t.Errorf("dependencies = %+v", md.Dependencies)
	}
	if c.Lock == nil || c.Lock.Digest != "sha256:0000" || len(c.Lock.Dependencies) != 2 ||
		!c.Lock.Generated.Equal(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("lock = %+v", c.Lock)
	}

	wantValues := map[string]any{
		"replicas": float64(2), "ratio": 0.5, "name": "full",
		"nested": map[string]any{"a": float64(1), "list": []any{float64(1), "two"}, "b": true},
	}
	if !reflect.DeepEqual(c.Values, wantValues) {
		t.Errorf("values = %#v\nwant %#v", c.Values, wantValues)
	}
	if !bytes.HasPrefix(c.RawValues, []byte("# Default values for full.\n")) {
		t.Errorf("raw values = %q", c.RawValues)
	}
	if string(c.Schema) != "{\"type\": \"object\"}\n" {
		t.Errorf("schema = %q", c.Schema)
	}

	// Walk order: lexical within each directory (so a/b.txt comes before a.txt);
	// .helmignore rules and the default templates/.?* rule applied.
	wantTemplates := []string{"templates/NOTES.txt", "templates/_helpers.tpl", "templates/configmap.yaml", "templates/sub/secret.yaml"}
	if got := names(c.Templates); !slices.Equal(got, wantTemplates) {
		t.Errorf("templates = %q\nwant %q", got, wantTemplates)
	}
	wantFiles := []string{".helmignore", "README.md", "a/b.txt", "a.txt", "charts/arch-0.1.0.tgz.prov",
		"crds/crd.yaml", "crds/notes.txt", "files/config.ini", "sub/rooted.txt", "values.yml"}
	if got := names(c.Files); !slices.Equal(got, wantFiles) {
		t.Errorf("files = %q\nwant %q", got, wantFiles)
	}

	// Subcharts: lexical order of their charts/ entry; charts/_skipped skipped.
	if got := depNames(c); !slices.Equal(got, []string{"arch", "sub"}) {
		t.Fatalf("dependencies = %q", got)
	}
	arch, sub := c.Dependencies()[0], c.Dependencies()[1]
	if arch.Parent() != c || sub.Root() != c || arch.IsRoot() {
		t.Error("subcharts are not linked to their parent")
	}
	if !reflect.DeepEqual(arch.Values, map[string]any{"fromArchive": float64(1)}) || len(arch.Templates) != 1 {
		t.Errorf("archived subchart = %s", dump(arch))
	}
	// A subchart's own .helmignore is loaded as a file, not applied.
	if got := names(sub.Files); !slices.Equal(got, []string{".helmignore", "keep.txt"}) {
		t.Errorf("sub files = %q", got)
	}
	if got := depNames(sub); !slices.Equal(got, []string{"deeper"}) {
		t.Errorf("sub dependencies = %q", got)
	}
	deeper := sub.Dependencies()[0]
	if deeper.ChartPath() != "full.sub.deeper" || deeper.ChartFullPath() != "full/charts/sub/charts/deeper" {
		t.Errorf("deeper paths = %s, %s", deeper.ChartPath(), deeper.ChartFullPath())
	}
	if !reflect.DeepEqual(deeper.Values, map[string]any{}) || deeper.RawValues != nil {
		t.Errorf("a chart without values.yaml has values %#v, raw %q", deeper.Values, deeper.RawValues)
	}

	var crds []string
	for _, crd := range c.CRDObjects() {
		crds = append(crds, crd.Filename)
	}
	if !slices.Equal(crds, []string{"full/crds/crd.yaml"}) {
		t.Errorf("CRDs = %q", crds)
	}
}

// The same chart loads the same from a directory, an fs.FS, an archive (as `helm
// package` would write it: the files .helmignore keeps) and Load on either path.
func TestLoadFormsAgree(t *testing.T) {
	dir := fullChart(t)
	fromDir, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := dump(fromDir)

	archive := packDir(t, dir, "full", fullChartKept...)
	archivePath := filepath.Join(t.TempDir(), "full-1.2.3.tgz")
	if err := os.WriteFile(archivePath, archive, 0o644); err != nil {
		t.Fatal(err)
	}
	tarGzPath := filepath.Join(t.TempDir(), "full.tar.gz")
	if err := os.WriteFile(tarGzPath, archive, 0o644); err != nil {
		t.Fatal(err)
	}

	loads := map[string]func() (*Chart, error){
		"LoadFS":           func() (*Chart, error) { return LoadFS(os.DirFS(dir)) },
		"LoadArchive":      func() (*Chart, error) { return LoadArchive(bytes.NewReader(archive)) },
		"Load(dir)":        func() (*Chart, error) { return Load(dir) },
		"Load(.tgz)":       func() (*Chart, error) { return Load(archivePath) },
		"Load(.tar.gz)":    func() (*Chart, error) { return Load(tarGzPath) },
		"Loader{}.LoadDir": func() (*Chart, error) { return Loader{}.LoadDir(dir) },
	}
	for name, load := range loads {
		t.Run(name, func(t *testing.T) {
			c, err := load()
			if err != nil {
				t.Fatal(err)
			}
			if got := dump(c); got != want {
				t.Errorf("differs from LoadDir:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// An archive is loaded in its own order, and .helmignore is not applied to it.
func TestLoadArchiveOrderAndNoIgnore(t *testing.T) {
	data := tgz(t,
		entry{Name: "c/templates/z.yaml", Data: "z"},
		entry{Name: "c/.helmignore", Data: "*.md\n"},
		entry{Name: "c/README.md", Data: "kept"},
		entry{Name: "c/templates/.hidden", Data: "kept too"},
		entry{Name: "c/Chart.yaml", Data: chartYAMLOf("c")},
		entry{Name: "c/templates/a.yaml", Data: "a"},
		entry{Name: "c/b.txt", Data: "b"},
		entry{Name: "c/a.txt", Data: "a"},
	)
	c, err := LoadArchive(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(c.Templates), []string{"templates/z.yaml", "templates/.hidden", "templates/a.yaml"}; !slices.Equal(got, want) {
		t.Errorf("templates = %q, want %q", got, want)
	}
	if got, want := names(c.Files), []string{".helmignore", "README.md", "b.txt", "a.txt"}; !slices.Equal(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
}

func TestLoadV1Chart(t *testing.T) {
	c, err := LoadDir(filepath.Join("testdata", "charts", "v1"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Metadata.APIVersion != APIVersionV1 {
		t.Errorf("apiVersion = %q, want v1 when Chart.yaml has none", c.Metadata.APIVersion)
	}
	if len(c.Metadata.Dependencies) != 1 || c.Metadata.Dependencies[0].Name != "dep" || c.Metadata.Dependencies[0].Condition != "dep.enabled" {
		t.Errorf("dependencies from requirements.yaml = %+v", c.Metadata.Dependencies)
	}
	if c.Lock == nil || c.Lock.Digest != "sha256:1111" {
		t.Errorf("lock from requirements.lock = %+v", c.Lock)
	}
	if got, want := names(c.Files), []string{"requirements.lock", "requirements.yaml"}; !slices.Equal(got, want) {
		t.Errorf("files = %q, want %q (a v1 chart keeps them)", got, want)
	}
	if got := depNames(c); !slices.Equal(got, []string{"dep"}) {
		t.Errorf("subcharts = %q", got)
	}
}

func TestLoadV2ChartWithRequirements(t *testing.T) {
	var logs bytes.Buffer
	l := Loader{Logger: newTestLogger(&logs)}
	c, err := l.LoadDir(filepath.Join("testdata", "charts", "v2reqs"))
	if err != nil {
		t.Fatal(err)
	}
	// As in Helm: requirements.yaml still replaces Chart.yaml's dependencies and
	// requirements.lock is the lock, but neither is a file of a v2 chart.
	if len(c.Metadata.Dependencies) != 1 || c.Metadata.Dependencies[0].Name != "fromrequirements" {
		t.Errorf("dependencies = %+v", c.Metadata.Dependencies)
	}
	if c.Lock == nil || c.Lock.Digest != "sha256:2222" {
		t.Errorf("lock = %+v", c.Lock)
	}
	if len(c.Files) != 0 {
		t.Errorf("files = %q, want none", names(c.Files))
	}
	if !strings.Contains(logs.String(), "migrating dependencies to Chart.yaml") || !strings.Contains(logs.String(), "migrating to Chart.lock") {
		t.Errorf("no warnings logged: %q", logs.String())
	}
}

func TestLoadStripsByteOrderMarks(t *testing.T) {
	dir := filepath.Join("testdata", "charts", "bom")
	fromDir, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fromDir.Name() != "bom" || fromDir.Values["key"] != "value" || string(fromDir.Templates[0].Data) != "kind: ConfigMap\n" {
		t.Errorf("byte order marks kept: %s", dump(fromDir))
	}
	// The .helmignore's BOM is dropped before its first rule is parsed.
	if got := names(fromDir.Files); !slices.Equal(got, []string{".helmignore"}) {
		t.Errorf("files = %q, want x.skip ignored", got)
	}
	fromArchive, err := LoadArchive(bytes.NewReader(packDir(t, dir, "bom", "Chart.yaml", "values.yaml", "templates/cm.yaml", ".helmignore")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dump(fromArchive), dump(fromDir); got != want {
		t.Errorf("archive:\n%s\ndirectory:\n%s", got, want)
	}
	// LoadFiles takes the data as given.
	c, err := LoadFiles([]*File{{Name: "Chart.yaml", Data: []byte(chartYAMLOf("c"))}, {Name: "x", Data: []byte("\xef\xbb\xbfx")}})
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Files[0].Data) != "\xef\xbb\xbfx" {
		t.Errorf("LoadFiles changed the data: %q", c.Files[0].Data)
	}
}

func TestLoadLibraryChart(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "charts", "library"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsLibrary() || len(c.Templates) != 1 {
		t.Errorf("library chart = %s", dump(c))
	}
}

func files(kv ...string) []*File {
	var out []*File
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, &File{Name: kv[i], Data: []byte(kv[i+1])})
	}
	return out
}

func TestLoadFiles(t *testing.T) {
	const chartYAML = "apiVersion: v2\nname: c\nversion: 1.0.0\n"
	subTgz := string(tgz(t, entry{Name: "s/Chart.yaml", Data: chartYAMLOf("s")}))
	tests := []struct {
		name  string
		files []*File
		err   *wantErr
		check func(t *testing.T, c *Chart)
	}{
		{
			name:  "Chart.yaml missing",
			files: files("values.yaml", "a: 1\n", "templates/x.yaml", "x"),
			err:   &wantErr{is: []error{ErrChartYAMLMissing}, has: []string{"Chart.yaml file is missing"}},
		},
		{
			name:  "no files",
			files: nil,
			err:   &wantErr{is: []error{ErrChartYAMLMissing}},
		},
		{
			name:  "Chart.yaml not YAML",
			files: files("Chart.yaml", "name: [c\n"),
			err:   &wantErr{has: []string{"cannot load Chart.yaml"}},
		},
		{
			name:  "Chart.yaml with a wrong type",
			files: files("Chart.yaml", "name: c\nversion: 1.0.0\nkeywords: nope\n"),
			err:   &wantErr{has: []string{"cannot load Chart.yaml"}},
		},
		{
			name:  "apiVersion missing means v1",
			files: files("Chart.yaml", "name: c\nversion: 1.0.0\n"),
			check: func(t *testing.T, c *Chart) {
				if c.Metadata.APIVersion != APIVersionV1 {
					t.Errorf("apiVersion = %q", c.Metadata.APIVersion)
				}
			},
		},
		{
			name:  "apiVersion v3 is not supported",
			files: files("Chart.yaml", "apiVersion: v3\nname: c\nversion: 1.0.0\n"),
			err:   &wantErr{is: []error{ErrUnsupportedAPIVersion}, has: []string{`unsupported chart version "v3"`}},
		},
		{
			name:  "a subchart's apiVersion is not checked, as in Helm",
			files: files("Chart.yaml", chartYAML, "charts/s/Chart.yaml", "apiVersion: v9\nname: s\nversion: 1.0.0\n"),
			check: func(t *testing.T, c *Chart) {
				if c.Dependencies()[0].Metadata.APIVersion != "v9" {
					t.Errorf("subchart = %s", dump(c))
				}
			},
		},
		{
			name:  "unquoted numeric version",
			files: files("Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0\nappVersion: 1.10\n"),
			check: func(t *testing.T, c *Chart) {
				// As in Helm, sigs.k8s.io/yaml turns the numbers into strings for
				// string fields, formatted as numbers: 1.0 is "1", 1.10 is "1.1".
				if c.Metadata.Version != "1" || c.Metadata.AppVersion != "1.1" {
					t.Errorf("version %q, appVersion %q", c.Metadata.Version, c.Metadata.AppVersion)
				}
			},
		},
		{
			name:  "invalid metadata",
			files: files("Chart.yaml", "apiVersion: v2\nname: c\nversion: one\n"),
			err:   &wantErr{is: []error{ValidationError(`chart.metadata.version "one" is invalid`)}},
		},
		{
			name:  "invalid subchart metadata",
			files: files("Chart.yaml", chartYAML, "charts/s/Chart.yaml", "apiVersion: v2\nname: s\n"),
			err: &wantErr{
				is:  []error{ValidationError("chart.metadata.version is required")},
				has: []string{"error unpacking subchart s in c: validation: chart.metadata.version is required"},
			},
		},
		{
			name: "classification",
			files: files(
				"Chart.yaml", chartYAML,
				"Chart.lock", "digest: d\n",
				"values.yaml", "a: 1\n",
				"values.yml", "b: 2\n",
				"values.schema.json", "{}",
				"templates", "a file named templates",
				"templates/x.yaml", "x",
				"templates/deep/y.tpl", "y",
				"crds/c.yaml", "c",
				"charts/s/Chart.yaml", chartYAMLOf("s"),
				"charts/s.tgz.prov", "p",
				"charts/s/charts/t-1.0.0.tgz.prov", "nested prov",
				"charts/_helpers/x", "skipped",
				"charts/.gitkeep", "",
				"README.md", "r",
			),
			check: func(t *testing.T, c *Chart) {
				if c.Lock == nil || c.Lock.Digest != "d" || c.Values["a"] != float64(1) || string(c.Schema) != "{}" {
					t.Errorf("chart = %s", dump(c))
				}
				if got, want := names(c.Templates), []string{"templates/x.yaml", "templates/deep/y.tpl"}; !slices.Equal(got, want) {
					t.Errorf("templates = %q, want %q", got, want)
				}
				want := []string{"values.yml", "templates", "crds/c.yaml", "charts/s.tgz.prov", "charts/s/charts/t-1.0.0.tgz.prov", "README.md"}
				if got := names(c.Files); !slices.Equal(got, want) {
					t.Errorf("files = %q, want %q", got, want)
				}
				if got := depNames(c); !slices.Equal(got, []string{"s"}) {
					t.Errorf("subcharts = %q", got)
				}
			},
		},
		{
			name: "subcharts in lexical order of their directory or archive",
			files: files("Chart.yaml", chartYAML,
				"charts/zeta/Chart.yaml", chartYAMLOf("zeta"),
				"charts/b.tgz", subTgz,
				"charts/alpha/Chart.yaml", chartYAMLOf("alpha")),
			check: func(t *testing.T, c *Chart) {
				if got := depNames(c); !slices.Equal(got, []string{"alpha", "s", "zeta"}) {
					t.Errorf("subcharts = %q", got)
				}
			},
		},
		{
			name:  "a non-archive file in charts/ is a broken subchart",
			files: files("Chart.yaml", chartYAML, "charts/README.md", "x"),
			err:   &wantErr{is: []error{ErrChartYAMLMissing}, has: []string{"error unpacking subchart README.md in c"}},
		},
		{
			name:  "charts/x.tar.gz is not a subchart archive",
			files: files("Chart.yaml", chartYAML, "charts/x.tar.gz", subTgz),
			err:   &wantErr{is: []error{ErrChartYAMLMissing}, has: []string{"subchart x.tar.gz"}},
		},
		{
			name:  "a directory named like an archive",
			files: files("Chart.yaml", chartYAML, "charts/x.tgz/Chart.yaml", chartYAMLOf("x")),
			err:   &wantErr{has: []string{"error unpacking subchart tar in c: expected x.tgz, got x.tgz/Chart.yaml"}},
		},
		{
			name:  "a broken subchart archive",
			files: files("Chart.yaml", chartYAML, "charts/x.tgz", "not gzip"),
			err:   &wantErr{is: []error{ErrInvalidArchive}, has: []string{"error unpacking subchart x.tgz in c"}},
		},
		{
			name:  "values.yaml not YAML",
			files: files("Chart.yaml", chartYAML, "values.yaml", "a: [\n"),
			err:   &wantErr{has: []string{"cannot load values.yaml"}},
		},
		{
			name:  "values.yaml a list",
			files: files("Chart.yaml", chartYAML, "values.yaml", "- a\n"),
			err:   &wantErr{has: []string{"cannot load values.yaml: cannot unmarshal yaml document"}},
		},
		{
			name:  "values.yaml bad document separator",
			files: files("Chart.yaml", chartYAML, "values.yaml", "a: 1\n--- b\n"),
			err:   &wantErr{has: []string{"cannot load values.yaml: error reading yaml document: invalid Yaml document separator: b"}},
		},
		{
			name:  "values.yaml empty",
			files: files("Chart.yaml", chartYAML, "values.yaml", ""),
			check: func(t *testing.T, c *Chart) {
				if c.Values == nil || len(c.Values) != 0 || c.RawValues == nil {
					t.Errorf("values %#v raw %q", c.Values, c.RawValues)
				}
			},
		},
		{
			name:  "Chart.lock empty",
			files: files("Chart.yaml", chartYAML, "Chart.lock", ""),
			check: func(t *testing.T, c *Chart) {
				if c.Lock != nil {
					t.Errorf("lock = %+v, want nil as in Helm", c.Lock)
				}
			},
		},
		{
			name:  "Chart.lock not YAML",
			files: files("Chart.yaml", chartYAML, "Chart.lock", "digest: [\n"),
			err:   &wantErr{has: []string{"cannot load Chart.lock"}},
		},
		{
			name:  "requirements.yaml not YAML",
			files: files("Chart.yaml", "name: c\nversion: 1.0.0\n", "requirements.yaml", "dependencies: {\n"),
			err:   &wantErr{has: []string{"cannot load requirements.yaml"}},
		},
		{
			name:  "requirements.lock not YAML",
			files: files("Chart.yaml", "name: c\nversion: 1.0.0\n", "requirements.lock", "digest: [\n"),
			err:   &wantErr{has: []string{"cannot load requirements.lock"}},
		},
		{
			name:  "duplicate dependency from requirements.yaml",
			files: files("Chart.yaml", "name: c\nversion: 1.0.0\n", "requirements.yaml", "dependencies:\n- name: a\n- name: b\n  alias: a\n"),
			err:   &wantErr{is: []error{ValidationError(`more than one dependency with name or alias "a"`)}},
		},
		{
			name:  "nil file",
			files: []*File{nil},
			err:   &wantErr{has: []string{"file 0 is nil"}},
		},
		{
			name:  "duplicate names",
			files: files("Chart.yaml", chartYAML, "a", "1", "a", "2"),
			err:   &wantErr{is: []error{ErrDuplicateFile}, has: []string{`"a"`}},
		},
	}
	for _, bad := range []string{"", ".", "..", "../x", "/abs", "a/../b", "a//b", "./a", "a/"} {
		tests = append(tests, struct {
			name  string
			files []*File
			err   *wantErr
			check func(t *testing.T, c *Chart)
		}{
			name:  "invalid name " + bad,
			files: files("Chart.yaml", chartYAML, bad, "x"),
			err:   &wantErr{is: []error{ErrUnsafePath}},
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadFiles(tt.files)
			tt.err.check(t, err)
			if err != nil && c != nil {
				t.Error("a chart returned with an error")
			}
			if tt.check != nil && c != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestLoadFilesDepthLimit(t *testing.T) {
	// charts/c/charts/c/... five deep.
	fs := files("Chart.yaml", chartYAMLOf("c"))
	prefix := ""
	for range 5 {
		prefix += "charts/c/"
		fs = append(fs, files(prefix+"Chart.yaml", chartYAMLOf("c"))...)
	}
	if _, err := (Loader{Limits: Limits{MaxDepth: 5}}).LoadFiles(fs); err != nil {
		t.Fatalf("depth 5 with MaxDepth 5: %v", err)
	}
	_, err := Loader{Limits: Limits{MaxDepth: 4}}.LoadFiles(fs)
	(&wantErr{is: []error{ErrLimitExceeded}, has: []string{"nested more than 4 deep"}}).check(t, err)
}

func TestLoadFilesLimits(t *testing.T) {
	fs := files("Chart.yaml", chartYAMLOf("c"), "a", "12345", "b", "12345")
	tests := []struct {
		limits Limits
		err    *wantErr
	}{
		{Limits{}, nil},
		{Limits{MaxFiles: 3, MaxFileSize: 100, MaxTotalSize: 200}, nil},
		{Limits{MaxFiles: 2}, &wantErr{is: []error{ErrLimitExceeded}, has: []string{`"b"`, "more than 2 files"}}},
		{Limits{MaxFileSize: 4, MaxTotalSize: 1000}, &wantErr{is: []error{ErrLimitExceeded}, has: []string{"maximum file size 4"}}},
		{Limits{MaxTotalSize: int64(len(chartYAMLOf("c"))) + 9}, &wantErr{is: []error{ErrLimitExceeded}, has: []string{`"b"`, "maximum size"}}},
	}
	for _, tt := range tests {
		_, err := Loader{Limits: tt.limits}.LoadFiles(fs)
		tt.err.check(t, err)
	}
}

func TestDefaultLimits(t *testing.T) {
	d := DefaultLimits()
	if d.MaxFileSize != 5<<20 || d.MaxTotalSize != 100<<20 || d.MaxFiles <= 0 || d.MaxDepth <= 0 {
		t.Errorf("DefaultLimits() = %+v", d)
	}
	if got := (Limits{}).orDefaults(); got != d {
		t.Errorf("zero limits = %+v, want the defaults", got)
	}
}

func TestLoadPath(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "values.yaml", "a: 1\n")
	writeFile(t, dir, "notes.txt", "hello")
	writeFile(t, dir, "empty.tgz", "")
	valid := tgz(t, entry{Name: "c/Chart.yaml", Data: chartYAMLOf("c")})
	if err := os.WriteFile(filepath.Join(dir, "chart.bin"), valid, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		err  *wantErr
	}{
		{"chart.bin", nil}, // the content decides, not the name
		{"values.yaml", &wantErr{is: []error{ErrInvalidArchive}, has: []string{"values.yaml", "seems to be YAML"}}},
		{"notes.txt", &wantErr{is: []error{ErrInvalidArchive}, has: []string{"notes.txt", "neither a directory nor a gzipped archive"}}},
		{"empty.tgz", &wantErr{is: []error{ErrInvalidArchive}}},
		{"missing", &wantErr{is: []error{fs.ErrNotExist}}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, err := Load(filepath.Join(dir, tt.path))
			tt.err.check(t, err)
		})
	}
}

func TestLoadDirErrors(t *testing.T) {
	t.Run("no Chart.yaml", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "values.yaml", "a: 1\n")
		_, err := LoadDir(dir)
		(&wantErr{is: []error{ErrChartYAMLMissing}, has: []string{dir}}).check(t, err)
	})
	t.Run("Chart.yaml ignored", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "Chart.yaml", chartYAMLOf("c"))
		writeFile(t, dir, ".helmignore", "Chart.yaml\n")
		_, err := LoadDir(dir)
		(&wantErr{is: []error{ErrChartYAMLMissing}}).check(t, err)
	})
	t.Run("invalid .helmignore", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "Chart.yaml", chartYAMLOf("c"))
		writeFile(t, dir, ".helmignore", "ok\nfoo/**/bar\n")
		_, err := LoadDir(dir)
		(&wantErr{has: []string{".helmignore: line 2", "double-star (**) syntax is not supported"}}).check(t, err)
	})
	t.Run(".helmignore is a directory", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "Chart.yaml", chartYAMLOf("c"))
		writeFile(t, dir, ".helmignore/x", "")
		_, err := LoadDir(dir)
		(&wantErr{is: []error{ErrUnsupportedFile}, has: []string{".helmignore"}}).check(t, err)
	})
	t.Run("not a directory", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "f", "")
		_, err := LoadDir(filepath.Join(dir, "f"))
		if err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("missing", func(t *testing.T) {
		_, err := LoadDir(filepath.Join(t.TempDir(), "nope"))
		(&wantErr{is: []error{fs.ErrNotExist}}).check(t, err)
	})
}

func TestLoadDirLimits(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "Chart.yaml", chartYAMLOf("c"))
	writeFile(t, dir, "big", strings.Repeat("x", 100))
	writeFile(t, dir, "d1/d2/f", "x")
	tests := []struct {
		limits Limits
		err    *wantErr
	}{
		{Limits{MaxFiles: 5}, nil}, // Chart.yaml, big, d1, d1/d2, d1/d2/f
		{Limits{MaxFiles: 4}, &wantErr{is: []error{ErrLimitExceeded}, has: []string{"d1/d2/f", "more than 4 files"}}},
		{Limits{MaxFileSize: 99}, &wantErr{is: []error{ErrLimitExceeded}, has: []string{`"big"`, "maximum file size 99"}}},
		{Limits{MaxTotalSize: 100}, &wantErr{is: []error{ErrLimitExceeded}, has: []string{`"big"`, "maximum size 100"}}},
	}
	for _, tt := range tests {
		_, err := Loader{Limits: tt.limits}.LoadDir(dir)
		tt.err.check(t, err)
	}
}

// A nested subchart archive shares the limits of the chart it is in: the total
// counts the archive and what it decompresses to.
func TestLoadNestedArchiveSharesLimits(t *testing.T) {
	inner := tgz(t, entry{Name: "s/Chart.yaml", Data: chartYAMLOf("s")}, entry{Name: "s/big", Data: strings.Repeat("x", 4000)})
	outer := tgz(t, entry{Name: "c/Chart.yaml", Data: chartYAMLOf("c")}, entry{Name: "c/charts/s.tgz", Data: string(inner)})
	if _, err := (Loader{Limits: Limits{MaxTotalSize: 5000}}).LoadArchive(bytes.NewReader(outer)); err != nil {
		t.Fatal(err)
	}
	_, err := Loader{Limits: Limits{MaxTotalSize: 4000}}.LoadArchive(bytes.NewReader(outer))
	(&wantErr{is: []error{ErrLimitExceeded}, has: []string{"error unpacking subchart s.tgz in c", `"s/big"`}}).check(t, err)
}

func TestChartValidate(t *testing.T) {
	c := &Chart{}
	if err := c.Validate(); !errors.Is(err, ValidationError("chart.metadata is required")) {
		t.Errorf("Validate() = %v", err)
	}
}

// Metadata, Lock and values survive a JSON round trip unchanged (the engine and
// release records see them that way).
func TestLoadedChartJSON(t *testing.T) {
	c, err := LoadDir(fullChart(t))
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Chart
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Metadata, c.Metadata) || !reflect.DeepEqual(back.Values, c.Values) {
		t.Error("JSON round trip changed the chart")
	}
}
