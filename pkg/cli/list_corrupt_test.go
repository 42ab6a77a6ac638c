package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
)

// TestListWarnsOfCorruptRecord: `hoist list` against an API server (an httptest stand-in
// serving the namespace's Secrets) with one tampered record among good ones lists the
// good ones and names the tampered Secret in a warning on stderr, exit code 0.
func TestListWarnsOfCorruptRecord(t *testing.T) {
	ctx := context.Background()
	// The good records as the driver writes them, read back from a fake clientset.
	fc := fake.NewClientset()
	d := &storage.Secrets{Client: fc}
	for _, name := range []string{"api", "web"} {
		r := &release.Release{Name: name, Namespace: "apps", Revision: 1, Status: release.StatusDeployed, Manifest: "x"}
		if err := d.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	list, err := fc.CoreV1().Secrets("apps").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bad := storage.SecretName("bad", 1)
	list.Items = append(list.Items, corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: bad, Namespace: "apps", Labels: map[string]string{
			storage.LabelOwner: "hoist", storage.LabelName: "bad", storage.LabelRevision: "1", storage.LabelStatus: "deployed",
		}},
		Type: storage.SecretType,
		Data: map[string][]byte{"release": []byte("tampered")},
	})
	list.Kind, list.APIVersion = "SecretList", "v1"
	body, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/api/v1/namespaces/apps/secrets" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	kubeconfig := filepath.Join(dir, "kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: %q}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: apps}}]
current-context: x
`, srv.URL)
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := run(t, "list", "--kubeconfig", kubeconfig, "-n", "apps", "-q")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if out != "api\nweb\n" {
		t.Errorf("stdout %q, want the two good releases", out)
	}
	if !strings.HasPrefix(errOut, "WARNING: skipped ") || !strings.Contains(errOut, "apps/"+bad) || strings.Count(errOut, "\n") != 1 {
		t.Errorf("stderr %q, want one warning naming apps/%s", errOut, bad)
	}
	t.Logf("stderr: %s", errOut)
}
