package chartcmd

import (
	"strings"

	"github.com/spf13/pflag"
)

// GlobalFlags are the root command's persistent flags: -n and the kubectl connection
// flags. They are defined here, once: pkg/cli builds its Kubernetes clients from them,
// and the template fast path registers the very same flags, so that a command line
// parses alike in both and names the same namespace.
type GlobalFlags struct {
	Namespace string
	Conn      Connection
}

// Connection is how to reach the cluster: kubectl's connection flags, with Helm's
// names where Helm renames them (--kube-context, --kube-token, --kube-as-user…).
type Connection struct {
	KubeConfig    string
	Context       string
	BearerToken   string
	APIServer     string
	CAFile        string
	TLSServerName string
	Insecure      bool
	AsUser        string
	AsGroups      []string
	// Timeout of a single API request ("0": none).
	Timeout string
}

// NamespaceEnv names the namespace when -n does not (Helm's HELM_NAMESPACE).
const NamespaceEnv = "HOIST_NAMESPACE"

// Register adds the flags to f (the root command's persistent flags).
func (g *GlobalFlags) Register(f *pflag.FlagSet) {
	f.StringVarP(&g.Namespace, "namespace", "n", "", "namespace scope for this request (default: $"+NamespaceEnv+", else the kubeconfig context's, else \"default\")")
	c := &g.Conn
	f.StringVar(&c.KubeConfig, "kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)")
	f.StringVar(&c.Context, "kube-context", "", "name of the kubeconfig context to use")
	f.StringVar(&c.BearerToken, "kube-token", "", "bearer token for authentication")
	f.StringVar(&c.APIServer, "kube-apiserver", "", "address and port of the Kubernetes API server")
	f.StringVar(&c.CAFile, "kube-ca-file", "", "certificate authority file for the API server's certificate")
	f.StringVar(&c.TLSServerName, "kube-tls-server-name", "", "server name to use for API server certificate validation")
	f.BoolVar(&c.Insecure, "kube-insecure-skip-tls-verify", false, "do not verify the API server's certificate (insecure)")
	f.StringVar(&c.AsUser, "kube-as-user", "", "username to impersonate for the operation")
	f.Var(appendStrings{&c.AsGroups}, "kube-as-group", "group to impersonate for the operation (can be repeated)")
	f.StringVar(&c.AsUser, "as", "", "alias of --kube-as-user (kubectl's name)")
	f.Var(appendStrings{&c.AsGroups}, "as-group", "alias of --kube-as-group (kubectl's name)")
	f.StringVar(&c.Timeout, "request-timeout", "0", "timeout of a single API request (0: none)")
}

// ResolveNamespace is the namespace in effect, by Helm's rule: -n, else
// $HOIST_NAMESPACE, else fromKubeconfig's answer (the kubeconfig context's namespace,
// else "default"). known is false when fromKubeconfig cannot say (the fast path,
// which reads no kubeconfig).
func (g *GlobalFlags) ResolveNamespace(getenv func(string) string, fromKubeconfig func() (ns string, known bool)) (string, bool) {
	if g.Namespace != "" {
		return g.Namespace, true
	}
	if ns := getenv(NamespaceEnv); ns != "" {
		return ns, true
	}
	return fromKubeconfig()
}

// appendStrings is a repeatable flag that appends to a slice it may share with another
// flag: pflag's StringArray starts its slice afresh on a flag's first use, so of
// --as-group a --kube-as-group b only b would remain.
type appendStrings struct{ p *[]string }

func (v appendStrings) Set(s string) error { *v.p = append(*v.p, s); return nil }
func (v appendStrings) Type() string       { return "stringArray" }
func (v appendStrings) String() string {
	if v.p == nil || len(*v.p) == 0 {
		return "" // no "(default [])" in the help
	}
	return "[" + strings.Join(*v.p, ",") + "]"
}
