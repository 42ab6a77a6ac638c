package repo

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// SearchOptions select what Search returns.
type SearchOptions struct {
	// Keyword is matched, case-insensitively, against each chart's name, repo/name,
	// description and keywords; "" matches everything.
	Keyword string
	// Regexp takes Keyword as a regular expression (case-sensitive, as in Helm).
	Regexp bool
	// Version is a SemVer constraint; by default the latest stable version of each
	// chart is returned (">=0.0.0"; with Devel ">=0.0.0-0", pre-releases included).
	Version string
	Devel   bool
	// Versions returns every matching version of each chart, not only the highest.
	Versions bool
}

// SearchResult is one chart version found.
type SearchResult struct {
	// Name is "repo/chart".
	Name  string
	Repo  string
	Chart *ChartVersion
	// Score is how far into the searched text the keyword matched: 0 in the chart's
	// name, 1 in repo/name, 2 in the description, 3 in the keywords. Lower is better.
	Score int
}

// Search looks for charts in the cached indexes of every repository: the highest
// version of each chart that matches the keyword and the constraint (every such
// version with Versions). Results are ordered by score, then name, then version
// (highest first). Repositories whose index
// is missing or unreadable are skipped and listed in warnings.
func (m *Manager) Search(opts SearchOptions) (results []SearchResult, warnings []string, err error) {
	f, err := LoadFile(m.opts.ConfigFile)
	if err != nil {
		return nil, nil, err
	}
	if len(f.Repositories) == 0 {
		return nil, nil, fmt.Errorf("%w; add one with hoist repo add NAME URL", ErrNoRepositories)
	}
	constraint := opts.Version
	if constraint == "" {
		constraint = ">=0.0.0"
		if opts.Devel {
			constraint = ">=0.0.0-0"
		}
	}
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return nil, nil, fmt.Errorf("--version %q is not a SemVer constraint: %w", opts.Version, err)
	}
	match := func(line string) (int, bool) {
		i := strings.Index(strings.ToLower(line), strings.ToLower(opts.Keyword))
		return i, i >= 0
	}
	if opts.Regexp {
		re, err := regexp.Compile(opts.Keyword)
		if err != nil {
			return nil, nil, fmt.Errorf("--regexp %q: %w", opts.Keyword, err)
		}
		match = func(line string) (int, bool) {
			loc := re.FindStringIndex(line)
			if loc == nil {
				return 0, false
			}
			return loc[0], true
		}
	}
	picked := map[string]bool{} // charts whose highest matching version is in results
	for _, e := range f.Repositories {
		idx, err := m.Index(e.Name)
		if err != nil {
			warnings = append(warnings, err.Error())
			continue
		}
		for name, versions := range idx.Entries {
			seen := map[string]bool{}
			for _, v := range versions { // highest first
				sv, err := semver.NewVersion(v.Version)
				if err != nil || seen[v.Version] || !c.Check(sv) {
					continue
				}
				line := searchLine(e.Name, name, v)
				pos, ok := match(line)
				if !ok {
					continue
				}
				seen[v.Version] = true
				r := SearchResult{Name: e.Name + "/" + name, Repo: e.Name, Chart: v, Score: score(line, pos)}
				if !opts.Versions {
					if picked[r.Name] {
						continue
					}
					picked[r.Name] = true
				}
				results = append(results, r)
			}
		}
	}
	sort.SliceStable(results, func(i, j int) bool {
		a, b := results[i], results[j]
		if a.Score != b.Score {
			return a.Score < b.Score
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		va, _ := semver.NewVersion(a.Chart.Version)
		vb, _ := semver.NewVersion(b.Chart.Version)
		return va.GreaterThan(vb)
	})
	return results, warnings, nil
}

// searchLine is what a keyword is matched against, fields separated by '\v'.
func searchLine(repo, name string, v *ChartVersion) string {
	return name + "\v" + repo + "/" + name + "\v" + v.Description + "\v" + strings.Join(v.Keywords, " ")
}

// score is the number of fields before the match position.
func score(line string, pos int) int {
	return strings.Count(line[:pos], "\v")
}
