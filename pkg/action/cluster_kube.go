package action

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/kube"
)

// KubeCluster is the Cluster of a real API server. Capabilities are cached for
// CapabilitiesTTL: a controller renders many releases a minute, and discovery of a
// large cluster's API groups takes many requests.
type KubeCluster struct {
	clients *kube.Clients
	// CapabilitiesTTL is how long discovered capabilities are reused (default 30 s).
	CapabilitiesTTL time.Duration

	mu     sync.Mutex
	caps   *engine.Capabilities
	cached time.Time
}

// NewKubeCluster returns the Cluster of clients.
func NewKubeCluster(clients *kube.Clients) *KubeCluster { return &KubeCluster{clients: clients} }

// Invalidate makes the next Capabilities ask the cluster again (after CRDs changed).
func (k *KubeCluster) Invalidate() {
	k.mu.Lock()
	k.caps = nil
	k.mu.Unlock()
}

// Capabilities implements Cluster. Each caller gets its own copy.
func (k *KubeCluster) Capabilities(_ context.Context) (*engine.Capabilities, error) {
	ttl := k.CapabilitiesTTL
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.caps == nil || time.Since(k.cached) > ttl {
		caps, err := k.discover()
		if err != nil {
			return nil, err
		}
		k.caps, k.cached = caps, time.Now()
	}
	c := *k.caps
	c.APIVersions = append(engine.VersionSet(nil), k.caps.APIVersions...)
	return &c, nil
}

func (k *KubeCluster) discover() (*engine.Capabilities, error) {
	caps := engine.DefaultCapabilities()
	disc := k.clients.Typed.Discovery()
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

// Lookup implements engine.Lookuper (the template function lookup) with the dynamic client.
func (k *KubeCluster) Lookup(ctx context.Context, apiVersion, kind, namespace, name string) (map[string]any, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, err
	}
	mapping, err := k.clients.Mapper.RESTMapping(gv.WithKind(kind).GroupKind(), gv.Version)
	if err != nil {
		return map[string]any{}, nil // unknown kinds look up as empty, as in Helm
	}
	res := k.clients.Dynamic.Resource(mapping.Resource)
	var ri interface {
		Get(context.Context, string, metav1.GetOptions, ...string) (*unstructured.Unstructured, error)
		List(context.Context, metav1.ListOptions) (*unstructured.UnstructuredList, error)
	} = res
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace && namespace != "" {
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

// CreateNamespace implements Cluster.
func (k *KubeCluster) CreateNamespace(ctx context.Context, ns string) error {
	_, err := k.clients.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"name": ns}},
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	return nil
}
