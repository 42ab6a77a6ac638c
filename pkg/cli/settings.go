package cli

import (
	"fmt"
	"os"
	"sync"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/hoist-dev/hoist/pkg/cli/chartcmd"
	"github.com/hoist-dev/hoist/pkg/kube"
)

// settings are the global flags every command shares (defined, with the namespace
// rule, in chartcmd.GlobalFlags, which the template fast path uses too) and the
// Kubernetes clients built from them.
type settings struct {
	global chartcmd.GlobalFlags
	kube   kubeConfig
}

func newSettings() *settings { return &settings{} }

func (s *settings) register(cmd *cobra.Command) { s.global.Register(cmd.PersistentFlags()) }

// Namespace resolves the namespace like Helm: the flag, else $HOIST_NAMESPACE, else
// the kubeconfig context's namespace, else "default".
func (s *settings) Namespace() string {
	ns, _ := s.global.ResolveNamespace(os.Getenv, func() (string, bool) {
		return s.kube.contextNamespace(&s.global.Conn), true
	})
	return ns
}

// Clients returns the Kubernetes clients, with the namespace override applied.
func (s *settings) Clients() (*kube.Clients, error) {
	return s.kube.clients(&s.global.Conn, s.Namespace())
}

// Client rates (500 requests per second, bursts of 1000): a release applies hundreds
// of objects concurrently; the API server's priority and fairness still applies.
const (
	clientQPS   = 500
	clientBurst = 1000
)

// kubeConfig loads the kubeconfig the connection flags name, as kubectl does
// (k8s.io/cli-runtime), and builds the clients once. It lives here, not in pkg/kube,
// so that the clients do not bring the command line's flag code into the controller.
type kubeConfig struct {
	cfOnce sync.Once
	cf     *genericclioptions.ConfigFlags
	ns     string // the namespace override (-n and the rest of Namespace's rule)

	once  sync.Once
	built *kube.Clients
	err   error
}

// configFlags points cli-runtime's flags at the parsed connection flags, on first use
// (after parsing).
func (k *kubeConfig) configFlags(c *chartcmd.Connection) *genericclioptions.ConfigFlags {
	k.cfOnce.Do(func() {
		cf := genericclioptions.NewConfigFlags(true)
		cf.KubeConfig, cf.Context, cf.BearerToken, cf.APIServer = &c.KubeConfig, &c.Context, &c.BearerToken, &c.APIServer
		cf.CAFile, cf.TLSServerName, cf.Insecure = &c.CAFile, &c.TLSServerName, &c.Insecure
		cf.Impersonate, cf.ImpersonateGroup, cf.Timeout = &c.AsUser, &c.AsGroups, &c.Timeout
		cf.Namespace = &k.ns
		k.cf = cf
	})
	return k.cf
}

// contextNamespace is the kubeconfig context's namespace, else "default".
func (k *kubeConfig) contextNamespace(c *chartcmd.Connection) string {
	ns, _, err := k.configFlags(c).ToRawKubeConfigLoader().Namespace()
	if err != nil || ns == "" {
		return "default"
	}
	return ns
}

// clients builds the clients once, with ns as the namespace override.
func (k *kubeConfig) clients(c *chartcmd.Connection, ns string) (*kube.Clients, error) {
	k.once.Do(func() {
		cf := k.configFlags(c)
		k.ns = ns
		cfg, err := cf.ToRESTConfig()
		if err != nil {
			k.err = fmt.Errorf("kubernetes configuration: %w", err)
			return
		}
		cfg.QPS, cfg.Burst = clientQPS, clientBurst
		built, err := kube.NewClients(cfg)
		if err != nil {
			k.err = err
			return
		}
		// cli-runtime's mapper caches discovery on disk, as kubectl's does.
		m, err := cf.ToRESTMapper()
		if err != nil {
			k.err = fmt.Errorf("kubernetes discovery: %w", err)
			return
		}
		built.Mapper = m
		k.built = built
	})
	return k.built, k.err
}
