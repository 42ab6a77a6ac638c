package deps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// ErrUnknownRepository is returned by Update and Build for a dependency whose
// repository is "@name", "alias:name" or a name no added repository has.
var ErrUnknownRepository = errors.New("repository not found")

// Repository is a chart repository added with `hoist repo add`.
type Repository struct {
	Name string
	URL  string
}

// Request is a dependency to fetch from outside the chart directory.
type Request struct {
	// Dependency is as Chart.yaml declares it, with an "@name" or "alias:name"
	// repository replaced by the added repository's URL. Its repository is oci://…,
	// git+…, or an http(s) URL.
	Dependency *chart.Dependency
	// Version is a constraint (Update) or the locked version (Build).
	Version string
	// RepoName is the added repository the dependency comes from; "" for none.
	RepoName string
}

// Fetched is a dependency as a Fetcher got it.
type Fetched struct {
	// Chart is the chart fetched; Update checks its name and version.
	Chart *chart.Chart
	// Archive is the chart's archive as the source serves it; nil when the source
	// has none (Git): the chart is then packaged.
	Archive []byte
	// Digest identifies what was fetched ("sha256:…" of the archive, "git:<commit>").
	Digest string
}

// Fetcher gets what lives outside the chart directory: the added repositories and
// the dependencies from OCI registries, Git and chart repositories. pkg/action
// implements it over pkg/source; the chart layer does no fetching of its own.
type Fetcher interface {
	// Repositories lists the repositories added with `hoist repo add`.
	Repositories(ctx context.Context) ([]Repository, error)
	// Refresh downloads the indexes of the named added repositories.
	Refresh(ctx context.Context, names []string) error
	// Fetch gets one dependency.
	Fetch(ctx context.Context, req Request) (*Fetched, error)
}

// Manager resolves and vendors dependencies: file:// and unpacked ones itself, the
// others through Fetcher.
type Manager struct {
	// Fetcher gets the dependencies from outside the chart directory; nil allows
	// only file:// and unpacked ones.
	Fetcher Fetcher
	// Now is the clock for Chart.lock's generated time; default time.Now.
	Now func() time.Time
}

// Options configure Update and Build.
type Options struct {
	// SkipRefresh does not download the indexes of added repositories first.
	SkipRefresh bool
	// SourceDateEpoch, when set, is Chart.lock's generated time and the modification
	// time in archives packaged from local directories.
	SourceDateEpoch *time.Time
}

// Locked is one dependency as resolved and vendored.
type Locked struct {
	Name       string `json:"name"`
	Alias      string `json:"alias,omitempty"`
	Repository string `json:"repository"`
	// Version is the concrete version (for a dependency in charts/ without a
	// repository, the constraint, as Helm records it).
	Version string `json:"version"`
	// Digest identifies what was fetched ("sha256:…" of the archive, "git:<commit>").
	Digest string `json:"digest,omitempty"`
	// Archive is the file written under charts/, relative to the chart directory.
	Archive string `json:"archive,omitempty"`
}

// Result is what Update or Build did.
type Result struct {
	Dependencies []Locked `json:"dependencies"`
	// LockFile is the lock file's path; LockWritten whether it was (re)written.
	LockFile    string `json:"lockFile,omitempty"`
	LockWritten bool   `json:"lockWritten"`
	// Removed are stale archives deleted from charts/.
	Removed []string `json:"removed,omitempty"`
}

