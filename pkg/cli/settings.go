package cli

import (
	"os"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
)

// settings are the global flags every command shares.
type settings struct {
	namespace   string
	kubeconfig  string
	kubeContext string
}

func (s *settings) register(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVarP(&s.namespace, "namespace", "n", "", "namespace scope for this request (default: the kubeconfig context's, else \"default\")")
	f.StringVar(&s.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)")
	f.StringVar(&s.kubeContext, "kube-context", "", "name of the kubeconfig context to use")
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
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if s.kubeconfig != "" {
		rules.ExplicitPath = s.kubeconfig
	}
	cfg := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: s.kubeContext})
	if ns, _, err := cfg.Namespace(); err == nil && ns != "" {
		return ns
	}
	return "default"
}
