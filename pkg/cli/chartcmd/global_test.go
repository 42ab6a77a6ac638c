package chartcmd

import (
	"testing"

	"github.com/spf13/pflag"
)

// Helm's namespace rule: -n, else $HOIST_NAMESPACE, else what the kubeconfig says.
func TestResolveNamespace(t *testing.T) {
	fromKubeconfig := func() (string, bool) { return "team", true }
	unknown := func() (string, bool) { return "", false }
	cases := []struct {
		flag, env string
		kc        func() (string, bool)
		want      string
		known     bool
	}{
		{"prod", "env", unknown, "prod", true},
		{"", "env", unknown, "env", true},
		{"", "", fromKubeconfig, "team", true},
		{"", "", unknown, "", false},
	}
	for _, tc := range cases {
		g := GlobalFlags{Namespace: tc.flag}
		got, known := g.ResolveNamespace(func(k string) string {
			if k == NamespaceEnv {
				return tc.env
			}
			return ""
		}, tc.kc)
		if got != tc.want || known != tc.known {
			t.Errorf("-n %q, $%s %q: got %q, %v; want %q, %v", tc.flag, NamespaceEnv, tc.env, got, known, tc.want, tc.known)
		}
	}
}

// --as and --as-group are kubectl's names for --kube-as-user and --kube-as-group.
func TestGlobalFlagAliases(t *testing.T) {
	var g GlobalFlags
	f := pflag.NewFlagSet("hoist", pflag.ContinueOnError)
	g.Register(f)
	if err := f.Parse([]string{"--as", "me", "--as-group", "a", "--kube-as-group", "b", "-n", "x", "--request-timeout", "5s"}); err != nil {
		t.Fatal(err)
	}
	if g.Conn.AsUser != "me" || len(g.Conn.AsGroups) != 2 || g.Namespace != "x" || g.Conn.Timeout != "5s" {
		t.Errorf("parsed %+v", g)
	}
}
