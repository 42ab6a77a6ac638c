package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
	"github.com/hoist-dev/hoist/pkg/testenv"
)

// hoistBin is this command built once per test binary (buildOnce, shared with the
// start-up tests), or $HOIST_CLI_BIN when set (a binary built from this checkout, to
// spare the build when iterating).
func hoistBin(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("HOIST_CLI_BIN"); bin != "" {
		return bin
	}
	bin, err := buildOnce()
	if err != nil {
		t.Fatalf("building hoist: %v", err)
	}
	return bin
}

// cliEnv is one test's namespace on the shared environment, with the records' storage
// and a way to run the hoist binary against it.
type cliEnv struct {
	t     *testing.T
	env   *testenv.Env
	ns    string
	cs    kubernetes.Interface
	store *storage.Secrets
	bin   string
	// extraEnv is added to every command's environment.
	extraEnv []string
}

func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	env := testenv.Require(t)
	bin := hoistBin(t)
	ns := env.Namespace(t)
	cs, err := env.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	return &cliEnv{t: t, env: env, ns: ns, cs: cs, store: &storage.Secrets{Client: cs}, bin: bin}
}

func (e *cliEnv) command(args ...string) *exec.Cmd {
	cmd := exec.Command(e.bin, append(args, "-n", e.ns)...)
	cmd.Env = append(append(os.Environ(), "KUBECONFIG="+e.env.AdminKubeconfig), e.extraEnv...)
	return cmd
}

// run runs hoist to completion and returns its combined output.
func (e *cliEnv) run(args ...string) (string, error) {
	var out bytes.Buffer
	cmd := e.command(args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// start starts hoist and kills it when the test ends.
func (e *cliEnv) start(args ...string) (*exec.Cmd, *syncBuffer) {
	e.t.Helper()
	out := &syncBuffer{}
	cmd := e.command(args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, out
}

// waitPending returns once revision rev of the release is pending.
func (e *cliEnv) waitPending(ctx context.Context, name string, rev int, out *syncBuffer) {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r, err := e.store.Get(ctx, e.ns, name, rev)
		if err == nil && r.Status.IsPending() {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("revision %d never became pending: %v\n%s", rev, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *cliEnv) record(ctx context.Context, name string, rev int) *release.Release {
	e.t.Helper()
	r, err := e.store.Get(ctx, e.ns, name, rev)
	if err != nil {
		e.t.Fatalf("revision %d of %s: %v", rev, name, err)
	}
	return r
}

// wantHistory checks the statuses of every revision, oldest first.
func (e *cliEnv) wantHistory(ctx context.Context, name string, want ...release.Status) []*release.Release {
	e.t.Helper()
	h, err := e.store.History(ctx, e.ns, name)
	if err != nil {
		e.t.Fatal(err)
	}
	got := make([]string, len(h))
	for i, r := range h {
		got[i] = string(r.Status)
	}
	ws := make([]string, len(want))
	for i, s := range want {
		ws[i] = string(s)
	}
	if strings.Join(got, ",") != strings.Join(ws, ",") {
		e.t.Fatalf("history of %s: %v, want %v", name, got, ws)
	}
	return h
}

func (e *cliEnv) configMap(ctx context.Context, name string) *corev1.ConfigMap {
	e.t.Helper()
	cm, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatalf("configmap %s: %v", name, err)
	}
	return cm
}

// objectVersions are the resourceVersions of the namespace's ConfigMaps, Deployments
// and Services by kind/name: what changes when anything writes to them.
func (e *cliEnv) objectVersions(ctx context.Context) map[string]string {
	e.t.Helper()
	out := map[string]string{}
	cms, err := e.cs.CoreV1().ConfigMaps(e.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, o := range cms.Items {
		out["ConfigMap/"+o.Name] = o.ResourceVersion
	}
	ds, err := e.cs.AppsV1().Deployments(e.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, o := range ds.Items {
		out["Deployment/"+o.Name] = o.ResourceVersion
	}
	ss, err := e.cs.CoreV1().Services(e.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, o := range ss.Items {
		out["Service/"+o.Name] = o.ResourceVersion
	}
	return out
}

func wantContains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Fatalf("%s should mention %q:\n%s", what, sub, s)
		}
	}
}

func steps(t *testing.T) func(name string, f func(t *testing.T)) {
	return func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
}

// syncBuffer is a bytes.Buffer a running process and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
