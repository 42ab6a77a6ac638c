package action

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/kube"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
)

// Applier is what the release use cases need of the apply engine (*apply.Manager).
type Applier interface {
	// Build decodes a manifest into objects, namespaced as the cluster says.
	Build(manifest, defaultNamespace string) ([]*unstructured.Unstructured, error)
	Apply(ctx context.Context, objs []*unstructured.Unstructured, opts apply.ApplyOptions) (*apply.ChangeSet, error)
	Prune(ctx context.Context, previous []release.ObjectRef, current []*unstructured.Unstructured, opts apply.PruneOptions) (*apply.ChangeSet, error)
	Delete(ctx context.Context, objs []release.ObjectRef, opts apply.DeleteOptions) (*apply.ChangeSet, error)
	Wait(ctx context.Context, objs []release.ObjectRef, opts apply.WaitOptions) error
	// Live reads the objects (nil for each one that does not exist).
	Live(ctx context.Context, objs []release.ObjectRef) ([]*unstructured.Unstructured, error)
	TakeOver(ctx context.Context, objs []*unstructured.Unstructured, opts apply.TakeOverOptions) (*apply.ChangeSet, error)
	// Drift lists the fields of live that differ from what applied set, with their
	// current managers, matching list elements by their schema's keys.
	Drift(applied, live *unstructured.Unstructured) []apply.FieldDrift
	// Schemas are the cluster's object schemas (nil when unknown: diffs match coarser).
	Schemas() *apply.Schemas
}

// Cluster is what the release use cases ask the cluster besides objects.
type Cluster interface {
	// Capabilities are the cluster's version and API groups, as templates see them.
	Capabilities(ctx context.Context) (*engine.Capabilities, error)
	engine.Lookuper
	// CreateNamespace creates a namespace unless it exists.
	CreateNamespace(ctx context.Context, name string) error
}

// Configuration is what the release use cases share: the cluster, the record storage,
// the release lock, the apply engine and the hook runner. Build it with
// NewConfiguration, or fill it with in-memory implementations in tests.
type Configuration struct {
	Cluster Cluster
	Storage storage.Driver
	Locker  storage.Locker
	Apply   Applier
	Hooks   HookRunner
	// FieldManager is the server-side apply field manager (diffs name what it owns).
	FieldManager string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log receives what an operation does ("marked revision 3 failed…"); nil discards it.
	Log *slog.Logger
	// Progress receives wait progress for a live view; nil ignores it.
	Progress func(apply.Progress)
	// CleanupTimeout bounds clean-up after a failure or cancellation (recording the
	// failure, an --atomic rollback's own deadline aside); default 2 minutes.
	CleanupTimeout time.Duration
}

// NewConfiguration wires the default implementations on top of clients.
func NewConfiguration(clients *kube.Clients, identity string, log *slog.Logger) *Configuration {
	am := &apply.Manager{Clients: clients, FieldManager: "hoist", Concurrency: 16}
	return &Configuration{
		Cluster:      NewKubeCluster(clients),
		Storage:      &storage.Secrets{Client: clients.Typed},
		Locker:       &storage.LeaseLocker{Client: clients.Typed, Identity: identity, Log: log},
		Apply:        am,
		Hooks:        &KubeHooks{Clients: clients, Apply: am, Log: log},
		FieldManager: am.FieldManager,
		Log:          log,
	}
}

func (c *Configuration) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

func (c *Configuration) log() *slog.Logger { return loggerOr(c.Log) }

// loggerOr is l, or a logger that discards everything.
func loggerOr(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

// cleanupTimeout bounds clean-up when the Configuration does not say otherwise.
const cleanupTimeout = 2 * time.Minute

func (c *Configuration) cleanupTimeout() time.Duration {
	if c.CleanupTimeout > 0 {
		return c.CleanupTimeout
	}
	return cleanupTimeout
}

// history reads a release's revisions, oldest first.
func (c *Configuration) history(ctx context.Context, ns, name string) ([]*release.Release, error) {
	h, err := c.Storage.History(ctx, ns, name)
	if err != nil {
		return nil, fmt.Errorf("reading history of release %s in %s: %w", name, ns, err)
	}
	return h, nil
}

// ErrReleaseNotFound is returned for a release that has no revisions.
var ErrReleaseNotFound = errors.New("not found")

// existingHistory is history for a release that must exist: it fails naming the
// release when there are no revisions. The latest revision is h[len(h)-1].
func (c *Configuration) existingHistory(ctx context.Context, ns, name string) ([]*release.Release, error) {
	h, err := c.history(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("release %s in %s: %w", name, ns, ErrReleaseNotFound)
	}
	return h, nil
}

// revisionOf finds one revision in a release's history, or fails pointing at
// `hoist history`.
func revisionOf(h []*release.Release, ns, name string, rev int) (*release.Release, error) {
	for _, r := range h {
		if r.Revision == rev {
			return r, nil
		}
	}
	return nil, fmt.Errorf("release %s in %s has no revision %d (see hoist history %s)", name, ns, rev, name)
}

// ErrNamespaceNotFound is returned when the release's namespace does not exist.
var ErrNamespaceNotFound = errors.New("namespace not found")

// namespaceMissing reports whether err is the API server's NotFound for a namespace.
func namespaceMissing(err error) bool {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return false
	}
	s := st.Status()
	return s.Code == http.StatusNotFound && s.Details != nil && s.Details.Kind == "namespaces"
}

// pruneHistory deletes old revisions beyond max, keeping the last deployed one.
func (c *Configuration) pruneHistory(ctx context.Context, ns, name string, max int) error {
	h, err := c.history(ctx, ns, name)
	if err != nil {
		return err
	}
	for _, r := range release.Prunable(h, max) {
		if err := c.Storage.Delete(ctx, ns, name, r.Revision); err != nil {
			return fmt.Errorf("pruning history of %s: %w", name, err)
		}
	}
	return nil
}
