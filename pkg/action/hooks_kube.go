package action

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"

	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/kube"
	"github.com/hoist-dev/hoist/pkg/release"
)

// KubeHooks runs hooks in a cluster.
type KubeHooks struct {
	Clients *kube.Clients
	Apply   *apply.Manager
	// Now is the clock (default time.Now); Log receives "hook started" lines (nil: none).
	Now func() time.Time
	Log *slog.Logger
}

func (c *KubeHooks) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *KubeHooks) log() *slog.Logger { return loggerOr(c.Log) }

// RunHook implements HookRunner: it (re)creates the hook's object as its delete
// policies say, waits for Jobs and Pods to complete and records the run in h.LastRun.
func (c *KubeHooks) RunHook(ctx context.Context, r *release.Release, h *release.Hook, timeout time.Duration) error {
	objs, err := c.Apply.Build(h.Manifest, r.Namespace)
	if err != nil {
		return err
	}
	if len(objs) != 1 {
		return fmt.Errorf("a hook document must hold exactly one object, found %d", len(objs))
	}
	obj := objs[0]
	policies := h.DeletePolicies
	if len(policies) == 0 {
		policies = []string{hookBeforeCreation}
	}
	res, err := c.resourceFor(obj)
	if err != nil {
		return err
	}
	if slices.Contains(policies, hookBeforeCreation) {
		if err := deleteAndWait(ctx, res, obj.GetName(), timeout); err != nil {
			return err
		}
	}
	h.LastRun = release.HookRun{StartedAt: c.now().UTC(), Phase: "Running"}
	if _, err := c.Apply.Apply(ctx, objs, apply.ApplyOptions{Owner: owner(r), TakeOwnership: true}); err != nil {
		h.LastRun.Phase = "Failed"
		return err
	}
	c.log().Info(fmt.Sprintf("hook %s %s/%s started", strings.Join(eventNames(h.Events), ","), h.Kind, h.Name),
		"release", r.Name, "namespace", r.Namespace, "hook", h.Kind+"/"+h.Name)
	werr := c.waitHook(ctx, res, obj, timeout)
	h.LastRun.CompletedAt = c.now().UTC()
	if werr != nil {
		h.LastRun.Phase = "Failed"
		if logs := c.hookLogs(ctx, obj); logs != "" {
			werr = fmt.Errorf("%w\n--- logs ---\n%s", werr, logs)
		}
		if slices.Contains(policies, hookFailed) {
			// The wait may have ended with ctx; the clean-up gets its own bounded time.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			_ = deleteAndWait(cctx, res, obj.GetName(), timeout)
			cancel()
		}
		return werr
	}
	h.LastRun.Phase = "Succeeded"
	if slices.Contains(policies, hookSucceeded) {
		return deleteAndWait(ctx, res, obj.GetName(), timeout)
	}
	return nil
}

func eventNames(es []release.HookEvent) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = string(e)
	}
	return out
}

func (c *KubeHooks) resourceFor(obj *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := obj.GroupVersionKind()
	m, err := c.Clients.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", gvk.Kind, err)
	}
	if m.Scope.Name() == "namespace" {
		return c.Clients.Dynamic.Resource(m.Resource).Namespace(obj.GetNamespace()), nil
	}
	return c.Clients.Dynamic.Resource(m.Resource), nil
}

// deleteAndWait deletes an object (foreground) and waits until it is gone.
func deleteAndWait(ctx context.Context, res dynamic.ResourceInterface, name string, timeout time.Duration) error {
	fg := metav1.DeletePropagationForeground
	err := res.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &fg})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting %s: %w", name, err)
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if _, err := res.Get(ctx, name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s still exists %s after its deletion", name, timeout)
}

// waitHook watches a Job until Complete or Failed, or a Pod until Succeeded or Failed;
// other kinds are done once created.
func (c *KubeHooks) waitHook(ctx context.Context, res dynamic.ResourceInterface, obj *unstructured.Unstructured, timeout time.Duration) error {
	kind := obj.GetKind()
	if kind != "Job" && kind != "Pod" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		cur, err := res.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("reading %s %s: %w", kind, obj.GetName(), err)
		}
		if done, err := hookDone(cur); done {
			return err
		}
		w, err := res.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + obj.GetName(), ResourceVersion: cur.GetResourceVersion()})
		if err != nil {
			return fmt.Errorf("watching %s %s: %w", kind, obj.GetName(), err)
		}
		for ev := range w.ResultChan() {
			if ev.Type == watch.Error {
				break
			}
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			if ev.Type == watch.Deleted {
				w.Stop()
				return fmt.Errorf("%s %s was deleted before it completed", kind, obj.GetName())
			}
			if done, err := hookDone(u); done {
				w.Stop()
				return err
			}
		}
		w.Stop()
		if ctx.Err() != nil {
			return fmt.Errorf("%s %s did not complete within %s", kind, obj.GetName(), timeout)
		}
	}
}

func hookDone(u *unstructured.Unstructured) (bool, error) {
	switch u.GetKind() {
	case "Job":
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["status"] != "True" {
				continue
			}
			switch m["type"] {
			case "Complete":
				return true, nil
			case "Failed", "FailureTarget":
				// Since Kubernetes 1.31 FailureTarget says the Job has failed at once, and
				// Failed follows once its pods are gone, which a lost node (or a pod kwok
				// leaves alone) can delay for ever.
				return true, fmt.Errorf("job failed: %v", m["message"])
			}
		}
	case "Pod":
		phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
		switch phase {
		case string(corev1.PodSucceeded):
			return true, nil
		case string(corev1.PodFailed):
			msg, _, _ := unstructured.NestedString(u.Object, "status", "message")
			return true, fmt.Errorf("pod failed: %s", msg)
		}
	}
	return false, nil
}

// hookLogs returns the last lines of the logs of a hook Pod, or of a hook Job's pods.
func (c *KubeHooks) hookLogs(ctx context.Context, obj *unstructured.Unstructured) string {
	pods := c.Clients.Typed.CoreV1().Pods(obj.GetNamespace())
	var names []string
	switch obj.GetKind() {
	case "Pod":
		names = []string{obj.GetName()}
	case "Job":
		list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: "job-name=" + obj.GetName()})
		if err != nil {
			return ""
		}
		for _, p := range list.Items {
			names = append(names, p.Name)
		}
	}
	var b strings.Builder
	tail := int64(40)
	for _, n := range names {
		rc, err := pods.GetLogs(n, &corev1.PodLogOptions{TailLines: &tail}).Stream(ctx)
		if err != nil {
			fmt.Fprintf(&b, "[%s] logs unavailable: %v\n", n, err)
			continue
		}
		body, _ := io.ReadAll(io.LimitReader(rc, 64<<10))
		rc.Close()
		fmt.Fprintf(&b, "[%s]\n%s", n, body)
	}
	return strings.TrimSpace(b.String())
}
