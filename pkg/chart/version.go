package chart

import "github.com/Masterminds/semver/v3"

// ParseVersionConstraint parses a requested chart version (--version, a version
// in a chart reference) as a SemVer constraint: one version ("1.2.3") or a range
// ("^1.2", "~1.2.3", ">=1 <2", "1.2.x"); "" is "*", any stable version.
// Pre-releases match only a constraint that names one (">=1.0.0-0"), as in Helm
// and Masterminds/semver.
func ParseVersionConstraint(s string) (*semver.Constraints, error) {
	if s == "" {
		s = "*"
	}
	return semver.NewConstraint(s)
}

// HighestVersion is the index in versions of the highest version that c allows,
// or -1 when none does. Strings that are not SemVer versions are skipped; of
// equal versions ("1.0.0" and "v1.0.0") the first wins, so the caller's order
// breaks ties.
func HighestVersion(c *semver.Constraints, versions []string) int {
	best := -1
	var bestV *semver.Version
	for i, s := range versions {
		v, err := semver.NewVersion(s)
		if err != nil || !c.Check(v) {
			continue
		}
		if bestV == nil || v.GreaterThan(bestV) {
			best, bestV = i, v
		}
	}
	return best
}
