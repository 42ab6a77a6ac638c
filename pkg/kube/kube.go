package kube

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/hoist-dev/hoist/pkg/kube/fence"
)

// Clients are the clients of one invocation.
type Clients struct {
	Config  *rest.Config
	Typed   kubernetes.Interface
	Dynamic dynamic.Interface
	Mapper  meta.RESTMapper
}

// NewClients builds clients from a REST config, with a discovery-backed mapper that
// refreshes itself when it meets an unknown kind (a CRD the release just created).
func NewClients(cfg *rest.Config) (*Clients, error) {
	// Every write made with a lock's context checks the lock first (package fence).
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(fence.Wrap)
	typed, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes dynamic client: %w", err)
	}
	return &Clients{Config: cfg, Typed: typed, Dynamic: dyn, Mapper: newMapper(typed)}, nil
}
