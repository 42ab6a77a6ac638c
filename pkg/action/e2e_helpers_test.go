package action

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/hoist-dev/hoist/pkg/kube"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/testenv"
)

// rolloutChart serves the rollout, non-admin and bad-input scenarios; the other fixture
// charts are declared next to the scenario that uses them.
const rolloutChart = "../../testdata/charts/rollout"

func e2eConfig(t *testing.T) (*Configuration, string) {
	t.Helper()
	env := testenv.Require(t)
	ns := env.Namespace(t)
	var log bytes.Buffer
	cfg := adminConfig(t, env, "e2e-"+t.Name(), slog.New(slog.NewTextHandler(&log, nil)))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("operation log:\n%s", log.String())
		}
	})
	return cfg, ns
}

// adminConfig is a Configuration on the test cluster as its admin, taking the releases'
// locks as identity.
func adminConfig(t *testing.T, env *testenv.Env, identity string, log *slog.Logger) *Configuration {
	t.Helper()
	rc, err := env.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	clients, err := kube.NewClients(rc)
	if err != nil {
		t.Fatal(err)
	}
	return NewConfiguration(clients, identity, log)
}

func fetchLocal(t *testing.T, path string) *source.Fetched {
	t.Helper()
	f, err := source.LocalGetter{}.Get(context.Background(), source.Ref{Kind: source.Local, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// copyTree copies a chart directory.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// clientsOf are the clients a Configuration made by NewConfiguration works with.
func clientsOf(cfg *Configuration) *kube.Clients { return cfg.Hooks.(*KubeHooks).Clients }

// releaseTest runs ReleaseTest and returns the tested revision.
func releaseTest(ctx context.Context, cfg *Configuration, ns, name string, timeout time.Duration) (*release.Release, error) {
	res, err := ReleaseTest{Config: cfg}.Run(ctx, ReleaseTestOptions{Name: name, Namespace: ns, Timeout: timeout})
	if res == nil {
		return nil, err
	}
	return res.Release, err
}

// scenario starts a scenario test of ordered steps: e2eConfig, a context that ends
// after limit, the typed clients and the step runner (steps). A cleanup deletes the
// namespace and force-deletes its pods: kwok leaves pods annotated
// kwok.x-k8s.io/status=custom Terminating for ever once deleted, which would keep the
// namespace Terminating for ever too.
func scenario(t *testing.T, limit time.Duration) (*Configuration, string, context.Context, kubernetes.Interface, func(string, func(*testing.T))) {
	t.Helper()
	cfg, ns := e2eConfig(t)
	cs := clientsOf(cfg).Typed
	t.Cleanup(func() {
		if os.Getenv("HOIST_E2E_KEEP") == "1" {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		// A terminating namespace admits no new pods, so the loop ends.
		_ = cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
		zero := int64(0)
		for ctx.Err() == nil {
			pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err != nil || len(pods.Items) == 0 {
				return
			}
			for _, p := range pods.Items {
				_ = cs.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
			}
			time.Sleep(300 * time.Millisecond)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	return cfg, ns, ctx, cs, steps(t)
}

// steps runs ordered scenario steps: a failed step stops the scenario.
func steps(t *testing.T) func(name string, f func(t *testing.T)) {
	return func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
}

func historyStatuses(t *testing.T, ctx context.Context, cfg *Configuration, ns, name string) []string {
	t.Helper()
	h, err := History{Config: cfg}.Run(ctx, HistoryOptions{Name: name, Namespace: ns, Max: 0})
	if err != nil {
		t.Fatalf("history of %s: %v", name, err)
	}
	out := make([]string, len(h))
	for i, r := range h {
		out[i] = string(r.Status)
		if r.Revision != i+1 {
			t.Fatalf("history of %s: revision %d at position %d", name, r.Revision, i)
		}
	}
	return out
}

func wantHistory(t *testing.T, ctx context.Context, cfg *Configuration, ns, name string, want ...release.Status) {
	t.Helper()
	got := historyStatuses(t, ctx, cfg, ns, name)
	ws := make([]string, len(want))
	for i, s := range want {
		ws[i] = string(s)
	}
	if strings.Join(got, ",") != strings.Join(ws, ",") {
		t.Fatalf("history of %s: %v, want %v", name, got, ws)
	}
}

// noPending fails when a revision of the release is left pending.
func noPending(t *testing.T, ctx context.Context, cfg *Configuration, ns, name string) {
	t.Helper()
	h, err := cfg.Storage.History(ctx, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range h {
		if r.Status.IsPending() {
			t.Fatalf("revision %d of %s is left %s: %q", r.Revision, name, r.Status, r.Description)
		}
	}
}

func getRecord(t *testing.T, ctx context.Context, cfg *Configuration, ns, name string, rev int) *release.Release {
	t.Helper()
	r, err := cfg.Storage.Get(ctx, ns, name, rev)
	if err != nil {
		t.Fatalf("revision %d of %s: %v", rev, name, err)
	}
	return r
}

func wantContains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Fatalf("%s should mention %q:\n%s", what, sub, s)
		}
	}
}

// noLease fails when the release's lock is still held.
func noLease(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, name string) {
	t.Helper()
	l, err := cs.CoordinationV1().Leases(ns).Get(ctx, storage.LeaseName(name), metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		holder := ""
		if l != nil && l.Spec.HolderIdentity != nil {
			holder = *l.Spec.HolderIdentity
		}
		t.Fatalf("the lock of %s should be released: %v (held by %q)", name, err, holder)
	}
}

func deploymentReady(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, name string, replicas int32) {
	t.Helper()
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status.ReadyReplicas != replicas || d.Status.UpdatedReplicas != replicas {
		t.Fatalf("deployment %s: %d ready, %d updated, want %d", name, d.Status.ReadyReplicas, d.Status.UpdatedReplicas, replicas)
	}
}

func configMapData(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, name, key string) string {
	t.Helper()
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("configmap %s: %v", name, err)
	}
	return cm.Data[key]
}
