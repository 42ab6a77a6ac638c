package storage

import (
	"context"
	"errors"

	"github.com/hoist-dev/hoist/pkg/release"
)

// Errors callers branch on.
var (
	ErrNotFound = errors.New("release: not found")
	ErrExists   = errors.New("release: already exists")
	// ErrConflict: the record changed in storage since it was read (another writer).
	ErrConflict = errors.New("release: changed since it was read")
)

// Driver stores release records.
type Driver interface {
	// Get returns one revision, or an error wrapping ErrNotFound.
	Get(ctx context.Context, namespace, name string, revision int) (*release.Release, error)
	// History returns every revision of a release, oldest first (none: empty, no error).
	History(ctx context.Context, namespace, name string) ([]*release.Release, error)
	// List returns the revisions of every release in namespace ("" for all namespaces)
	// that match the selector (nil matches all).
	List(ctx context.Context, namespace string, match func(*release.Release) bool) ([]*release.Release, error)
	// Create stores a new revision, or fails wrapping ErrExists; it sets r.StoredVersion.
	Create(ctx context.Context, r *release.Release) error
	// Update replaces a stored revision, on condition that it is still the version r
	// was read as (r.StoredVersion), else it fails wrapping ErrConflict. On success
	// r.StoredVersion is the new version.
	Update(ctx context.Context, r *release.Release) error
	// Delete removes a revision.
	Delete(ctx context.Context, namespace, name string, revision int) error
}
