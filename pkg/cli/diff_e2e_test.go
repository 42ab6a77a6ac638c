package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/apply"
)

// TestE2EDiffAndDrift installs a release, changes it behind hoist's back, and checks
// status --drift, the three diff commands (text and JSON, exit codes, masking, nothing
// written) and that a plain upgrade restores the drift.
func TestE2EDiffAndDrift(t *testing.T) {
	c := newClusterCLI(t)
	ns, cs, hoist, must := c.ns, c.cs, c.hoist, c.must
	ctx := context.Background()
	const chart = "testdata/charts/diffchart"
	must("install", "d", chart)

	if out := must("status", "d", "--drift"); !strings.Contains(out, "No drift: the 4 objects of revision 1 are as applied.") {
		t.Errorf("status --drift on a fresh release:\n%s", out)
	}
	if out, _, code := hoist("diff", "upgrade", "d", chart, "--exit-code"); code != 0 || !strings.Contains(out, "No changes") {
		t.Errorf("diff with nothing to change: exit %d\n%s", code, out)
	}

	// Drift: another manager edits the ConfigMap and the Secret, scales the Deployment,
	// and the extra ConfigMap is deleted.
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "d-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["message"] = "edited"
	if _, err := cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{FieldManager: "e2e-edit"}); err != nil {
		t.Fatal(err)
	}
	sec, err := cs.CoreV1().Secrets(ns).Get(ctx, "d-secret", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sec.Data["password"] = []byte("stolen-value")
	if _, err := cs.CoreV1().Secrets(ns).Update(ctx, sec, metav1.UpdateOptions{FieldManager: "e2e-edit"}); err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().ConfigMaps(ns).Delete(ctx, "d-extra", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	t.Run("status --drift", func(t *testing.T) {
		out := must("status", "d", "--drift")
		for _, want := range []string{"ConfigMap/" + ns + "/d-config", ".data.message", "edited", "e2e-edit (Update", "ConfigMap/" + ns + "/d-extra", "(object deleted)", ".data.password", "3 of 4 objects of revision 1 drifted"} {
			if !strings.Contains(out, want) {
				t.Errorf("want %q in\n%s", want, out)
			}
		}
		if strings.Contains(out, "s3cret-one") || strings.Contains(out, "stolen-value") {
			t.Errorf("a secret value is shown:\n%s", out)
		}
		var res action.DriftResult
		if err := json.Unmarshal([]byte(must("status", "d", "--drift", "-o", "json")), &res); err != nil || len(res.Objects) != 3 {
			t.Errorf("JSON drift: %v %+v", err, res)
		}
	})

	rvBefore := resourceVersions(t, cs, ns)
	t.Run("diff upgrade separates the chart's changes from drift", func(t *testing.T) {
		out, errOut, code := hoist("diff", "upgrade", "d", chart, "--set", "replicas=2,extra=true", "--exit-code")
		if code != 2 {
			t.Fatalf("exit %d, want 2\n%s%s", code, out, errOut)
		}
		for _, want := range []string{
			"Release d in " + ns + ": revision 1 → upgrade",
			"Created (1):\n+ ConfigMap/" + ns + "/d-extra",
			"~ Deployment/" + ns + "/d-app",
			"-  replicas: 1\n    +  replicas: 2",
			"drift in the cluster, overwritten by the upgrade:",
			"-  message: edited\n    +  message: one",
			"~ Secret/" + ns + "/d-secret",
			"-  password: (hidden, before)\n    +  password: (hidden, changed)",
			"Summary: 1 to create, 3 to change, 0 to delete, 0 unchanged; 2 with drift the upgrade overwrites.",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("want %q in\n%s", want, out)
			}
		}
		if strings.Contains(out, "stolen") || strings.Contains(out, "s3cret") || strings.Contains(out, "c3RvbGVu") || strings.Contains(out, "czNjcmV0") {
			t.Errorf("secret value shown:\n%s", out)
		}
		out, _, _ = hoist("diff", "upgrade", "d", chart, "--set", "replicas=2", "--show-secrets")
		if !strings.Contains(out, "czNjcmV0LW9uZQ==") { // base64 of s3cret-one
			t.Errorf("--show-secrets does not show the value:\n%s", out)
		}
		var res action.DiffResult
		if err := json.Unmarshal([]byte(must("diff", "upgrade", "d", chart, "--set", "replicas=2,extra=false", "-o", "json")), &res); err != nil {
			t.Fatal(err)
		}
		n := res.Count()
		// d-extra is gone already, so dropping it deletes nothing.
		if n[apply.ActionConfigured] != 3 || n[apply.ActionCreated] != 0 || res.Drifted() != 2 {
			t.Errorf("JSON counts %v drifted %d", n, res.Drifted())
		}
	})
	if got := resourceVersions(t, cs, ns); got != rvBefore {
		t.Errorf("diff wrote: resourceVersions %s, then %s", rvBefore, got)
	}
	if out := must("history", "d"); strings.Count(out, "\n") != 2 {
		t.Errorf("diff added a revision:\n%s", out)
	}

	t.Run("upgrade restores the drift", func(t *testing.T) {
		must("upgrade", "d", chart)
		if out := must("status", "d", "--drift"); !strings.Contains(out, "No drift") {
			t.Errorf("after upgrade:\n%s", out)
		}
		s, err := cs.CoreV1().Secrets(ns).Get(ctx, "d-secret", metav1.GetOptions{})
		if err != nil || string(s.Data["password"]) != "s3cret-one" {
			t.Errorf("secret not restored: %v %q", err, s.Data["password"])
		}
	})

	t.Run("diff rollback and diff revision", func(t *testing.T) {
		must("upgrade", "d", chart, "--set", "message=two,extra=false")
		out, _, code := hoist("diff", "rollback", "d", "--exit-code")
		if code != 2 || !strings.Contains(out, "revision 3 → rollback to 2") || !strings.Contains(out, "-  message: two\n    +  message: one\n       other: kept\n    +  removable: \"yes\"") || !strings.Contains(out, "+ ConfigMap/"+ns+"/d-extra") {
			t.Errorf("diff rollback: exit %d\n%s", code, out)
		}
		out = must("diff", "revision", "d", "2", "3")
		if !strings.Contains(out, "- ConfigMap/"+ns+"/d-extra") || !strings.Contains(out, "+  message: two") || !strings.Contains(out, "1 to delete") {
			t.Errorf("diff revision:\n%s", out)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"diff", "upgrade", "nope", chart}, "release nope in " + ns + ": not found"},
			{[]string{"diff", "rollback", "d", "9"}, "has no revision 9"},
			{[]string{"diff", "revision", "d", "1", "7"}, "has no revision 7"},
			{[]string{"diff", "revision", "d", "1", "x"}, `revision "x"`},
			{[]string{"status", "nope", "--drift"}, "release nope in " + ns + ": not found"},
			// The API server rejects the object in the dry run.
			{[]string{"diff", "upgrade", "d", chart, "--set", "replicas=-3"}, "Deployment/" + ns + "/d-app"},
		} {
			out, errOut, code := hoist(c.args...)
			if code != 1 || !strings.Contains(errOut, c.want) {
				t.Errorf("hoist %s: exit %d, want 1 and %q\n%s%s", strings.Join(c.args, " "), code, c.want, out, errOut)
			}
		}
	})
}

// resourceVersions lists the resourceVersions of the namespace's ConfigMaps, Secrets and
// Deployments (writes show as changes).
func resourceVersions(t *testing.T, cs kubernetes.Interface, ns string) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	cms, err := cs.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range cms.Items {
		b.WriteString(o.Name + "=" + o.ResourceVersion + " ")
	}
	ss, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ss.Items {
		b.WriteString(o.Name + "=" + o.ResourceVersion + " ")
	}
	ds, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ds.Items {
		b.WriteString(o.Name + "=" + o.ResourceVersion + " ")
	}
	return b.String()
}
