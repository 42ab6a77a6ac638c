package repo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// IndexFile is a repository's index.yaml (Helm's format).
type IndexFile struct {
	APIVersion  string                   `json:"apiVersion"`
	Generated   time.Time                `json:"generated"`
	Entries     map[string]ChartVersions `json:"entries"`
	PublicKeys  []string                 `json:"publicKeys,omitempty"`
	Annotations map[string]string        `json:"annotations,omitempty"`
	// ServerInfo is what ChartMuseum adds; it is read and ignored.
	ServerInfo map[string]any `json:"serverInfo,omitempty"`

	// Skipped describes the entries LoadIndex dropped as invalid ("web 1.x: …").
	Skipped []string `json:"-"`
}

// ChartVersion is one version of a chart in the index: its Chart.yaml fields, where to
// download it and the archive's digest.
type ChartVersion struct {
	*chart.Metadata
	URLs    []string  `json:"urls"`
	Created time.Time `json:"created"`
	Removed bool      `json:"removed,omitempty"`
	// Digest is the sha256 of the archive, hex ("sha256:" prefix allowed).
	Digest string `json:"digest,omitempty"`
}

// ChartVersions are a chart's versions, highest first once loaded.
type ChartVersions []*ChartVersion

// LoadIndex parses an index (YAML, or JSON as some servers send). Like Helm it drops,
// rather than fails on, entries whose metadata is invalid (no name, a version that is
// not SemVer…) and lists them in Skipped; unknown fields are ignored. Each chart's
// versions are sorted highest first.
func LoadIndex(data []byte) (*IndexFile, error) {
	return LoadIndexFrom(bytes.NewReader(data))
}

// LoadIndexFrom is LoadIndex reading from r, which it does not keep: YAML is decoded
// straight into the index, one chart at a time when the index has the usual block
// layout, without the copies a YAML-to-JSON conversion makes.
func LoadIndexFrom(r io.ReadSeeker) (*IndexFile, error) {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidIndex, err)
	}
	var i *IndexFile
	if first == '{' {
		i = decodeJSONIndex(br)
	}
	if i == nil && first != '{' {
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		i, _ = decodeYAMLChunked(r)
	}
	if i == nil { // another YAML layout, or '{' that was a YAML flow mapping rather than JSON
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		if i, err = decodeYAMLIndex(r); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidIndex, err)
		}
	}
	if i.APIVersion == "" {
		return nil, fmt.Errorf("%w: no apiVersion (is this a chart repository?)", ErrInvalidIndex)
	}
	if i.Entries == nil {
		i.Entries = map[string]ChartVersions{}
	}
	for name, versions := range i.Entries {
		kept := versions[:0]
		for _, v := range versions {
			if reason := v.invalid(name); reason != "" {
				i.Skipped = append(i.Skipped, reason)
				continue
			}
			kept = append(kept, v)
		}
		if len(kept) == 0 {
			delete(i.Entries, name)
			continue
		}
		i.Entries[name] = kept
	}
	sort.Strings(i.Skipped)
	i.SortEntries()
	return i, nil
}

// invalid says why the entry cannot be used, or "".
func (v *ChartVersion) invalid(name string) string {
	if v == nil {
		return name + ": empty entry"
	}
	if v.Metadata == nil {
		v.Metadata = &chart.Metadata{}
	}
	if v.APIVersion == "" {
		v.APIVersion = chart.APIVersionV1
	}
	err := v.Validate()
	var ve chart.ValidationError
	// Some servers strip dependency aliases, which then look duplicated: harmless
	// in an index (Helm ignores it too).
	if errors.As(err, &ve) && strings.HasPrefix(string(ve), "more than one dependency with name or alias") {
		err = nil
	}
	if err != nil {
		return fmt.Sprintf("%s %s: %v", name, v.Version, err)
	}
	if v.Name != name {
		return fmt.Sprintf("%s %s: the entry is for chart %q", name, v.Version, v.Name)
	}
	return ""
}

// SortEntries sorts each chart's versions highest first (SemVer order; equal versions
// by creation time, newest first).
func (i *IndexFile) SortEntries() {
	for _, vs := range i.Entries {
		parsed := make(map[*ChartVersion]*semver.Version, len(vs))
		for _, v := range vs {
			if sv, err := semver.NewVersion(v.Version); err == nil {
				parsed[v] = sv
			}
		}
		sort.SliceStable(vs, func(a, b int) bool {
			va, vb := parsed[vs[a]], parsed[vs[b]]
			if va == nil || vb == nil {
				return va != nil && vb == nil
			}
			if !va.Equal(vb) {
				return va.GreaterThan(vb)
			}
			return vs[a].Created.After(vs[b].Created)
		})
	}
}

// isRange reports whether version is a constraint rather than one version.
func isRange(version string) bool {
	if strings.ContainsAny(version, "^~<>=!*|, ") {
		return true
	}
	core, _, _ := strings.Cut(version, "-")
	core, _, _ = strings.Cut(core, "+")
	return strings.ContainsAny(core, "xX")
}

// Get returns the version of chart name that version selects: the highest stable
// version when version is ""; the entry whose version is exactly that string; else
// the highest version matching version as a SemVer constraint ("^1.2", "~1.2.3",
// ">=1 <2", "1.2.x"). Pre-releases match only a constraint that names one (">=1.0.0-0"),
// as in Helm and Masterminds/semver.
func (i *IndexFile) Get(name, version string) (*ChartVersion, error) {
	vs, ok := i.Entries[name]
	if !ok || len(vs) == 0 {
		return nil, ErrChartNotFound
	}
	for _, v := range vs {
		if version != "" && v.Version == version {
			return v, nil
		}
	}
	c, err := chart.ParseVersionConstraint(version)
	if err != nil {
		return nil, fmt.Errorf("version %q is neither a version nor a SemVer constraint: %w", version, err)
	}
	versions := make([]string, len(vs))
	for j, v := range vs {
		versions[j] = v.Version
	}
	if j := chart.HighestVersion(c, versions); j >= 0 {
		return vs[j], nil
	}
	var list []string
	for _, v := range vs[:min(len(vs), 8)] {
		list = append(list, v.Version)
	}
	hint := "versions " + strings.Join(list, ", ")
	if len(vs) > len(list) {
		hint += fmt.Sprintf(" (and %d more)", len(vs)-len(list))
	}
	if version == "" {
		return nil, fmt.Errorf("%w: chart %s has only pre-release versions (%s); ask for one with --version", ErrVersionNotFound, name, hint)
	}
	what := "constraint"
	if !isRange(version) {
		what = "version"
	}
	return nil, fmt.Errorf("%w: %s %q of chart %s; the repository has %s", ErrVersionNotFound, what, version, name, hint)
}
