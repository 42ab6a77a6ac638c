package apply_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/kube"
	"github.com/hoist-dev/hoist/pkg/testenv"
)

// requestCounter counts the requests that write (POST, PUT, PATCH, DELETE without
// dryRun) and the dry runs, through a RoundTripper wrapped around the REST config's.
type requestCounter struct {
	writes, dryRuns, all atomic.Int64
	next                 http.RoundTripper
}

func (c *requestCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.all.Add(1)
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		if strings.Contains(r.URL.RawQuery, "dryRun") {
			c.dryRuns.Add(1)
		} else {
			c.writes.Add(1)
		}
	}
	return c.next.RoundTrip(r)
}

func (c *requestCounter) reset() { c.writes.Store(0); c.dryRuns.Store(0); c.all.Store(0) }

// e2e is what an end-to-end test of the package needs.
type e2e struct {
	env     *testenv.Env
	clients *kube.Clients
	counter *requestCounter
	m       *apply.Manager
}

func newE2E(t testing.TB) *e2e {
	t.Helper()
	env := testenv.Require(t)
	cfg, err := env.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	counter := &requestCounter{}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { counter.next = rt; return counter })
	clients, err := kube.NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &e2e{env: env, clients: clients, counter: counter, m: &apply.Manager{Clients: clients, FieldManager: "hoist"}}
}

// namespace creates the test's namespace. Its pods are force-deleted first when the test
// ends: kwok never confirms the deletion of pods it disregards (kwok.x-k8s.io/status:
// custom), which would leave the namespace terminating for ever.
func (e *e2e) namespace(t testing.TB) string {
	t.Helper()
	ns := e.env.Namespace(t)
	t.Cleanup(func() {
		zero := int64(0)
		_ = e.clients.Typed.CoreV1().Pods(ns).DeleteCollection(context.Background(),
			metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{})
	})
	return ns
}

func (e *e2e) build(t testing.TB, manifest, ns string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := e.m.Build(manifest, ns)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return objs
}

// get reads a live object.
func (e *e2e) get(t testing.TB, gvr schema.GroupVersionResource, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u, err := e.clients.Dynamic.Resource(gvr).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get %s %s/%s: %v", gvr.Resource, ns, name, err)
	}
	return u
}

var (
	cmGVR     = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	deployGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
)

// actions maps "Kind/name" to the action of each change.
func actions(cs *apply.ChangeSet) map[string]apply.Action {
	out := map[string]apply.Action{}
	for _, c := range cs.Changes {
		out[c.Object.Kind+"/"+c.Object.Name] = c.Action
	}
	return out
}

func wantActions(t testing.TB, cs *apply.ChangeSet, want map[string]apply.Action) {
	t.Helper()
	got := actions(cs)
	for k, a := range want {
		if got[k] != a {
			t.Errorf("%s: action %q, want %q (change set: %s)", k, got[k], a, cs.Summary())
		}
	}
}
