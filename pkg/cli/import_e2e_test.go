package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hoist-dev/hoist/pkg/testenv"
)

// TestE2EImportHelm makes a release with helm v3.22.0 and with helm v4.3.1 (built in the
// tools module), imports it, and checks that hoist history shows Helm's revisions, that
// hoist took over Helm's fields (an upgrade removes a field the chart stops setting,
// without conflicts), and that hoist rollback to a revision Helm made restores it.
func TestE2EImportHelm(t *testing.T) {
	env := testenv.Require(t)
	for _, h := range []struct{ name, dir string }{{"helm3", "helm3-3.22.0"}, {"helm4", "helm-4.3.1"}} {
		t.Run(h.name, func(t *testing.T) {
			bin := filepath.Join(testenv.DefaultToolsDir(), h.dir, "helm")
			if _, err := os.Stat(bin); err != nil {
				if os.Getenv("HOIST_E2E_REQUIRED") != "" {
					t.Fatalf("%s not found at %s: build it with scripts/build-tools.sh", h.name, bin)
				}
				t.Skipf("%s not found at %s: build it with scripts/build-tools.sh", h.name, bin)
			}
			testImportHelm(t, env, bin)
		})
	}
}

func testImportHelm(t *testing.T, env *testenv.Env, helmBin string) {
	c := newClusterCLI(t)
	ns, cs, hoist, must := c.ns, c.cs, c.hoist, c.must
	ctx := context.Background()
	const chart = "testdata/charts/diffchart"
	helm := func(args ...string) {
		t.Helper()
		home := t.TempDir()
		cmd := exec.Command(helmBin, append(args, "-n", ns, "--kubeconfig", env.AdminKubeconfig)...)
		cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+home, "HELM_CACHE_HOME="+home, "HELM_DATA_HOME="+home)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("helm %v: %v\n%s", args, err, out.String())
		}
	}
	cmData := c.configMapData

	helm("install", "d", chart, "--set", "message=one")
	helm("upgrade", "d", chart, "--set", "message=two,replicas=2", "--description", "second by helm")

	t.Run("bad input writes nothing", func(t *testing.T) {
		if _, errOut, code := hoist("import", "helm", "nope"); code != 1 || !strings.Contains(errOut, "no Helm release nope in "+ns) {
			t.Errorf("missing release: exit %d %s", code, errOut)
		}
		bad := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "sh.helm.release.v1.broken.v1", Labels: map[string]string{"owner": "helm", "name": "broken", "version": "1", "status": "deployed"}},
			Type:       "helm.sh/release.v1",
			Data:       map[string][]byte{"release": []byte("H4sI-not-base64!")},
		}
		if _, err := cs.CoreV1().Secrets(ns).Create(ctx, bad, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, errOut, code := hoist("import", "helm", "broken"); code != 1 || !strings.Contains(errOut, "sh.helm.release.v1.broken.v1") || !strings.Contains(errOut, "nothing imported") {
			t.Errorf("corrupt record: exit %d %s", code, errOut)
		}
		if out, _, _ := hoist("history", "broken"); strings.Contains(out, "deployed") {
			t.Errorf("a record was written for the corrupt release:\n%s", out)
		}
	})

	out := must("import", "helm", "d")
	if !strings.Contains(out, "Imported 2 revision(s) of d") || !strings.Contains(out, "second by helm") {
		t.Errorf("import output:\n%s", out)
	}
	if _, errOut, code := hoist("import", "helm", "d"); code != 1 || !strings.Contains(errOut, "already has hoist records") {
		t.Errorf("second import: exit %d %s", code, errOut)
	}
	hist := must("history", "d")
	if !strings.Contains(hist, "superseded") || !strings.Contains(hist, "deployed") || !strings.Contains(hist, "second by helm") {
		t.Errorf("history after import:\n%s", hist)
	}
	if got := must("get", "values", "d"); !strings.Contains(got, "message: two") {
		t.Errorf("values of the imported revision:\n%s", got)
	}
	dep, err := cs.AppsV1().Deployments(ns).Get(ctx, "d-app", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range dep.ManagedFields {
		if e.Manager == "helm" {
			t.Errorf("helm still owns fields after the import: %+v", e)
		}
	}
	if secrets, _ := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: "owner=helm,name=d"}); len(secrets.Items) != 2 {
		t.Errorf("Helm's records should stay: %d left", len(secrets.Items))
	}

	// The first hoist upgrade: no conflicts, and the field the chart stops setting
	// (removable, owned by Helm before) is removed.
	out = must("upgrade", "d", chart, "--reuse-values", "--set", "message=three,extra=false", "-o", "json")
	if strings.Contains(out, `"conflicts"`) {
		t.Errorf("the first upgrade after the import took fields from other managers:\n%s", out)
	}
	data := cmData("d-config")
	if data["message"] != "three" || data["removable"] != "" || data["other"] != "kept" {
		t.Errorf("after upgrade: %v", data)
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "d-extra", metav1.GetOptions{}); err == nil {
		t.Error("d-extra, which Helm made and the chart dropped, was not pruned")
	}
	if d, _ := cs.AppsV1().Deployments(ns).Get(ctx, "d-app", metav1.GetOptions{}); d == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas (reused from Helm's values) %v", d.Spec.Replicas)
	}

	// Roll back to revision 1, made by Helm.
	must("rollback", "d", "1")
	data = cmData("d-config")
	if data["message"] != "one" || data["removable"] != "yes" {
		t.Errorf("after rollback to Helm's revision 1: %v", data)
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "d-extra", metav1.GetOptions{}); err != nil {
		t.Errorf("rollback did not restore d-extra: %v", err)
	}
	if hist := must("history", "d"); !strings.Contains(hist, "Rollback to 1") {
		t.Errorf("history:\n%s", hist)
	}
}
