package apply

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"

	"github.com/hoist-dev/hoist/pkg/kube"
	"github.com/hoist-dev/hoist/pkg/release"
)

var (
	deployGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	cmGVR     = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	jobGVR    = schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}
)

// fakeManager is a Manager on an in-memory dynamic client holding objs.
func fakeManager(t *testing.T, objs ...runtime.Object) (*Manager, *dynamicfake.FakeDynamicClient) {
	t.Helper()
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		deployGVR: "DeploymentList", cmGVR: "ConfigMapList", jobGVR: "JobList",
	}, objs...)
	return &Manager{Clients: &kube.Clients{Dynamic: dyn, Mapper: fakeMapper()}}, dyn
}

func deployment(t *testing.T, name string, replicas, ready int64) *unstructured.Unstructured {
	u := mustObj(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: `+name+`, namespace: ns, generation: 1}
spec: {replicas: 3}
`)
	_ = unstructured.SetNestedField(u.Object, replicas, "spec", "replicas")
	_ = unstructured.SetNestedMap(u.Object, map[string]any{
		"observedGeneration": int64(1), "replicas": replicas, "updatedReplicas": replicas,
		"readyReplicas": ready, "availableReplicas": ready,
		"conditions": []any{map[string]any{"type": "Available", "status": "True"}, map[string]any{"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}},
	}, "status")
	return u
}

func TestWait(t *testing.T) {
	web := deployment(t, "web", 3, 1)
	cm := mustObj(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: ns}\n")
	m, dyn := fakeManager(t, web, cm)
	objs := RefsOf([]*unstructured.Unstructured{web, cm})
	ctx := context.Background()

	var mu sync.Mutex
	var seen []Progress
	// The rollout finishes once the wait has seen it in progress: driven by the first
	// progress report on web (the ConfigMap's informer may report first), not by a sleep
	// that a busy machine outlasts.
	var once sync.Once
	updated := make(chan struct{})
	err := m.Wait(ctx, objs, WaitOptions{Timeout: 10 * time.Second, Progress: func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, p)
		if !slices.ContainsFunc(p.Changed, func(c ObjectStatus) bool { return c.Object.Name == "web" }) {
			return
		}
		once.Do(func() {
			go func() { // not from the callback: the wait delivers the update's event
				defer close(updated)
				if _, err := dyn.Resource(deployGVR).Namespace("ns").Update(ctx, deployment(t, "web", 3, 3), metav1.UpdateOptions{}); err != nil {
					t.Error(err)
				}
			}()
		})
	}})
	if err != nil {
		t.Fatal(err)
	}
	<-updated
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 {
		t.Fatalf("progress: %v", seen)
	}
	first, last := seen[0], seen[len(seen)-1]
	if last.Ready != 2 || last.Total != 2 || len(last.Objects) != 2 {
		t.Errorf("last progress %+v", last)
	}
	var webFirst ObjectStatus
	for _, p := range seen {
		for _, c := range p.Changed {
			if c.Object.Name == "web" && webFirst.Status == "" {
				webFirst = c
			}
		}
	}
	if webFirst.Status != StatusInProgress || !strings.Contains(webFirst.Message, "1/3") {
		t.Errorf("first status of web: %v (first progress %+v)", webFirst, first)
	}
}

func TestWaitTimeoutAndFailure(t *testing.T) {
	stuck := deployment(t, "stuck", 2, 0)
	job := mustObj(t, `
apiVersion: batch/v1
kind: Job
metadata: {name: j, namespace: ns}
status:
  failed: 1
  conditions: [{type: FailureTarget, status: "True", reason: DeadlineExceeded, message: Job was active longer than specified deadline}]
`)
	m, _ := fakeManager(t, stuck, job)
	ctx := context.Background()

	start := time.Now()
	err := m.Wait(ctx, RefsOf([]*unstructured.Unstructured{stuck}), WaitOptions{Timeout: 300 * time.Millisecond})
	var we *WaitError
	if !errors.Is(err, ErrWaitTimeout) || errors.Is(err, ErrWaitFailed) || !errors.As(err, &we) {
		t.Fatalf("want a timeout, got %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("a 300ms timeout took %s", time.Since(start))
	}
	if want := "timed out after 300ms waiting for 1 of 1 objects: Deployment/ns/stuck: InProgress: Available: 0/2"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}

	// A failed Job ends the wait at once with WaitForJobs; without, Jobs are not waited for.
	err = m.Wait(ctx, RefsOf([]*unstructured.Unstructured{job, stuck}), WaitOptions{Timeout: time.Minute, WaitForJobs: true})
	if !errors.Is(err, ErrWaitFailed) || !strings.Contains(err.Error(), "1 of 2 objects failed: Job/ns/j: Failed: Job failed: DeadlineExceeded") ||
		!strings.Contains(err.Error(), "not ready yet: Deployment/ns/stuck") {
		t.Errorf("want the Job to fail the wait, got %v", err)
	}
	if err := m.Wait(ctx, RefsOf([]*unstructured.Unstructured{job}), WaitOptions{Timeout: 5 * time.Second}); err != nil {
		t.Errorf("without WaitForJobs: %v", err)
	}

	// A missing object is not ready until the timeout; a cancelled context ends the
	// wait, naming it (NotFound once the informer has listed, Unknown before that: the
	// cancellation may come first on a busy machine).
	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	err = m.Wait(cctx, []release.ObjectRef{{Version: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "missing"}}, WaitOptions{})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "ConfigMap/ns/missing: ") {
		t.Errorf("want cancellation naming the missing object, got %v", err)
	}

	if err := m.Wait(ctx, []release.ObjectRef{{Group: "nope.example.com", Version: "v1", Kind: "Nothing", Name: "x"}}, WaitOptions{}); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
	if err := m.Wait(ctx, nil, WaitOptions{}); err != nil {
		t.Errorf("nothing to wait for: %v", err)
	}
}

func TestReadiness(t *testing.T) {
	o := release.ObjectRef{Group: "batch", Version: "v1", Kind: "Job", Namespace: "ns", Name: "j"}
	running := mustObj(t, "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, namespace: ns}\nstatus: {active: 1, startTime: \"2026-01-01T00:00:00Z\"}\n")
	complete := mustObj(t, "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, namespace: ns}\nstatus: {succeeded: 1, conditions: [{type: Complete, status: \"True\"}]}\n")
	for _, c := range []struct {
		name string
		u    *unstructured.Unstructured
		jobs bool
		want Status
	}{
		{"running job, not waited for", running, false, StatusCurrent},
		{"running job", running, true, StatusInProgress},
		{"complete job", complete, true, StatusCurrent},
		{"absent", nil, true, StatusNotFound},
	} {
		if got := readiness(o, c.u, c.jobs); got.Status != c.want {
			t.Errorf("%s: %v, want %s", c.name, got, c.want)
		}
	}
	svc := mustObj(t, "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns}\nspec: {type: LoadBalancer, clusterIP: 10.0.0.1}\n")
	if got := readiness(RefOf(svc), svc, false); got.Status != StatusCurrent {
		t.Errorf("a LoadBalancer Service without an ingress (no cloud) is ready once it has a cluster IP: %v", got)
	}
}

func TestApplyRefusesBeforeWriting(t *testing.T) {
	theirs := mustObj(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: theirs, namespace: ns, annotations: {hoist.dev/release-name: other, hoist.dev/release-namespace: ns}}\n")
	m, dyn := fakeManager(t, theirs)
	objs := []*unstructured.Unstructured{
		mustObj(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: new, namespace: ns}\n"),
		mustObj(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: theirs, namespace: ns}\ndata: {a: b}\n"),
		mustObj(t, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: ns}\n"),
	}
	cs, err := m.Apply(context.Background(), objs, ApplyOptions{Owner: Owner{ReleaseName: "app", ReleaseNamespace: "ns"}})
	if !errors.Is(err, ErrNotOwned) || !strings.Contains(err.Error(), "ConfigMap/ns/theirs exists and is not owned by release ns/app: it belongs to release ns/other (hoist)") {
		t.Fatalf("want an ownership error, got %v", err)
	}
	if got := cs.Summary(); got != "2 skipped, 1 failed" {
		t.Errorf("Summary() = %q", got)
	}
	for _, a := range dyn.Actions() {
		if a.GetVerb() != "get" && a.GetVerb() != "list" {
			t.Errorf("a refused apply made a %s request", a.GetVerb())
		}
	}
	for _, o := range objs {
		if len(o.GetAnnotations()) != 0 {
			t.Errorf("Apply modified the caller's object %s", o.GetName())
		}
	}
	if _, err := m.Apply(context.Background(), objs, ApplyOptions{}); err == nil {
		t.Error("Apply without an owner")
	}
}
