package chart

import (
	"path"
	"regexp"
	"strings"
	"unicode"

	"github.com/Masterminds/semver/v3"
)

// aliasFormat is what a dependency alias may consist of.
var aliasFormat = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// Validate checks the chart's metadata (see Metadata.Validate).
func (c *Chart) Validate() error {
	return c.Metadata.Validate()
}

// Validate checks Chart.yaml with Helm's rules and messages, and, as Helm does,
// sanitises its free-text fields first: every Unicode space becomes ' ' and
// non-printable characters are removed (from name, description, home, icon,
// condition, tags, appVersion, kubeVersion, sources, keywords, maintainers and
// dependencies' name, version, repository, condition and tags).
//
// Rules, in order: apiVersion, name and version are required; name is not "." or
// ".." and has no slash; version parses as a semantic version (Masterminds/semver,
// which like Helm also accepts "v1", "1.2"); type is "", "application" or
// "library"; maintainers and dependencies have no null entries; an alias is
// [a-zA-Z0-9_-]+; no two dependencies share a name or alias (the alias counts when
// set). The first violation is returned as a ValidationError.
func (md *Metadata) Validate() error {
	if md == nil {
		return ValidationError("chart.metadata is required")
	}
	md.Name = sanitize(md.Name)
	md.Description = sanitize(md.Description)
	md.Home = sanitize(md.Home)
	md.Icon = sanitize(md.Icon)
	md.Condition = sanitize(md.Condition)
	md.Tags = sanitize(md.Tags)
	md.AppVersion = sanitize(md.AppVersion)
	md.KubeVersion = sanitize(md.KubeVersion)
	for i := range md.Sources {
		md.Sources[i] = sanitize(md.Sources[i])
	}
	for i := range md.Keywords {
		md.Keywords[i] = sanitize(md.Keywords[i])
	}

	switch {
	case md.APIVersion == "":
		return ValidationError("chart.metadata.apiVersion is required")
	case md.Name == "":
		return ValidationError("chart.metadata.name is required")
	case md.Name == "." || md.Name == "..":
		return validationErrorf("chart.metadata.name %q is not allowed", md.Name)
	case md.Name != path.Base(md.Name):
		return validationErrorf("chart.metadata.name %q is invalid", md.Name)
	case md.Version == "":
		return ValidationError("chart.metadata.version is required")
	}
	if _, err := semver.NewVersion(md.Version); err != nil {
		return validationErrorf("chart.metadata.version %q is invalid", md.Version)
	}
	switch md.Type {
	case "", "application", "library":
	default:
		return ValidationError("chart.metadata.type must be application or library")
	}
	for _, m := range md.Maintainers {
		if err := m.Validate(); err != nil {
			return err
		}
	}
	seen := make(map[string]bool, len(md.Dependencies))
	for _, d := range md.Dependencies {
		if err := d.Validate(); err != nil {
			return err
		}
		key := d.Name
		if d.Alias != "" {
			key = d.Alias
		}
		if seen[key] {
			return validationErrorf("more than one dependency with name or alias %q", key)
		}
		seen[key] = true
	}
	return nil
}

// Validate rejects a null maintainer and sanitises the fields (see Metadata.Validate).
func (m *Maintainer) Validate() error {
	if m == nil {
		return ValidationError("maintainers must not contain empty or null nodes")
	}
	m.Name = sanitize(m.Name)
	m.Email = sanitize(m.Email)
	m.URL = sanitize(m.URL)
	return nil
}

// Validate rejects a null dependency and an alias with characters other than
// [a-zA-Z0-9_-], and sanitises the fields (see Metadata.Validate).
func (d *Dependency) Validate() error {
	if d == nil {
		return ValidationError("dependencies must not contain empty or null nodes")
	}
	d.Name = sanitize(d.Name)
	d.Version = sanitize(d.Version)
	d.Repository = sanitize(d.Repository)
	d.Condition = sanitize(d.Condition)
	for i := range d.Tags {
		d.Tags[i] = sanitize(d.Tags[i])
	}
	if d.Alias != "" && !aliasFormat.MatchString(d.Alias) {
		return validationErrorf("dependency %q has disallowed characters in the alias", d.Name)
	}
	return nil
}

// sanitize turns every Unicode space into ' ' and drops non-printable characters.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsPrint(r):
			return r
		}
		return -1
	}, s)
}
