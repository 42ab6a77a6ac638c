package repo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/source"
)

// Options say where the repositories file and the cache are.
type Options struct {
	// ConfigFile is the repositories file (repositories.yaml).
	ConfigFile string
	// CacheDir holds <name>-index.yaml and <name>-charts.txt per repository, and
	// downloaded archives under charts/, named by their sha256.
	CacheDir string
	// UserAgent is sent with every request.
	UserAgent string
	// Timeout bounds each HTTP request (default 2 minutes).
	Timeout time.Duration
	// MaxIndexSize is the largest index read, downloaded or cached, in bytes
	// (default DefaultMaxIndexSize).
	MaxIndexSize int64
}

// DefaultOptions reads the environment: $HOIST_REPOSITORY_CONFIG, else
// ${XDG_CONFIG_HOME:-~/.config}/hoist/repositories.yaml; $HOIST_REPOSITORY_CACHE, else
// ${XDG_CACHE_HOME:-~/.cache}/hoist/repository.
func DefaultOptions() Options {
	home, _ := os.UserHomeDir()
	dir := func(xdg, fallback string) string {
		if d := os.Getenv(xdg); d != "" {
			return d
		}
		if home == "" {
			return filepath.Join(os.TempDir(), "hoist-"+fallback)
		}
		return filepath.Join(home, fallback)
	}
	o := Options{
		ConfigFile: filepath.Join(dir("XDG_CONFIG_HOME", ".config"), "hoist", "repositories.yaml"),
		CacheDir:   filepath.Join(dir("XDG_CACHE_HOME", ".cache"), "hoist", "repository"),
	}
	if p := os.Getenv("HOIST_REPOSITORY_CONFIG"); p != "" {
		o.ConfigFile = p
	}
	if p := os.Getenv("HOIST_REPOSITORY_CACHE"); p != "" {
		o.CacheDir = p
	}
	return o
}

// Manager manages the repositories of one repositories file and cache, and fetches
// their charts (it is the source.Getter for repo/chart references). Safe for
// concurrent use; several processes may share the files.
type Manager struct {
	opts Options
}

var _ source.Getter = (*Manager)(nil)

// NewManager returns a Manager.
func NewManager(opts Options) *Manager {
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Minute
	}
	if opts.MaxIndexSize <= 0 {
		opts.MaxIndexSize = DefaultMaxIndexSize
	}
	return &Manager{opts: opts}
}

// IndexPath is where the index of repository name is cached.
func (m *Manager) IndexPath(name string) string {
	return filepath.Join(m.opts.CacheDir, name+"-index.yaml")
}

func (m *Manager) chartsPath(name string) string {
	return filepath.Join(m.opts.CacheDir, name+"-charts.txt")
}

// List returns the repositories in file order.
func (m *Manager) List() ([]*Entry, error) {
	f, err := LoadFile(m.opts.ConfigFile)
	if err != nil {
		return nil, err
	}
	return f.Repositories, nil
}

// AddResult says what Add did.
type AddResult int

// Outcomes of Add.
const (
	Added     AddResult = iota // a new repository
	Unchanged                  // the same configuration was there already: nothing done
	Replaced                   // --force-update replaced another configuration
)

