package chart

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/Masterminds/semver/v3"
)

// conformanceCharts is the shared corpus of real charts (read in place, never
// copied into the repository).
const conformanceCharts = "../../../shared/conformance/charts"

// Every chart of the conformance corpus loads, with a valid name and version and
// its vendored dependencies, the same from a directory and from an fs.FS.
func TestLoadConformanceCharts(t *testing.T) {
	entries, err := os.ReadDir(conformanceCharts)
	if os.IsNotExist(err) {
		t.Skipf("conformance corpus not found at %s (it lives next to the repository, in ../shared/conformance)", conformanceCharts)
	}
	if err != nil {
		t.Fatal(err)
	}
	loaded := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(conformanceCharts, e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			c, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			loaded++
			checkLoadedChart(t, c)
			fromFS, err := LoadFS(os.DirFS(dir))
			if err != nil {
				t.Fatal(err)
			}
			if dump(fromFS) != dump(c) {
				t.Error("LoadFS and LoadDir differ")
			}
		})
	}
	if loaded == 0 {
		t.Fatal("no chart in the corpus")
	}
}

func checkLoadedChart(t *testing.T, c *Chart) {
	t.Helper()
	if c.Name() == "" {
		t.Errorf("%s: no name", c.ChartFullPath())
	}
	if _, err := semver.NewVersion(c.Metadata.Version); err != nil {
		t.Errorf("%s: version %q: %v", c.ChartFullPath(), c.Metadata.Version, err)
	}
	if c.Values == nil {
		t.Errorf("%s: nil values", c.ChartFullPath())
	}
	if len(c.Templates) == 0 && !c.IsLibrary() {
		t.Errorf("%s: no templates", c.ChartFullPath())
	}
	subcharts := map[string]bool{}
	for _, d := range c.Dependencies() {
		subcharts[d.Name()] = true
		if d.Parent() != c {
			t.Errorf("%s: parent not set", d.ChartFullPath())
		}
		checkLoadedChart(t, d)
	}
	for _, dep := range c.Metadata.Dependencies {
		if !subcharts[dep.Name] {
			t.Errorf("%s: dependency %q is not vendored under charts/", c.ChartFullPath(), dep.Name)
		}
	}
}
