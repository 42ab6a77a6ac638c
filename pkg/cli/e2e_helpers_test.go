package cli

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/hoist-dev/hoist/pkg/testenv"
)

// clusterCLI runs hoist against the test environment, in a namespace of its own.
type clusterCLI struct {
	t   *testing.T
	env *testenv.Env
	ns  string
	cs  kubernetes.Interface
}

func newClusterCLI(t *testing.T) *clusterCLI {
	t.Helper()
	env := testenv.Require(t)
	ns := env.Namespace(t)
	rc, err := env.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	return &clusterCLI{t: t, env: env, ns: ns, cs: kubernetes.NewForConfigOrDie(rc)}
}

// hoist runs hoist with the admin kubeconfig in the test's namespace.
func (c *clusterCLI) hoist(args ...string) (string, string, int) {
	return run(c.t, append([]string{"--kubeconfig", c.env.AdminKubeconfig, "-n", c.ns}, args...)...)
}

// must is hoist, failing the test unless it exits 0; it returns stdout.
func (c *clusterCLI) must(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.hoist(args...)
	if code != 0 {
		c.t.Fatalf("hoist %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// configMapData reads a ConfigMap of the namespace.
func (c *clusterCLI) configMapData(name string) map[string]string {
	c.t.Helper()
	cm, err := c.cs.CoreV1().ConfigMaps(c.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		c.t.Fatal(err)
	}
	return cm.Data
}
