package storage

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/hoist-dev/hoist/pkg/release"
)

// Memory is an in-memory Driver for tests; safe for concurrent use. Records are stored
// encoded, so callers never share state with it, and versioned like Secrets, so
// updates are conditional in the same way.
type Memory struct {
	mu      sync.Mutex
	recs    map[string]memRecord
	version int
}

type memRecord struct {
	data    []byte
	version string
}

// NewMemory returns an empty in-memory driver.
func NewMemory() *Memory { return &Memory{recs: map[string]memRecord{}} }

func memKey(ns, name string, rev int) string { return fmt.Sprintf("%s/%s/%d", ns, name, rev) }

func (m *Memory) next() string {
	m.version++
	return strconv.Itoa(m.version)
}

func (m *Memory) init() {
	if m.recs == nil {
		m.recs = map[string]memRecord{}
	}
}

// Get implements Driver.
func (m *Memory) Get(_ context.Context, ns, name string, rev int) (*release.Release, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.recs[memKey(ns, name, rev)]
	if !ok {
		return nil, fmt.Errorf("%s.v%d in %s: %w", name, rev, ns, ErrNotFound)
	}
	return rec.decode()
}

func (rec memRecord) decode() (*release.Release, error) {
	r, err := release.Decode(rec.data)
	if err != nil {
		return nil, err
	}
	r.StoredVersion = rec.version
	return r, nil
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
	for _, rec := range m.recs {
		r, err := rec.decode()
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
	m.init()
	k := memKey(r.Namespace, r.Name, r.Revision)
	if _, ok := m.recs[k]; ok {
		return fmt.Errorf("%s: %w", r.Key(), ErrExists)
	}
	v := m.next()
	m.recs[k] = memRecord{data: b, version: v}
	r.StoredVersion = v
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
	old, ok := m.recs[k]
	if !ok {
		return fmt.Errorf("%s: %w", r.Key(), ErrNotFound)
	}
	if r.StoredVersion != old.version {
		return fmt.Errorf("updating release %s: %w (by another writer)", r.Key(), ErrConflict)
	}
	v := m.next()
	m.recs[k] = memRecord{data: b, version: v}
	r.StoredVersion = v
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
