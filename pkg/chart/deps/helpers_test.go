package deps

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/chart/charttest"
)

var epoch = time.Unix(1700000000, 0).UTC()

// fakeFetcher serves charts from memory: name -> version -> archive, with one added
// repository "stable" at stableURL. It records what was refreshed and requested.
type fakeFetcher struct {
	charts    map[string]map[string][]byte
	refreshed [][]string
	requests  []Request
}

const stableURL = "https://charts.example.com/stable"

func newFakeFetcher(t *testing.T, charts ...[2]string) *fakeFetcher {
	f := &fakeFetcher{charts: map[string]map[string][]byte{}}
	for _, c := range charts {
		if f.charts[c[0]] == nil {
			f.charts[c[0]] = map[string][]byte{}
		}
		f.charts[c[0]][c[1]] = charttest.Archive(t, c[0], c[1])
	}
	return f
}

func (f *fakeFetcher) Repositories(context.Context) ([]Repository, error) {
	return []Repository{{Name: "stable", URL: stableURL}}, nil
}

func (f *fakeFetcher) Refresh(_ context.Context, names []string) error {
	f.refreshed = append(f.refreshed, names)
	return nil
}

// Fetch returns the highest version matching req.Version.
func (f *fakeFetcher) Fetch(_ context.Context, req Request) (*Fetched, error) {
	f.requests = append(f.requests, req)
	c, err := semver.NewConstraint(req.Version)
	if err != nil {
		return nil, err
	}
	var best *semver.Version
	for v := range f.charts[req.Dependency.Name] {
		sv := semver.MustParse(v)
		if c.Check(sv) && (best == nil || sv.GreaterThan(best)) {
			best = sv
		}
	}
	if best == nil {
		return nil, errors.New("no chart version matches")
	}
	data := f.charts[req.Dependency.Name][best.Original()]
	ch, err := chart.LoadArchive(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return &Fetched{Chart: ch, Archive: data, Digest: "sha256:" + sha256hex(data)}, nil
}
