package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"
)

// parsed returns settings after parsing args as the root command's flags.
func parsed(t *testing.T, args ...string) *settings {
	t.Helper()
	s := newSettings()
	root := &cobra.Command{Use: "hoist"}
	s.register(root)
	if err := root.PersistentFlags().Parse(args); err != nil {
		t.Fatal(err)
	}
	return s
}

// The namespace: -n, else $HOIST_NAMESPACE, else the kubeconfig context's, else "default".
func TestSettingsNamespace(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts:\n- name: c\n  context: {cluster: x, namespace: team}\nclusters:\n- name: x\n  cluster: {server: 'https://127.0.0.1:1'}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBECONFIG", kubeconfig)
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("HOIST_NAMESPACE", "")
	if got := parsed(t).Namespace(); got != "team" {
		t.Errorf("kubeconfig context's namespace: got %q", got)
	}
	if got := parsed(t, "--kubeconfig", os.DevNull).Namespace(); got != "default" {
		t.Errorf("no context: got %q", got)
	}
	t.Setenv("HOIST_NAMESPACE", "env")
	if got := parsed(t).Namespace(); got != "env" {
		t.Errorf("$HOIST_NAMESPACE: got %q", got)
	}
	if got := parsed(t, "-n", "flag").Namespace(); got != "flag" {
		t.Errorf("-n: got %q", got)
	}
}

// The connection flags reach the REST config (building clients contacts no server).
func TestSettingsClients(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	s := parsed(t, "--kubeconfig", os.DevNull, "--kube-apiserver", "https://127.0.0.1:6443", "--kube-token", "tok",
		"--kube-as-user", "me", "--as-group", "g1", "--kube-as-group", "g2", "--kube-insecure-skip-tls-verify", "-n", "prod")
	c, err := s.Clients()
	if err != nil {
		t.Fatal(err)
	}
	cfg := c.Config
	if cfg.Host != "https://127.0.0.1:6443" || cfg.BearerToken != "tok" || !cfg.Insecure ||
		cfg.Impersonate.UserName != "me" || len(cfg.Impersonate.Groups) != 2 || cfg.QPS != clientQPS || cfg.Burst != clientBurst {
		t.Errorf("REST config from the flags: %+v", cfg)
	}
	if c.Mapper == nil || c.Typed == nil || c.Dynamic == nil {
		t.Errorf("clients missing: %+v", c)
	}
	if again, _ := s.Clients(); again != c {
		t.Error("clients built twice")
	}
}
