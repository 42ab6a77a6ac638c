package kube

import (
	"fmt"
	"sync"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/hoist-dev/hoist/pkg/kube/fence"
)

// Flags are the kubectl connection flags, with Helm's names where Helm renames them
// (--kube-context, --kube-token, --kube-apiserver, --kube-ca-file, --kube-as-user…).
type Flags struct {
	cf *genericclioptions.ConfigFlags
	// QPS and Burst for the clients (default 500 and 1000: a release applies hundreds of
	// objects concurrently; the API server's priority and fairness still applies).
	QPS   float32
	Burst int

	once    sync.Once
	clients *Clients
	err     error
}

// NewFlags returns the flags with their defaults.
func NewFlags() *Flags {
	cf := genericclioptions.NewConfigFlags(true)
	return &Flags{cf: cf, QPS: 500, Burst: 1000}
}

// AddFlags registers the connection flags (all but --namespace, which the CLI owns).
func (f *Flags) AddFlags(fs *pflag.FlagSet) {
	cf := f.cf
	fs.StringVar(cf.KubeConfig, "kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)")
	fs.StringVar(cf.Context, "kube-context", "", "name of the kubeconfig context to use")
	fs.StringVar(cf.BearerToken, "kube-token", "", "bearer token for authentication")
	fs.StringVar(cf.APIServer, "kube-apiserver", "", "address and port of the Kubernetes API server")
	fs.StringVar(cf.CAFile, "kube-ca-file", "", "certificate authority file for the API server's certificate")
	fs.StringVar(cf.TLSServerName, "kube-tls-server-name", "", "server name to use for API server certificate validation")
	fs.BoolVar(cf.Insecure, "kube-insecure-skip-tls-verify", false, "do not verify the API server's certificate (insecure)")
	fs.StringVar(cf.Impersonate, "kube-as-user", "", "username to impersonate for the operation")
	fs.StringArrayVar(cf.ImpersonateGroup, "kube-as-group", nil, "group to impersonate for the operation (can be repeated)")
	fs.StringVar(cf.Impersonate, "as", "", "alias of --kube-as-user (kubectl's name)")
	fs.StringArrayVar(cf.ImpersonateGroup, "as-group", nil, "alias of --kube-as-group (kubectl's name)")
	fs.StringVar(cf.Timeout, "request-timeout", "0", "timeout of a single API request (0: none)")
}

// SetNamespace sets the namespace override (the CLI's -n).
func (f *Flags) SetNamespace(ns string) { *f.cf.Namespace = ns }

// Namespace is the namespace in effect: -n, else the kubeconfig context's, else "default".
func (f *Flags) Namespace() string {
	if ns := *f.cf.Namespace; ns != "" {
		return ns
	}
	ns, _, err := f.cf.ToRawKubeConfigLoader().Namespace()
	if err != nil || ns == "" {
		return "default"
	}
	return ns
}

// Clients are the clients of one invocation.
type Clients struct {
	Config  *rest.Config
	Typed   kubernetes.Interface
	Dynamic dynamic.Interface
	Mapper  meta.RESTMapper
}

// Clients builds the clients once.
func (f *Flags) Clients() (*Clients, error) {
	f.once.Do(func() {
		cfg, err := f.cf.ToRESTConfig()
		if err != nil {
			f.err = fmt.Errorf("kubernetes configuration: %w", err)
			return
		}
		cfg.QPS, cfg.Burst = f.QPS, f.Burst
		f.clients, f.err = NewClients(cfg)
		if f.err == nil {
			m, err := f.cf.ToRESTMapper()
			if err != nil {
				f.err = fmt.Errorf("kubernetes discovery: %w", err)
				return
			}
			f.clients.Mapper = m
		}
	})
	return f.clients, f.err
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
