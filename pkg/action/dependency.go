package action

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/chart/deps"
	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/source/repo"
)

// DependencyRepos is what the dependency use cases need of the chart repositories
// added with `hoist repo add` (*repo.Manager).
type DependencyRepos interface {
	List() ([]*repo.Entry, error)
	Update(ctx context.Context, names ...string) ([]repo.UpdateResult, error)
	Get(ctx context.Context, ref source.Ref) (*source.Fetched, error)
}

// DependencySources are where DependencyUpdate and DependencyBuild fetch from. Each
// is optional: a dependency whose kind has none fails with an error naming it.
type DependencySources struct {
	// OCI builds the getter of oci:// dependencies for a call's registry options;
	// nil means NewRegistryClient.
	OCI func(RegistryOptions) (source.Getter, error)
	// Git fetches git+https://, git+ssh://… dependencies (*git.Getter).
	Git source.Getter
	// Repos are the added chart repositories, for dependencies whose repository is
	// "@name", "alias:name" or the URL of an added repository.
	Repos DependencyRepos
	// HTTPClient downloads the index and archives of http(s) repositories that were
	// not added; default http.DefaultClient.
	HTTPClient *http.Client
	// Now is the clock for Chart.lock's generated time; default time.Now.
	Now func() time.Time
}

// DependencyOptions configure DependencyUpdate.Run and DependencyBuild.Run.
type DependencyOptions struct {
	// Dir is the chart directory.
	Dir string `json:"dir"`
	// SkipRefresh does not download the indexes of added repositories first.
	SkipRefresh bool `json:"skipRefresh,omitempty"`
	// SourceDateEpoch, when set, is Chart.lock's generated time and the modification
	// time in archives packaged from directories.
	SourceDateEpoch *time.Time      `json:"sourceDateEpoch,omitempty"`
	Registry        RegistryOptions `json:"registry"`
}

// DependencyResult is what an update or a build did.
type DependencyResult struct {
	deps.Result
	// NoLock is set when a build found no lock file and updated instead, as helm
	// does.
	NoLock bool `json:"noLock,omitempty"`
}

// DependencyUpdate resolves a chart directory's dependencies to the highest versions
// their constraints allow, vendors them into charts/ and writes the lock file.
type DependencyUpdate struct{ DependencySources }

// Run updates the dependencies of the chart in opts.Dir.
func (a DependencyUpdate) Run(ctx context.Context, opts DependencyOptions) (DependencyResult, error) {
	m, err := a.manager(opts)
	if err != nil {
		return DependencyResult{}, err
	}
	res, err := m.Update(ctx, opts.Dir, depsOptions(opts))
	if err != nil {
		return DependencyResult{}, err
	}
	return DependencyResult{Result: *res}, nil
}

// DependencyBuild fetches into charts/ exactly the versions the lock file records.
type DependencyBuild struct{ DependencySources }

// Run builds the dependencies of the chart in opts.Dir. It fails with
// deps.ErrLockOutOfDate when the lock file no longer matches Chart.yaml; without a
// lock file it updates (and sets NoLock).
func (a DependencyBuild) Run(ctx context.Context, opts DependencyOptions) (DependencyResult, error) {
	m, err := a.manager(opts)
	if err != nil {
		return DependencyResult{}, err
	}
	res, err := m.Build(ctx, opts.Dir, depsOptions(opts))
	if errors.Is(err, deps.ErrNoLock) {
		res, err = m.Update(ctx, opts.Dir, depsOptions(opts))
		if err != nil {
			return DependencyResult{NoLock: true}, err
		}
		return DependencyResult{Result: *res, NoLock: true}, nil
	}
	if err != nil {
		return DependencyResult{}, err
	}
	return DependencyResult{Result: *res}, nil
}

func depsOptions(o DependencyOptions) deps.Options {
	return deps.Options{SkipRefresh: o.SkipRefresh, SourceDateEpoch: o.SourceDateEpoch}
}

// manager builds the dependency manager over the sources. The OCI client is built
// before any fetch, whatever the dependencies, so a bad registry option always fails.
//
// --username and --password are for the one registry the chart's oci://
// dependencies name. Helm v4 sends them to every registry the dependencies name, so
// a chart could collect them with a dependency on a registry of its choosing; here
// dependencies on several registries refuse them (each registry's own stored
// credentials still work), and a chart with none drops them.
func (s DependencySources) manager(opts DependencyOptions) (*deps.Manager, error) {
	var hosts []string
	if opts.Registry.Username != "" && opts.Registry.Password != "" {
		declared, err := deps.Declared(opts.Dir)
		if err != nil {
			return nil, err
		}
		for _, d := range declared {
			if !strings.HasPrefix(d.Repository, "oci://") {
				continue
			}
			// A reference that does not parse fails its fetch, before any request.
			if ref, err := ociDependency(d, ""); err == nil {
				hosts = append(hosts, ref.Registry)
			}
		}
	}
	reg, err := credentialsFor(opts.Registry, hosts, "the dependencies of chart "+opts.Dir)
	if err != nil {
		return nil, err
	}
	oc, err := registryClient(s.OCI, reg, ociGetter)
	if err != nil {
		return nil, err
	}
	f := &depFetcher{oci: oc, git: s.Git, repos: s.Repos, http: s.HTTPClient}
	return &deps.Manager{Fetcher: f, Now: s.Now}, nil
}

