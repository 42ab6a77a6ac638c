package deps

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// Statuses of a dependency in charts/, as `helm dependency list` prints them.
const (
	StatusOK             = "ok"       // an archive of the right chart and version
	StatusUnpacked       = "unpacked" // a directory of the right chart and version
	StatusMissing        = "missing"  // nothing in charts/
	StatusWrongVersion   = "wrong version"
	StatusMisnamed       = "misnamed" // an archive named after it holds another chart
	StatusCorrupt        = "corrupt"  // an archive named after it cannot be loaded
	StatusInvalidVersion = "invalid version"
	StatusTooMany        = "too many matches"
)

// Status is a dependency of Chart.yaml and what charts/ holds for it.
type Status struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository string `json:"repository"`
	Status     string `json:"status"`
}

// Listing is the result of List.
type Listing struct {
	Dependencies []Status `json:"dependencies"`
	// Warnings name what charts/ holds that no dependency asks for.
	Warnings []string `json:"warnings,omitempty"`
}

// List reports the status of each dependency of the chart in dir, with Helm's rules:
// an archive charts/<name>-<version>.tgz is looked at first, then an unpacked
// directory holding a chart of that name.
func List(dir string) (*Listing, error) {
	c, err := readChartDir(dir)
	if err != nil {
		return nil, err
	}
	out := &Listing{Dependencies: []Status{}}
	unpacked := map[string]*chart.Chart{}
	charts := filepath.Join(dir, "charts")
	entries, _ := os.ReadDir(charts)
	names := map[string]bool{}
	for _, d := range c.meta.Dependencies {
		names[d.Name] = true
	}
	for _, e := range entries {
		p := filepath.Join(charts, e.Name())
		if strings.HasPrefix(e.Name(), ".") || (!e.IsDir() && filepath.Ext(p) != ".tgz") {
			continue
		}
		ch, err := chart.Load(p)
		if err != nil {
			out.Warnings = append(out.Warnings, fmt.Sprintf("%q is not a chart", p))
			continue
		}
		if e.IsDir() {
			unpacked[ch.Name()] = ch
		}
		if !names[ch.Name()] {
			out.Warnings = append(out.Warnings, fmt.Sprintf("%q is not in %s", p, ChartYAML))
		}
	}
	for _, d := range c.meta.Dependencies {
		out.Dependencies = append(out.Dependencies, Status{
			Name: d.Name, Version: d.Version, Repository: d.Repository,
			Status: status(charts, d, unpacked[d.Name]),
		})
	}
	return out, nil
}

func status(charts string, d *chart.Dependency, dirChart *chart.Chart) string {
	archives, _ := filepath.Glob(filepath.Join(charts, globEscape(d.Name)+"-*.tgz"))
	if len(archives) > 1 {
		var found []string
		for _, a := range archives {
			v := strings.TrimPrefix(strings.TrimSuffix(filepath.Base(a), ".tgz"), d.Name+"-")
			if _, err := semver.StrictNewVersion(v); err == nil {
				found = append(found, a)
			}
		}
		if len(found) > 1 {
			return StatusTooMany
		}
		archives = found
	}
	if len(archives) == 1 {
		ch, err := chart.Load(archives[0])
		if err != nil {
			return StatusCorrupt
		}
		if ch.Name() != d.Name {
			return StatusMisnamed
		}
		if s := versionStatus(d.Version, ch.Metadata.Version); s != "" {
			return s
		}
		return StatusOK
	}
	if dirChart == nil {
		return StatusMissing
	}
	if s := versionStatus(d.Version, dirChart.Metadata.Version); s != "" {
		return s
	}
	return StatusUnpacked
}

// versionStatus is "" when have satisfies want (a version or a constraint).
func versionStatus(want, have string) string {
	if want == have {
		return ""
	}
	c, err := semver.NewConstraint(want)
	if err != nil {
		return StatusInvalidVersion
	}
	v, err := semver.NewVersion(have)
	if err != nil {
		return StatusInvalidVersion
	}
	if !c.Check(v) {
		return StatusWrongVersion
	}
	return ""
}

func globEscape(s string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(s)
}
