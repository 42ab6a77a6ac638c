package storage

import (
	"context"
	"fmt"
	"sync"

	"github.com/hoist-dev/hoist/pkg/release"
)

// Memory is an in-memory Driver for tests. Records are stored encoded, so callers
// never share state with it.
type Memory struct {
	mu   sync.Mutex
	recs map[string][]byte
}

// NewMemory returns an empty in-memory driver.
func NewMemory() *Memory { return &Memory{recs: map[string][]byte{}} }

func memKey(ns, name string, rev int) string { return fmt.Sprintf("%s/%s/%d", ns, name, rev) }

// Get implements Driver.
func (m *Memory) Get(_ context.Context, ns, name string, rev int) (*release.Release, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.recs[memKey(ns, name, rev)]
	if !ok {
		return nil, fmt.Errorf("%s.v%d in %s: %w", name, rev, ns, ErrNotFound)
	}
	return release.Decode(b)
}

// History implements Driver.
func (m *Memory) History(ctx context.Context, ns, name string) ([]*release.Release, error) {
	return m.List(ctx, ns, func(r *release.Release) bool { return r.Name == name })
}

// List implements Driver.
func (m *Memory) List(_ context.Context, ns string, match func(*release.Release) bool) ([]*release.Release, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*release.Release
	for _, b := range m.recs {
		r, err := release.Decode(b)
		if err != nil {
			return nil, err
		}
		if (ns == "" || r.Namespace == ns) && (match == nil || match(r)) {
			out = append(out, r)
		}
	}
	release.SortByRevision(out)
	return out, nil
}

// Create implements Driver.
func (m *Memory) Create(_ context.Context, r *release.Release) error {
	b, err := release.Encode(r)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memKey(r.Namespace, r.Name, r.Revision)
	if _, ok := m.recs[k]; ok {
		return fmt.Errorf("%s: %w", r.Key(), ErrExists)
	}
	m.recs[k] = b
	return nil
}

// Update implements Driver.
func (m *Memory) Update(_ context.Context, r *release.Release) error {
	b, err := release.Encode(r)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memKey(r.Namespace, r.Name, r.Revision)
	if _, ok := m.recs[k]; !ok {
		return fmt.Errorf("%s: %w", r.Key(), ErrNotFound)
	}
	m.recs[k] = b
	return nil
}

// Delete implements Driver.
func (m *Memory) Delete(_ context.Context, ns, name string, rev int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memKey(ns, name, rev)
	if _, ok := m.recs[k]; !ok {
		return fmt.Errorf("%s.v%d in %s: %w", name, rev, ns, ErrNotFound)
	}
	delete(m.recs, k)
	return nil
}
