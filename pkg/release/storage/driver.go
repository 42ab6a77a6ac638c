package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/hoist-dev/hoist/pkg/release"
)

// Errors callers branch on.
var (
	ErrNotFound = errors.New("release: not found")
	ErrExists   = errors.New("release: already exists")
	// ErrConflict: the record changed in storage since it was read (another writer).
	ErrConflict = errors.New("release: changed since it was read")
	// ErrCorrupt: a stored record cannot be read (tampered, truncated, over a size
	// limit); errors name its Secret.
	ErrCorrupt = errors.New("unreadable release record")
)

// Skipped is a record List left out because it cannot be read.
type Skipped struct {
	// Namespace and Secret name the storage object.
	Namespace, Secret string
	// Name and Revision are what the object's labels claim (unchecked: its record is
	// unreadable); empty and 0 when it has none.
	Name     string
	Revision int
	// Err says why, wrapping ErrCorrupt.
	Err error
}

// SkippedError is returned by List, together with the records it could read, when it
// left some out. Callers that need every record treat it as any other error.
type SkippedError struct{ Skipped []Skipped }

func (e *SkippedError) Error() string {
	if len(e.Skipped) == 1 {
		return e.Skipped[0].Err.Error()
	}
	return fmt.Sprintf("%d unreadable release records, the first: %v", len(e.Skipped), e.Skipped[0].Err)
}

// Unwrap lets errors.Is(err, ErrCorrupt) match.
func (e *SkippedError) Unwrap() error { return ErrCorrupt }

// Driver stores release records.
type Driver interface {
	// Get returns one revision, or an error wrapping ErrNotFound.
	Get(ctx context.Context, namespace, name string, revision int) (*release.Release, error)
	// History returns every revision of a release, oldest first (none: empty, no error).
	History(ctx context.Context, namespace, name string) ([]*release.Release, error)
	// List returns the revisions of every release in namespace ("" for all namespaces)
	// that match the selector (nil matches all). Records it cannot read are left out
	// and reported with a *SkippedError returned alongside the others.
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