// depFetcher fetches dependencies from the sources: it is deps.Fetcher.
type depFetcher struct {
	oci, git source.Getter
	repos    DependencyRepos
	http     *http.Client
}

func (f *depFetcher) Repositories(context.Context) ([]deps.Repository, error) {
	if f.repos == nil {
		return nil, nil
	}
	entries, err := f.repos.List()
	if err != nil {
		return nil, err
	}
	out := make([]deps.Repository, 0, len(entries))
	for _, e := range entries {
		out = append(out, deps.Repository{Name: e.Name, URL: e.URL})
	}
	return out, nil
}

func (f *depFetcher) Refresh(ctx context.Context, names []string) error {
	if f.repos == nil {
		return nil
	}
	results, err := f.repos.Update(ctx, names...)
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

func (f *depFetcher) Fetch(ctx context.Context, req deps.Request) (*deps.Fetched, error) {
	d, r := req.Dependency, req.Dependency.Repository
	switch {
	case strings.HasPrefix(r, "oci://"):
		ref, err := ociDependency(d, req.Version)
		if err != nil {
			return nil, err
		}
		return get(ctx, f.oci, ref)
	case strings.HasPrefix(r, "git+"):
		ref, err := source.Parse(r, "", nil)
		if err != nil {
			return nil, err
		}
		return get(ctx, f.git, ref)
	case req.RepoName != "":
		var g source.Getter
		if f.repos != nil {
			g = f.repos
		}
		ref := source.Ref{Kind: source.Repo, Raw: req.RepoName + "/" + d.Name, RepoName: req.RepoName, Chart: d.Name, Version: req.Version}
		return get(ctx, g, ref)
	}
	return f.getFromURL(ctx, r, d.Name, req.Version)
}

// ociDependency is the reference of a dependency from an oci:// repository: the
// chart is a repository below it, named as the chart.
func ociDependency(d *chart.Dependency, version string) (source.Ref, error) {
	return source.Parse(strings.TrimSuffix(d.Repository, "/")+"/"+d.Name, version, nil)
}

func get(ctx context.Context, g source.Getter, ref source.Ref) (*deps.Fetched, error) {
	if g == nil {
		return nil, fmt.Errorf("%s repositories are not supported here", ref.Kind)
	}
	fc, err := g.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := &deps.Fetched{Chart: fc.Chart, Digest: fc.Digest}
	if fc.Archive != "" {
		if out.Archive, err = os.ReadFile(fc.Archive); err != nil {
			return nil, err
		}
	}
	return out, nil
}

const (
	maxIndexSize = repo.DefaultMaxIndexSize
	maxChartSize = 128 << 20
)

// getFromURL fetches chart name at version (a constraint) from the http(s) chart
// repository at repoURL, which was not added with `hoist repo add`: its index is
// downloaded (without credentials), the version selected as `repo` does, and the
// archive checked against the index's digest.
func (f *depFetcher) getFromURL(ctx context.Context, repoURL, name, version string) (*deps.Fetched, error) {
	href, err := repo.ResolveURL(repoURL, "index.yaml")
	if err != nil {
		return nil, err
	}
	b, err := f.download(ctx, href, maxIndexSize)
	if err != nil {
		return nil, err
	}
	idx, err := repo.LoadIndex(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", href, err)
	}
	cv, err := idx.Get(name, version)
	if err != nil {
		return nil, fmt.Errorf("chart %s in %s: %w", name, repoURL, err)
	}
	if len(cv.URLs) == 0 {
		return nil, fmt.Errorf("chart %s %s: the index gives no URL to download it from", name, cv.Version)
	}
	href, err = repo.ResolveURL(repoURL, cv.URLs[0])
	if err != nil {
		return nil, err
	}
	body, err := f.download(ctx, href, maxChartSize)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	hexSum := hex.EncodeToString(sum[:])
	if want := strings.ToLower(strings.TrimPrefix(cv.Digest, "sha256:")); want != "" && want != hexSum {
		return nil, fmt.Errorf("%w: %s has sha256:%s, the index says sha256:%s", repo.ErrDigestMismatch, href, hexSum, want)
	}
	ch, err := chart.LoadArchive(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", href, err)
	}
	if ch.Metadata.Name != name {
		return nil, fmt.Errorf("%s holds chart %q", href, ch.Metadata.Name)
	}
	return &deps.Fetched{Chart: ch, Archive: body, Digest: "sha256:" + hexSum}, nil
}

func (f *depFetcher) download(ctx context.Context, href string, max int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, href, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "hoist")
	hc := f.http
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", href, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", href, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("GET %s: larger than %d MiB", href, max>>20)
	}
	return b, nil
}

// DependencyList reports the dependencies of a chart directory and what charts/
// holds for each, as `helm dependency list` does. It reads only the directory.
type DependencyList struct{}

// DependencyListOptions configure DependencyList.Run.
type DependencyListOptions struct {
	// Dir is the chart directory.
	Dir string `json:"dir"`
}

// DependencyListResult is each dependency with its status (deps.StatusOK…), and
// warnings about what charts/ holds that no dependency asks for.
type DependencyListResult struct {
	deps.Listing
}

// Run lists the dependencies of the chart in opts.Dir.
func (DependencyList) Run(_ context.Context, opts DependencyListOptions) (DependencyListResult, error) {
	l, err := deps.List(opts.Dir)
	if err != nil {
		return DependencyListResult{}, err
	}
	return DependencyListResult{Listing: *l}, nil
}