// Add adds repository e after downloading its index (so a wrong URL or credentials
// fail here, not later). Adding a name again with the same configuration changes
// nothing; with another configuration it fails with ErrRepoExists unless force.
// The repositories file is locked meanwhile, so concurrent Adds all land.
func (m *Manager) Add(ctx context.Context, e Entry, force bool) (AddResult, error) {
	if err := ValidateName(e.Name); err != nil {
		return 0, err
	}
	e.URL = strings.TrimSuffix(e.URL, "/")
	c, err := newClient(&e, m.opts.UserAgent, m.opts.Timeout)
	if err != nil {
		return 0, fmt.Errorf("repo %s: %w", e.Name, err)
	}
	result := Added
	err = EditFile(ctx, m.opts.ConfigFile, func(f *File) error {
		if old := f.Get(e.Name); old != nil {
			if *old == e {
				result = Unchanged
				return errUnchanged
			}
			if !force {
				return fmt.Errorf("%w: repo %s is %s; use --force-update to replace it", ErrRepoExists, e.Name, old.URL)
			}
			result = Replaced
		}
		raw, idx, err := m.fetchIndex(ctx, c)
		if errors.Is(err, ErrTooLarge) {
			return fmt.Errorf("repo %s: the index of %s: %w", e.Name, redactString(e.URL), err)
		}
		if err != nil {
			return fmt.Errorf("repo %s: %q is not a chart repository or cannot be reached: %w", e.Name, redactString(e.URL), err)
		}
		if err := m.writeIndex(e.Name, raw, idx); err != nil {
			return err
		}
		f.Update(&e)
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return Unchanged, nil
	}
	return result, err
}

var errUnchanged = errors.New("unchanged")

// fetchIndex downloads c's index into a temporary file in the cache and parses it.
func (m *Manager) fetchIndex(ctx context.Context, c *client) (tmp string, idx *IndexFile, err error) {
	return c.fetchIndex(ctx, m.opts.CacheDir, m.opts.MaxIndexSize)
}

// writeIndex moves the downloaded index tmp into the cache and lists its charts.
func (m *Manager) writeIndex(name, tmp string, idx *IndexFile) error {
	if err := os.Rename(tmp, m.IndexPath(name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("repo %s: caching the index: %w", name, err)
	}
	names := make([]string, 0, len(idx.Entries))
	for n := range idx.Entries {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		b.WriteString(n + "\n")
	}
	return atomicWrite(m.chartsPath(name), b.Bytes(), 0o644)
}

// UpdateResult is the outcome of updating one repository.
type UpdateResult struct {
	Name   string
	URL    string
	Charts int
	// Skipped lists the index entries that were dropped as invalid.
	Skipped []string
	Err     error
}

// Update downloads the indexes of the named repositories (all when none are named),
// four at a time. Unknown names fail before anything is downloaded; a repository that
// fails does not stop the others: see each result's Err.
func (m *Manager) Update(ctx context.Context, names ...string) ([]UpdateResult, error) {
	f, err := LoadFile(m.opts.ConfigFile)
	if err != nil {
		return nil, err
	}
	var entries []*Entry
	if len(names) == 0 {
		entries = f.Repositories
		if len(entries) == 0 {
			return nil, fmt.Errorf("%w; add one with hoist repo add NAME URL", ErrNoRepositories)
		}
	}
	for _, n := range names {
		e := f.Get(n)
		if e == nil {
			return nil, notAdded(n)
		}
		entries = append(entries, e)
	}
	results := make([]UpdateResult, len(entries))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, e := range entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = m.update(ctx, e)
		}()
	}
	wg.Wait()
	return results, nil
}

func (m *Manager) update(ctx context.Context, e *Entry) UpdateResult {
	r := UpdateResult{Name: e.Name, URL: redactString(e.URL)}
	c, err := newClient(e, m.opts.UserAgent, m.opts.Timeout)
	if err == nil {
		var (
			raw string
			idx *IndexFile
		)
		raw, idx, err = m.fetchIndex(ctx, c)
		if err == nil {
			err = m.writeIndex(e.Name, raw, idx)
			r.Charts, r.Skipped = len(idx.Entries), idx.Skipped
		}
	}
	if err != nil {
		r.Err = fmt.Errorf("repo %s: %w", e.Name, err)
	}
	return r
}

func notAdded(name string) error { return repoNotFoundError(name) }

// repoNotFoundError is ErrRepoNotFound for one name, with what to do about it.
type repoNotFoundError string

func (e repoNotFoundError) Error() string {
	return fmt.Sprintf("repo %s not found; run hoist repo add %s URL", string(e), string(e))
}

func (e repoNotFoundError) Is(target error) bool { return target == ErrRepoNotFound }

