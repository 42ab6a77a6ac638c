package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/kube"
)

// settings are the global flags every command shares: -n and the kubectl connection
// flags.
type settings struct {
	namespace string
	kube      *kube.Flags
}

func newSettings() *settings { return &settings{kube: kube.NewFlags()} }

func (s *settings) register(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVarP(&s.namespace, "namespace", "n", "", "namespace scope for this request (default: $HOIST_NAMESPACE, else the kubeconfig context's, else \"default\")")
	s.kube.AddFlags(f)
}

// Namespace resolves the namespace like Helm: the flag, else $HOIST_NAMESPACE, else
// the kubeconfig context's namespace, else "default".
func (s *settings) Namespace() string {
	if s.namespace != "" {
		return s.namespace
	}
	if ns := os.Getenv("HOIST_NAMESPACE"); ns != "" {
		return ns
	}
	return s.kube.Namespace()
}

// Clients returns the Kubernetes clients, with the namespace override applied.
func (s *settings) Clients() (*kube.Clients, error) {
	s.kube.SetNamespace(s.Namespace())
	return s.kube.Clients()
}
