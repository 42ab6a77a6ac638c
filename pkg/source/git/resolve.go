package git

import (
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/hoist-dev/hoist/pkg/chart"
)

const (
	headsPrefix = "refs/heads/"
	tagsPrefix  = "refs/tags/"
	// minAbbrev is the shortest abbreviated commit hash accepted (git's default
	// abbreviation length), so short hex-looking names ("1234") stay SemVer ranges.
	minAbbrev = 7
)

// refSet is what ls-remote reports: every ref with the commit it points to (annotated
// tags peeled), and HEAD.
type refSet struct {
	head     plumbing.Hash // zero when the remote has no HEAD
	headName string        // "refs/heads/main" when the remote says what HEAD points to
	refs     map[string]plumbing.Hash
	// tips are the refs' own values where they differ from refs (annotated tags: the
	// tag object). A server sends only what a tip reaches, so the tip is what to ask.
	tips map[string]plumbing.Hash
}

// want is what to ask the server for to get commit: the tip of a ref that peels to it
// (a tag object), else the commit itself. advertised is false when no ref points to
// it, and a server may then refuse it.
func (rs *refSet) want(commit plumbing.Hash) (want plumbing.Hash, advertised bool) {
	if rs.head == commit {
		return commit, true
	}
	found := false
	for name, h := range rs.refs {
		if h != commit {
			continue
		}
		tip, peeled := rs.tips[name]
		if !peeled {
			return commit, true
		}
		if !found || tip.String() < want.String() {
			want, found = tip, true
		}
	}
	if found {
		return want, true
	}
	return commit, false
}

// Resolved is a ref resolved to a commit.
type Resolved struct {
	// Commit is the full hash (40 hex digits).
	Commit string
	// Ref is the full name of the ref that was selected: "refs/heads/main",
	// "refs/tags/v1.1.0", "HEAD"; empty when the ref was a commit hash.
	Ref string
}

// resolution is the outcome of resolving against a refSet: a commit, or a hash prefix
// that only a fetch of the history can find.
type resolution struct {
	Resolved
	prefix string // an abbreviated hash that is at no branch or tag
}

// resolve picks the commit ref names, in this order: "" or "HEAD" is the default
// branch; a full ref name ("refs/…"); a tag; a branch (tags win, as in git); a commit
// hash of 7 to 40 hex digits (a full hash is taken as is; an abbreviated one must be
// unique among the branch and tag tips, else it is searched in the history); and
// finally a SemVer range over the tags, "v" prefix allowed, highest match, pre-releases
// only when the range names one (Masterminds/semver rules, as Helm).
func resolve(rs *refSet, ref string) (resolution, error) {
	if ref == "" || ref == "HEAD" {
		if rs.head.IsZero() {
			if h, ok := rs.refs[rs.headName]; ok && rs.headName != "" {
				return resolution{Resolved: Resolved{Commit: h.String(), Ref: rs.headName}}, nil
			}
			return resolution{}, fmt.Errorf("%w: the repository has no HEAD (default branch); give a branch, tag or commit%s", ErrRefNotFound, rs.available())
		}
		name := "HEAD"
		if rs.headName != "" {
			name = rs.headName
		}
		return resolution{Resolved: Resolved{Commit: rs.head.String(), Ref: name}}, nil
	}
	if strings.HasPrefix(ref, "refs/") {
		if h, ok := rs.refs[ref]; ok {
			return resolution{Resolved: Resolved{Commit: h.String(), Ref: ref}}, nil
		}
		return resolution{}, fmt.Errorf("%w: no ref %s%s", ErrRefNotFound, ref, rs.available())
	}
	for _, full := range []string{tagsPrefix + ref, headsPrefix + ref} {
		if h, ok := rs.refs[full]; ok {
			return resolution{Resolved: Resolved{Commit: h.String(), Ref: full}}, nil
		}
	}
	if l := len(ref); l >= minAbbrev && l <= 40 && isHex(strings.ToLower(ref)) {
		ref = strings.ToLower(ref)
		if l == 40 {
			return resolution{Resolved: Resolved{Commit: ref}}, nil
		}
		var matches []string
		seen := map[plumbing.Hash]bool{}
		for _, h := range rs.refs {
			if !seen[h] && strings.HasPrefix(h.String(), ref) {
				seen[h] = true
				matches = append(matches, h.String())
			}
		}
		switch len(matches) {
		case 1:
			return resolution{Resolved: Resolved{Commit: matches[0]}}, nil
		case 0:
			return resolution{prefix: ref}, nil
		default:
			sort.Strings(matches)
			return resolution{}, fmt.Errorf("%w: abbreviated commit %s is ambiguous (%s); give more digits", ErrRefNotFound, ref, strings.Join(matches, ", "))
		}
	}
	if c, err := semver.NewConstraint(ref); err == nil {
		// Tag names in order, so that of equal versions ("1.0.0" and "v1.0.0")
		// the lexically smaller wins, whatever the map's order.
		var names, tags []string
		for name := range rs.refs {
			if strings.HasPrefix(name, tagsPrefix) {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		for _, name := range names {
			tags = append(tags, strings.TrimPrefix(name, tagsPrefix))
		}
		i := chart.HighestVersion(c, tags)
		if i < 0 {
			return resolution{}, fmt.Errorf("%w: no branch or tag %q, and no tag matches it as a SemVer range%s", ErrRefNotFound, ref, rs.available())
		}
		return resolution{Resolved: Resolved{Commit: rs.refs[names[i]].String(), Ref: names[i]}}, nil
	}
	return resolution{}, fmt.Errorf("%w: no branch, tag or commit %q%s", ErrRefNotFound, ref, rs.available())
}

// available lists a few branches and tags, for error messages.
func (rs *refSet) available() string {
	const max = 5
	var branches, tags []string
	for name := range rs.refs {
		if b, ok := strings.CutPrefix(name, headsPrefix); ok {
			branches = append(branches, b)
		} else if t, ok := strings.CutPrefix(name, tagsPrefix); ok {
			tags = append(tags, t)
		}
	}
	sort.Strings(branches)
	// Newest versions first; tags that are not versions after them, by name.
	sort.SliceStable(tags, func(i, j int) bool {
		vi, ei := semver.NewVersion(tags[i])
		vj, ej := semver.NewVersion(tags[j])
		switch {
		case ei == nil && ej == nil:
			if !vi.Equal(vj) {
				return vi.GreaterThan(vj)
			}
			return tags[i] < tags[j]
		case ei == nil:
			return true
		case ej == nil:
			return false
		}
		return tags[i] < tags[j]
	})
	list := func(kind string, names []string) string {
		if len(names) == 0 {
			return "no " + kind
		}
		s := kind + " " + strings.Join(names[:min(len(names), max)], ", ")
		if len(names) > max {
			s += fmt.Sprintf(" (and %d more)", len(names)-max)
		}
		return s
	}
	return "; the repository has " + list("branches", branches) + "; " + list("tags", tags)
}
