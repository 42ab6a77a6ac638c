package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/testenv"
)

func TestPullErrors(t *testing.T) {
	isolateRegistryState(t)
	host := closedPort(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"pull"}, "requires at least 1 arg"},
		{[]string{"pull", "bitnami/nginx"}, `"bitnami/nginx" is a repo reference: hoist pull fetches charts from OCI registries`},
		{[]string{"pull", "oci://" + host + "/web:1.0.0", "--version", "1.0.0"}, "--version cannot be combined with a tag or digest"},
		{[]string{"pull", "oci://" + host + "/web", "--version", "1.0.0", "--plain-http"}, "cannot reach registry " + host + ": connection refused"},
		{[]string{"pull", "oci://" + host + "/web", "--version", "1.0.0"}, "cannot reach registry " + host},
	} {
		dest := t.TempDir()
		out, errOut, code := run(t, append(tc.args, "-d", dest)...)
		if code != 1 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", tc.args, code, out, errOut, tc.want)
		}
		if entries, _ := os.ReadDir(dest); len(entries) != 0 {
			t.Errorf("%v left %v", tc.args, entries)
		}
	}
}

// TestE2EPullHelmPushed pulls with hoist a chart helm v4 pushed, and checks that hoist
// template renders the pulled archive exactly as helm template renders the chart
// straight from the registry.
func TestE2EPullHelmPushed(t *testing.T) {
	env := testenv.Require(t)
	helmBin := filepath.Join(testenv.DefaultToolsDir(), "helm-4.3.1", "helm") // before XDG_CACHE_HOME moves
	if _, err := os.Stat(helmBin); err != nil {
		t.Skipf("helm 4.3.1 not found at %s: build it with scripts/build-tools.sh helm", helmBin)
	}
	isolateRegistryState(t)
	helm := func(args ...string) string {
		t.Helper()
		home := t.TempDir()
		cmd := exec.Command(helmBin, args...)
		cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+home, "HELM_CACHE_HOME="+home, "HELM_DATA_HOME="+home)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("helm %v: %v\n%s", args, err, errb.String())
		}
		return out.String()
	}
	archive := writeChartArchive(t, t.TempDir(), "web", "3.1.0")
	org := uniqueName(t)
	pushed := helm("push", archive, "oci://"+env.Registry+"/"+org, "--plain-http")

	dest := t.TempDir()
	out, errOut, code := run(t, "pull", "oci://"+env.Registry+"/"+org+"/web", "--plain-http", "-d", dest)
	if code != 0 {
		t.Fatalf("pull: %s", errOut)
	}
	if got, want := strings.Split(out, "\n")[1], strings.Split(strings.TrimSpace(pushed), "\n")[1]; got != want {
		t.Errorf("hoist pulled %q, helm pushed %q", got, want)
	}
	pulled := filepath.Join(dest, "web-3.1.0.tgz")
	if !bytes.Equal(readFile(t, pulled), readFile(t, archive)) {
		t.Error("pulled archive differs from the pushed one")
	}
	hoistOut, errOut, code := run(t, "template", "rel", pulled, "-n", "ns")
	if code != 0 {
		t.Fatalf("hoist template: %s", errOut)
	}
	helmOut := helm("template", "rel", "oci://"+env.Registry+"/"+org+"/web", "--version", "3.1.0", "--plain-http", "-n", "ns")
	if hoistOut != helmOut {
		t.Errorf("rendered output differs\n--- hoist\n%s--- helm\n%s", hoistOut, helmOut)
	}
}
