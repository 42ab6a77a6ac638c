package deps

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/source/repo"
)

const (
	maxIndexSize = 256 << 20
	maxChartSize = 128 << 20
)

// getFromURL fetches chart name at version (a constraint) from the http(s) chart
// repository at repoURL, which was not added with `hoist repo add`: its index is
// downloaded (without credentials), the version selected as `repo` does, and the
// archive checked against the index's digest.
func (m *Manager) getFromURL(ctx context.Context, repoURL, name, version string) (*fetched, error) {
	href, err := repo.ResolveURL(repoURL, "index.yaml")
	if err != nil {
		return nil, err
	}
	b, err := m.download(ctx, href, maxIndexSize)
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
	body, err := m.download(ctx, href, maxChartSize)
	if err != nil {
		return nil, err
	}
	sum := sha256hex(body)
	if want := strings.ToLower(strings.TrimPrefix(cv.Digest, "sha256:")); want != "" && want != sum {
		return nil, fmt.Errorf("%w: %s has sha256:%s, the index says sha256:%s", repo.ErrDigestMismatch, href, sum, want)
	}
	ch, err := chart.LoadArchive(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", href, err)
	}
	if ch.Metadata.Name != name {
		return nil, fmt.Errorf("%s holds chart %q", href, ch.Metadata.Name)
	}
	return &fetched{version: ch.Metadata.Version, name: name, digest: "sha256:" + sum, archive: body}, nil
}

func (m *Manager) download(ctx context.Context, href string, max int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, href, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "hoist")
	hc := m.HTTPClient
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
