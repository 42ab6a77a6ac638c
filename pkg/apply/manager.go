package apply

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/openapi"

	"github.com/hoist-dev/hoist/pkg/kube"
	"github.com/hoist-dev/hoist/pkg/release"
)

// Manager applies, prunes, deletes and waits for objects. Its zero values are usable
// defaults but for Clients, which it needs (Typed is not used: Dynamic and Mapper are).
type Manager struct {
	Clients *kube.Clients
	// FieldManager is the server-side apply field manager ("hoist" when empty).
	FieldManager string
	// Concurrency is how many objects of a stage are processed at once (default 10).
	// The clients' QPS and Burst bound the request rate anyway.
	Concurrency int
	// OpenAPI serves the server's OpenAPI v3 schemas (Clients.Typed's discovery when
	// nil), read once per Manager and group-version; see Schemas.
	OpenAPI openapi.Client

	schemasOnce sync.Once
	schemas     *Schemas
}

const (
	defaultConcurrency = 10
	// listThreshold: from this many objects of one resource in one namespace, the live
	// objects are read with one paginated LIST instead of a GET each.
	listThreshold = 16
	listPageSize  = 500
	// definitionsTimeout bounds the wait for Namespaces to be Active and CRDs Established
	// (and for new kinds to appear in discovery).
	definitionsTimeout = 2 * time.Minute
	// replaceTimeout bounds the wait for an object deleted by ForceReplace to be gone.
	replaceTimeout = 5 * time.Minute
)

func (m *Manager) fieldManager() string {
	if m.FieldManager == "" {
		return DefaultFieldManager
	}
	return m.FieldManager
}

// Schemas are the server's schemas, shared by every operation of the Manager, so each
// group-version's schema is fetched and parsed once (DiffOptions.Schemas takes them).
func (m *Manager) Schemas() *Schemas {
	m.schemasOnce.Do(func() {
		c := m.OpenAPI
		if c == nil && m.Clients != nil && m.Clients.Typed != nil {
			c = m.Clients.Typed.Discovery().OpenAPIV3()
		}
		m.schemas = NewSchemas(c)
	})
	return m.schemas
}

func (m *Manager) concurrency() int {
	if m.Concurrency <= 0 {
		return defaultConcurrency
	}
	return m.Concurrency
}

func (m *Manager) check() error {
	if m == nil || m.Clients == nil || m.Clients.Dynamic == nil || m.Clients.Mapper == nil {
		return errors.New("apply: Manager needs Clients with a dynamic client and a REST mapper")
	}
	return nil
}

// mapping resolves an object's kind to its resource.
func (m *Manager) mapping(o release.ObjectRef) (*meta.RESTMapping, error) {
	gk := schema.GroupKind{Group: o.Group, Kind: o.Kind}
	mp, err := m.Clients.Mapper.RESTMapping(gk, o.Version)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return nil, fmt.Errorf("%w %s: the cluster does not serve it", ErrUnknownKind, gvkString(gvkOf(o)))
		}
		return nil, fmt.Errorf("resolving kind %s: %w", gvkString(gvkOf(o)), err)
	}
	return mp, nil
}

// mappingEventually resolves a kind that a CRD applied moments ago defines: discovery
// can lag behind the CRD's Established condition, so it resets the mapper and retries.
func (m *Manager) mappingEventually(ctx context.Context, o release.ObjectRef) (*meta.RESTMapping, error) {
	ctx, cancel := context.WithTimeout(ctx, definitionsTimeout)
	defer cancel()
	delay := 100 * time.Millisecond
	for {
		mp, err := m.mapping(o)
		if err == nil || !errors.Is(err, ErrUnknownKind) {
			return mp, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(delay):
		}
		if delay < time.Second {
			delay *= 2
		}
		m.resetMapper()
	}
}

// resetMapper forgets cached discovery, so kinds of new CRDs resolve, and the schemas
// read, so theirs are read again.
func (m *Manager) resetMapper() {
	meta.MaybeResetRESTMapper(m.Clients.Mapper)
	m.Schemas().Reset()
}

// resource is the dynamic client for an object's resource and namespace.
func (m *Manager) resource(mp *meta.RESTMapping, namespace string) dynamic.ResourceInterface {
	r := m.Clients.Dynamic.Resource(mp.Resource)
	if mp.Scope.Name() == meta.RESTScopeNameNamespace {
		return r.Namespace(namespace)
	}
	return r
}

func namespaced(mp *meta.RESTMapping) bool { return mp.Scope.Name() == meta.RESTScopeNameNamespace }

func gvkString(gvk schema.GroupVersionKind) string {
	if gvk.Group == "" {
		return gvk.Version + "/" + gvk.Kind
	}
	return gvk.Group + "/" + gvk.Version + "/" + gvk.Kind
}

// forEach runs fn(i) for i in [0, n), at most limit at a time, and returns when all are
// done. fn records its outcome itself (one Change per object): no error stops the others.
func forEach(ctx context.Context, n, limit int, fn func(ctx context.Context, i int)) {
	if n == 0 {
		return
	}
	var g errgroup.Group
	g.SetLimit(max(limit, 1))
	for i := range n {
		g.Go(func() error {
			fn(ctx, i)
			return nil
		})
	}
	_ = g.Wait() // fn returns nothing to wait for but its end
}

// isCRD and isNamespace recognise the definition kinds Apply handles first.
func isCRD(o release.ObjectRef) bool {
	return o.Group == "apiextensions.k8s.io" && o.Kind == "CustomResourceDefinition"
}

func isNamespace(o release.ObjectRef) bool { return o.Group == "" && o.Kind == "Namespace" }

// ownerOf reads who owns a live object: hoist's annotations first, else Helm's.
func ownerOf(u *unstructured.Unstructured) (o Owner, helm bool) {
	a := u.GetAnnotations()
	if n, ns := a[AnnotationReleaseName], a[AnnotationReleaseNamespace]; n != "" || ns != "" {
		return Owner{ReleaseName: n, ReleaseNamespace: ns}, false
	}
	if n, ns := a[HelmAnnotationReleaseName], a[HelmAnnotationReleaseNamespace]; n != "" || ns != "" {
		return Owner{ReleaseName: n, ReleaseNamespace: ns}, true
	}
	return Owner{}, false
}

// checkOwner returns an *OwnershipError when live is not owned by want.
func checkOwner(o release.ObjectRef, live *unstructured.Unstructured, want Owner) error {
	cur, helm := ownerOf(live)
	if cur == want {
		return nil
	}
	return &OwnershipError{Object: o, Want: want, Current: cur, Helm: helm}
}

func setOwner(u *unstructured.Unstructured, o Owner) {
	a := u.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[AnnotationReleaseName] = o.ReleaseName
	a[AnnotationReleaseNamespace] = o.ReleaseNamespace
	u.SetAnnotations(a)
}