// Remove removes the named repositories and their cached indexes. If any name is not
// a repository, nothing is removed.
func (m *Manager) Remove(ctx context.Context, names ...string) error {
	err := EditFile(ctx, m.opts.ConfigFile, func(f *File) error {
		for _, n := range names {
			if f.Get(n) == nil {
				return notAdded(n)
			}
		}
		for _, n := range names {
			f.Remove(n)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, n := range names {
		for _, p := range []string{m.IndexPath(n), m.chartsPath(n)} {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("repo %s: removing its cached index: %w", n, err)
			}
		}
	}
	return nil
}

// Index returns the cached index of repository name (ErrNoIndex when `repo update`
// has not downloaded it).
func (m *Manager) Index(name string) (*IndexFile, error) {
	f, err := os.Open(m.IndexPath(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("repo %s: %w; run hoist repo update %s", name, ErrNoIndex, name)
	}
	if err != nil {
		return nil, fmt.Errorf("repo %s: %w", name, err)
	}
	defer f.Close()
	// An index cached under an older, higher limit is refused here too.
	if st, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("repo %s: %w", name, err)
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("repo %s: cached index %s is not a regular file", name, m.IndexPath(name))
	} else if st.Size() > m.opts.MaxIndexSize {
		return nil, fmt.Errorf("repo %s: cached index %s: %w: larger than the limit of %s; run hoist repo update %s", name, m.IndexPath(name), ErrTooLarge, formatSize(m.opts.MaxIndexSize), name)
	}
	idx, err := LoadIndexFrom(io.NewSectionReader(f, 0, m.opts.MaxIndexSize))
	if err != nil {
		return nil, fmt.Errorf("repo %s: cached index %s: %w", name, m.IndexPath(name), err)
	}
	return idx, nil
}

// Get fetches chart ref.Chart of repository ref.RepoName at the version ref.Version
// selects (see IndexFile.Get), from the cached index (downloaded first if missing).
// The archive is checked against the index's digest and kept in the cache, so a
// version with a digest is downloaded once. Fetched.Source is the archive's absolute
// URL; Fetched.Digest its sha256.
func (m *Manager) Get(ctx context.Context, ref source.Ref) (*source.Fetched, error) {
	if ref.Kind != source.Repo {
		return nil, fmt.Errorf("repo: %s is a %s reference", ref.Raw, ref.Kind)
	}
	subject := "repo " + ref.RepoName + " chart " + ref.Chart
	if ref.Version != "" {
		subject += " version " + ref.Version
	}
	f, err := LoadFile(m.opts.ConfigFile)
	if err != nil {
		return nil, err
	}
	e := f.Get(ref.RepoName)
	if e == nil {
		return nil, notAdded(ref.RepoName)
	}
	c, err := newClient(e, m.opts.UserAgent, m.opts.Timeout)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", subject, err)
	}
	idx, err := m.Index(e.Name)
	if errors.Is(err, ErrNoIndex) {
		var raw string
		raw, idx, err = m.fetchIndex(ctx, c)
		if err == nil {
			err = m.writeIndex(e.Name, raw, idx)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", subject, err)
	}
	cv, err := idx.Get(ref.Chart, ref.Version)
	if errors.Is(err, ErrChartNotFound) {
		return nil, fmt.Errorf("%s: %w in the index (run hoist repo update %s if it was published since; hoist search repo %s lists what there is)", subject, err, e.Name, e.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", subject, err)
	}
	archive, sum, body, err := m.download(ctx, c, cv)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", subject, cv.Version, err)
	}
	ch, err := chart.LoadArchive(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s %s: loading %s: %w", subject, cv.Version, archive, err)
	}
	if ch.Metadata.Name != ref.Chart {
		return nil, fmt.Errorf("%s %s: the archive holds chart %q", subject, cv.Version, ch.Metadata.Name)
	}
	href, _ := ResolveURL(e.URL, cv.URLs[0])
	return &source.Fetched{
		Chart:   ch,
		Version: cv.Version,
		Digest:  "sha256:" + sum,
		Source:  redactString(href),
		Archive: archive,
	}, nil
}

// download gets cv's archive, from the cache when the index gives its digest and the
// cache has it, and verifies it against that digest.
func (m *Manager) download(ctx context.Context, c *client, cv *ChartVersion) (path, sum string, body []byte, err error) {
	if len(cv.URLs) == 0 {
		return "", "", nil, errors.New("the index gives no URL to download it from")
	}
	want := strings.ToLower(strings.TrimPrefix(cv.Digest, "sha256:"))
	dir := filepath.Join(m.opts.CacheDir, "charts")
	if want != "" {
		p := filepath.Join(dir, "sha256-"+want+".tgz")
		if b, err := os.ReadFile(p); err == nil && sha256hex(b) == want {
			return p, want, b, nil
		}
	}
	href, err := ResolveURL(c.entry.URL, cv.URLs[0])
	if err != nil {
		return "", "", nil, err
	}
	body, err = c.get(ctx, href, maxChartSize)
	if err != nil {
		return "", "", nil, err
	}
	sum = sha256hex(body)
	if want != "" && sum != want {
		return "", "", nil, fmt.Errorf("%w: %s has sha256:%s, the index says sha256:%s", ErrDigestMismatch, redactString(href), sum, want)
	}
	path = filepath.Join(dir, "sha256-"+sum+".tgz")
	if err := atomicWrite(path, body, 0o644); err != nil {
		return "", "", nil, fmt.Errorf("caching the archive: %w", err)
	}
	return path, sum, body, nil
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