// Update resolves the dependencies of the chart in dir, vendors them into charts/
// and writes the lock file (unless its digest is unchanged, as Helm does).
func (m *Manager) Update(ctx context.Context, dir string, opts Options) (*Result, error) {
	c, err := readChartDir(dir)
	if err != nil {
		return nil, err
	}
	res := &Result{LockFile: filepath.Join(dir, c.lockName())}
	req := c.meta.Dependencies
	if len(req) == 0 {
		return res, nil
	}
	repoNames, err := m.resolveRepos(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := m.refresh(ctx, repoNames, opts); err != nil {
		return nil, err
	}
	locked := make([]*chart.Dependency, len(req))
	fetched := make([]*resolved, len(req))
	for i, d := range req {
		f, err := m.fetch(ctx, c, d, d.Version, repoNames[i], opts)
		if err != nil {
			return nil, err
		}
		fetched[i] = f
		locked[i] = &chart.Dependency{Name: d.Name, Repository: d.Repository, Version: f.version}
	}
	if err := m.vendor(c, req, fetched, res); err != nil {
		return nil, err
	}
	sum, err := HashReq(req, locked)
	if err != nil {
		return nil, err
	}
	if c.lock == nil || c.lock.Digest != sum {
		lock := &chart.Lock{Generated: lockTime(opts.SourceDateEpoch, m.Now), Digest: sum, Dependencies: locked}
		if err := writeLock(res.LockFile, lock); err != nil {
			return nil, fmt.Errorf("writing %s: %w", res.LockFile, err)
		}
		res.LockWritten = true
	}
	return res, nil
}

// Build fetches the versions the lock file records into charts/. It fails with
// ErrLockOutOfDate when the lock no longer matches Chart.yaml, and with ErrNoLock
// when there is no lock file (Helm then runs an update; callers may do the same).
func (m *Manager) Build(ctx context.Context, dir string, opts Options) (*Result, error) {
	c, err := readChartDir(dir)
	if err != nil {
		return nil, err
	}
	res := &Result{LockFile: filepath.Join(dir, c.lockName())}
	if c.lock == nil {
		return nil, fmt.Errorf("chart %s: %w %s", dir, ErrNoLock, c.lockName())
	}
	req := c.meta.Dependencies
	var v2Sum string
	if c.v1() {
		v2Sum, _ = HashV2Req(req)
	}
	repoNames, err := m.resolveRepos(ctx, req)
	if err != nil {
		return nil, err
	}
	sum, err := HashReq(req, c.lock.Dependencies)
	if err != nil || (sum != c.lock.Digest && (!c.v1() || v2Sum != c.lock.Digest)) {
		yamlName := ChartYAML
		if c.v1() {
			yamlName = RequirementsYAML
		}
		return nil, fmt.Errorf("chart %s: %w: %s does not match %s; run hoist dependency update %s", dir, ErrLockOutOfDate, c.lockName(), yamlName, dir)
	}
	if len(c.lock.Dependencies) != len(req) {
		return nil, fmt.Errorf("chart %s: %w: %s locks %d dependencies, the chart has %d; run hoist dependency update %s", dir, ErrLockOutOfDate, c.lockName(), len(c.lock.Dependencies), len(req), dir)
	}
	if err := m.refresh(ctx, repoNames, opts); err != nil {
		return nil, err
	}
	fetched := make([]*resolved, len(req))
	for i, d := range req {
		l := c.lock.Dependencies[i]
		if l == nil || l.Name != d.Name {
			return nil, fmt.Errorf("chart %s: %w: entry %d of %s is not dependency %q; run hoist dependency update %s", dir, ErrLockOutOfDate, i+1, c.lockName(), d.Name, dir)
		}
		f, err := m.fetch(ctx, c, d, l.Version, repoNames[i], opts)
		if err != nil {
			return nil, err
		}
		fetched[i] = f
	}
	if err := m.vendor(c, req, fetched, res); err != nil {
		return nil, err
	}
	return res, nil
}

// resolved is a dependency resolved to a version, with its archive unless it lives
// unpacked in charts/.
type resolved struct {
	version string
	digest  string
	name    string // the chart's name (the archive's top-level directory)
	archive []byte
}

func depError(d *chart.Dependency, err error) error {
	if d.Repository == "" {
		return fmt.Errorf("dependency %q (in charts/): %w", d.Name, err)
	}
	return fmt.Errorf("dependency %q (repository %q): %w", d.Name, d.Repository, err)
}

// resolveRepos rewrites "@name" and "alias:name" repositories to the added
// repository's URL (in req, as Helm does before hashing) and returns, per dependency,
// the name of the added repository it comes from ("" for none).
func (m *Manager) resolveRepos(ctx context.Context, req []*chart.Dependency) ([]string, error) {
	names := make([]string, len(req))
	var entries []Repository
	if m.Fetcher != nil {
		var err error
		if entries, err = m.Fetcher.Repositories(ctx); err != nil {
			return nil, err
		}
	}
	var missing []string
	for i, d := range req {
		r := d.Repository
		if r == "" || strings.HasPrefix(r, "file://") || strings.HasPrefix(r, "oci://") || strings.HasPrefix(r, "git+") {
			continue
		}
		alias, isAlias := strings.CutPrefix(r, "@")
		if !isAlias {
			alias, isAlias = strings.CutPrefix(r, "alias:")
		}
		found := false
		for _, e := range entries {
			if (isAlias && alias == e.Name) || (!isAlias && sameURL(e.URL, r)) {
				if isAlias {
					d.Repository = e.URL
				}
				names[i], found = e.Name, true
				break
			}
		}
		if found {
			continue
		}
		if isAlias || (!strings.HasPrefix(r, "https://") && !strings.HasPrefix(r, "http://")) {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: no repository definition for %s; add them with hoist repo add, and refer to them by URL or as @NAME", ErrUnknownRepository, strings.Join(missing, ", "))
	}
	return names, nil
}

func sameURL(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

// refresh downloads the indexes of the added repositories the dependencies use.
func (m *Manager) refresh(ctx context.Context, repoNames []string, opts Options) error {
	if opts.SkipRefresh || m.Fetcher == nil {
		return nil
	}
	var names []string
	seen := map[string]bool{}
	for _, n := range repoNames {
		if n != "" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return m.Fetcher.Refresh(ctx, names)
}

// fetch resolves dependency d at version (a constraint for Update, the locked
// version for Build) and gets its archive.
func (m *Manager) fetch(ctx context.Context, c *chartDir, d *chart.Dependency, version, repoName string, opts Options) (*resolved, error) {
	constraint, err := semver.NewConstraint(version)
	if version != "" && err != nil {
		return nil, depError(d, fmt.Errorf("invalid version or constraint %q: %w", version, err))
	}
	check := func(v string) error {
		sv, err := semver.NewVersion(v)
		if err != nil {
			return fmt.Errorf("version %q is not SemVer: %w", v, err)
		}
		if constraint != nil && !constraint.Check(sv) {
			return fmt.Errorf("version %s does not satisfy %q", v, version)
		}
		return nil
	}
	var so chart.SaveOptions
	if opts.SourceDateEpoch != nil {
		so.ModTime = *opts.SourceDateEpoch
	}
	r := d.Repository
	switch {
	case r == "":
		// An unpacked chart in charts/: checked, not fetched.
		ch, err := chart.LoadDir(filepath.Join(c.dir, "charts", d.Name))
		if err != nil {
			return nil, depError(d, err)
		}
		if err := check(ch.Metadata.Version); err != nil {
			return nil, depError(d, err)
		}
		return &resolved{version: version, name: ch.Name()}, nil
	case strings.HasPrefix(r, "file://"):
		p := strings.TrimPrefix(r, "file://")
		if !filepath.IsAbs(p) {
			p = filepath.Join(c.dir, p)
		}
		ch, err := chart.LoadDir(p)
		if err != nil {
			return nil, depError(d, err)
		}
		if err := check(ch.Metadata.Version); err != nil {
			return nil, depError(d, err)
		}
		var buf bytes.Buffer
		if err := chart.Write(&buf, ch, so); err != nil {
			return nil, depError(d, err)
		}
		return &resolved{version: ch.Metadata.Version, name: ch.Name(), archive: buf.Bytes(), digest: "sha256:" + sha256hex(buf.Bytes())}, nil
	}
	if m.Fetcher == nil {
		return nil, depError(d, errors.New("only file:// and unpacked dependencies are supported here"))
	}
	f, err := m.Fetcher.Fetch(ctx, Request{Dependency: d, Version: version, RepoName: repoName})
	if err != nil {
		return nil, depError(d, err)
	}
	if f == nil || f.Chart == nil || f.Chart.Metadata == nil {
		return nil, depError(d, errors.New("fetched no chart"))
	}
	if f.Chart.Metadata.Name != d.Name {
		return nil, depError(d, fmt.Errorf("the chart fetched is named %q", f.Chart.Metadata.Name))
	}
	if err := check(f.Chart.Metadata.Version); err != nil {
		return nil, depError(d, err)
	}
	out := &resolved{version: f.Chart.Metadata.Version, name: f.Chart.Metadata.Name, digest: f.Digest, archive: f.Archive}
	if out.archive == nil {
		var buf bytes.Buffer
		if err := chart.Write(&buf, f.Chart, so); err != nil {
			return nil, depError(d, err)
		}
		out.archive = buf.Bytes()
	}
	return out, nil
}

// vendor writes the fetched archives into charts/ and removes the other archives of
// the same charts. Every archive is written to a temporary file first, so a failure
// leaves charts/ as it was.
func (m *Manager) vendor(c *chartDir, req []*chart.Dependency, got []*resolved, res *Result) error {
	dest := filepath.Join(c.dir, "charts")
	if fi, err := os.Stat(dest); err == nil && !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dest)
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	type pending struct{ tmp, final string }
	var todo []pending
	cleanup := func() {
		for _, p := range todo {
			os.Remove(p.tmp)
		}
	}
	keep := map[string]bool{}
	names := map[string]bool{}
	for i, f := range got {
		d := req[i]
		res.Dependencies = append(res.Dependencies, Locked{Name: d.Name, Alias: d.Alias, Repository: d.Repository, Version: f.version, Digest: f.digest})
		if f.archive == nil {
			continue
		}
		base := f.name + "-" + f.version + ".tgz"
		res.Dependencies[i].Archive = filepath.ToSlash(filepath.Join("charts", base))
		names[f.name] = true
		if keep[base] {
			continue // the same chart under two aliases
		}
		keep[base] = true
		tmp, err := os.CreateTemp(dest, ".hoist-dep-*")
		if err == nil {
			_, err = tmp.Write(f.archive)
			if cerr := tmp.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = os.Chmod(tmp.Name(), 0o644)
			}
			todo = append(todo, pending{tmp.Name(), filepath.Join(dest, base)})
		}
		if err != nil {
			cleanup()
			return depError(d, fmt.Errorf("writing %s: %w", base, err))
		}
	}
	for _, p := range todo {
		if err := os.Rename(p.tmp, p.final); err != nil {
			cleanup()
			return err
		}
	}
	// Stale archives: other versions of the charts just vendored.
	entries, err := os.ReadDir(dest)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || keep[n] || filepath.Ext(n) != ".tgz" {
			continue
		}
		p := filepath.Join(dest, n)
		ch, err := chart.Load(p)
		if err != nil || !names[ch.Name()] {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing stale %s: %w", p, err)
		}
		res.Removed = append(res.Removed, filepath.ToSlash(filepath.Join("charts", n)))
	}
	return nil
}
