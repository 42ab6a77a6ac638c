package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/kube"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
)

// Configuration is what the release use cases share: cluster clients, the record
// storage, the release lock and the apply engine. Build it with NewConfiguration, or
// fill it directly in tests.
type Configuration struct {
	Clients *kube.Clients
	Storage storage.Driver
	Locker  storage.Locker
	Apply   *apply.Manager
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log receives progress lines ("applying 540 objects…"); nil discards them.
	Log io.Writer
	// Progress receives wait progress for a live view; nil ignores it.
	Progress func(apply.Progress)
}

// NewConfiguration wires the default implementations on top of clients.
func NewConfiguration(clients *kube.Clients, identity string) *Configuration {
	return &Configuration{
		Clients: clients,
		Storage: &storage.Secrets{Client: clients.Typed},
		Locker:  &storage.LeaseLocker{Client: clients.Typed, Identity: identity},
		Apply:   &apply.Manager{Clients: clients, FieldManager: "hoist", Concurrency: 16},
	}
}

func (c *Configuration) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

func (c *Configuration) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

// Capabilities asks the cluster for its version and API groups (as Helm does for
// installs): "group/version" and "group/version/Kind" entries.
func (c *Configuration) Capabilities() (*engine.Capabilities, error) {
	caps := engine.DefaultCapabilities()
	disc := c.Clients.Typed.Discovery()
	sv, err := disc.ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("asking the cluster for its version: %w", err)
	}
	kv, err := engine.ParseKubeVersion(sv.GitVersion)
	if err != nil {
		return nil, fmt.Errorf("cluster version %q: %w", sv.GitVersion, err)
	}
	caps.KubeVersion = *kv
	_, lists, err := disc.ServerGroupsAndResources()
	if err != nil && len(lists) == 0 {
		return nil, fmt.Errorf("asking the cluster for its API groups: %w", err)
	}
	set := map[string]bool{}
	for _, l := range lists {
		set[l.GroupVersion] = true
		for _, r := range l.APIResources {
			set[l.GroupVersion+"/"+r.Kind] = true
		}
	}
	vs := make(engine.VersionSet, 0, len(set))
	for v := range set {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	caps.APIVersions = vs
	return caps, nil
}

// lookuper backs the template function lookup with the dynamic client.
type lookuper struct{ clients *kube.Clients }

func (l lookuper) Lookup(ctx context.Context, apiVersion, kind, namespace, name string) (map[string]any, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, err
	}
	mapping, err := l.clients.Mapper.RESTMapping(gv.WithKind(kind).GroupKind(), gv.Version)
	if err != nil {
		return map[string]any{}, nil // unknown kinds look up as empty, as in Helm
	}
	res := l.clients.Dynamic.Resource(mapping.Resource)
	var ri interface {
		Get(context.Context, string, metav1.GetOptions, ...string) (*unstructured.Unstructured, error)
		List(context.Context, metav1.ListOptions) (*unstructured.UnstructuredList, error)
	} = res
	if mapping.Scope.Name() == "namespace" && namespace != "" {
		ri = res.Namespace(namespace)
	}
	if name != "" {
		obj, err := ri.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return map[string]any{}, nil
		}
		if err != nil {
			return nil, err
		}
		return obj.UnstructuredContent(), nil
	}
	list, err := ri.List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, err
	}
	return list.UnstructuredContent(), nil
}

// history reads a release's revisions, oldest first.
func (c *Configuration) history(ctx context.Context, ns, name string) ([]*release.Release, error) {
	h, err := c.Storage.History(ctx, ns, name)
	if err != nil {
		return nil, fmt.Errorf("reading history of release %s in %s: %w", name, ns, err)
	}
	return h, nil
}

// existingHistory is history for a release that must exist: it fails naming the
// release when there are no revisions. The latest revision is h[len(h)-1].
func (c *Configuration) existingHistory(ctx context.Context, ns, name string) ([]*release.Release, error) {
	h, err := c.history(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("release %s in %s: not found", name, ns)
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

// lock takes the release lock; if the previous holder died, the revision it left
// pending is marked failed, so no release stays pending for ever.
func (c *Configuration) lock(ctx context.Context, ns, name string) (*storage.Lock, error) {
	l, err := c.Locker.Lock(ctx, ns, name)
	if err != nil {
		if namespaceMissing(err) { // the Lease lives in the release's namespace
			return nil, fmt.Errorf("release %s in %s: %w (create it, or install with --create-namespace)", name, ns, ErrNamespaceNotFound)
		}
		return nil, err
	}
	h, err := c.history(ctx, ns, name)
	if err != nil {
		l.Release()
		return nil, err
	}
	for _, r := range h {
		if r.Status.IsPending() {
			who := "an operation that did not finish"
			if l.PreviousHolder != "" {
				who = "an operation by " + l.PreviousHolder + " that did not finish"
			}
			was := r.Status
			r.SetStatus(release.StatusFailed, fmt.Sprintf("Interrupted: %s (was %s)", who, was))
			if err := c.Storage.Update(ctx, r); err != nil {
				l.Release()
				return nil, fmt.Errorf("marking interrupted revision %s failed: %w", r.Key(), err)
			}
			c.logf("marked revision %d of %s failed: it was left %s by %s", r.Revision, name, was, who)
		}
	}
	return l, nil
}

// lockIn is lock, creating the namespace first when it is missing and create is set
// (install --create-namespace, upgrade --install --create-namespace). An existing
// namespace is left alone, so users without the right to create namespaces can use
// --create-namespace on namespaces that exist.
func (c *Configuration) lockIn(ctx context.Context, ns, name string, create bool) (*storage.Lock, error) {
	l, err := c.lock(ctx, ns, name)
	if create && errors.Is(err, ErrNamespaceNotFound) {
		if err := createNamespace(ctx, c, ns); err != nil {
			return nil, err
		}
		return c.lock(ctx, ns, name)
	}
	return l, err
}

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
