package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"

	"github.com/hoist-dev/hoist/pkg/release"
)

// Status is an object's readiness, as kstatus computes it.
type Status string

// Statuses (kstatus's, plus NotFound for objects that do not exist).
const (
	StatusInProgress  Status = "InProgress"
	StatusCurrent     Status = "Current"
	StatusFailed      Status = "Failed"
	StatusTerminating Status = "Terminating"
	StatusNotFound    Status = "NotFound"
	StatusUnknown     Status = "Unknown"
)

// ObjectStatus is one object's readiness.
type ObjectStatus struct {
	Object  release.ObjectRef
	Status  Status
	Message string // kstatus's explanation, e.g. "Updated: 2/3"
}

func (s ObjectStatus) String() string {
	if s.Message == "" {
		return fmt.Sprintf("%s: %s", s.Object, s.Status)
	}
	return fmt.Sprintf("%s: %s: %s", s.Object, s.Status, s.Message)
}

// Progress is a snapshot of a wait, given to WaitOptions.Progress after every change.
type Progress struct {
	Elapsed      time.Duration
	Ready, Total int
	// Objects are every object's status, in the order given to Wait.
	Objects []ObjectStatus
	// Changed are the objects whose status or message changed since the last call.
	Changed []ObjectStatus
}

// WaitOptions configure Wait.
type WaitOptions struct {
	// Timeout bounds the wait; 0 waits as long as the context allows.
	Timeout time.Duration
	// Progress, when set, is called (from one goroutine, never concurrently) after every
	// change of an object's status or message.
	Progress func(Progress)
	// WaitForJobs waits for Jobs to complete (a failed Job fails the wait); without it
	// Jobs are ready once they exist.
	WaitForJobs bool
}

// WaitError is why Wait ended without every object ready. It matches ErrWaitTimeout
// when the timeout passed and ErrWaitFailed when an object failed.
type WaitError struct {
	TimedOut bool
	Timeout  time.Duration
	Elapsed  time.Duration
	Total    int
	// Failed are the objects that failed; NotReady the others that were not ready.
	Failed, NotReady []ObjectStatus
	// Err is the context's error when the context ended the wait.
	Err error
}

func (e *WaitError) Error() string {
	list := func(ss []ObjectStatus) string {
		parts := make([]string, len(ss))
		for i, s := range ss {
			parts[i] = s.String()
		}
		return strings.Join(parts, "; ")
	}
	var b strings.Builder
	switch {
	case len(e.Failed) > 0:
		fmt.Fprintf(&b, "%d of %d objects failed: %s", len(e.Failed), e.Total, list(e.Failed))
		if len(e.NotReady) > 0 {
			fmt.Fprintf(&b, "; not ready yet: %s", list(e.NotReady))
		}
		return b.String()
	case e.TimedOut:
		fmt.Fprintf(&b, "timed out after %s waiting for %d of %d objects", e.Timeout, len(e.NotReady), e.Total)
	default:
		fmt.Fprintf(&b, "%v after %s, waiting for %d of %d objects", e.Err, e.Elapsed.Round(time.Millisecond), len(e.NotReady), e.Total)
	}
	if len(e.NotReady) > 0 {
		b.WriteString(": " + list(e.NotReady))
	}
	return b.String()
}

func (e *WaitError) Is(target error) bool {
	return (target == ErrWaitTimeout && e.TimedOut) || (target == ErrWaitFailed && len(e.Failed) > 0)
}

func (e *WaitError) Unwrap() error { return e.Err }

// Wait watches objects until every one is ready (kstatus Current), one fails, the
// timeout passes or the context ends. See the package documentation.
func (m *Manager) Wait(ctx context.Context, objs []release.ObjectRef, opts WaitOptions) error {
	if err := m.check(); err != nil {
		return err
	}
	return m.watch(ctx, objs, watchSpec{
		eval: func(o release.ObjectRef, u *unstructured.Unstructured) ObjectStatus {
			return readiness(o, u, opts.WaitForJobs)
		},
		done:     func(s Status) bool { return s == StatusCurrent },
		failed:   func(s Status) bool { return s == StatusFailed },
		timeout:  opts.Timeout,
		progress: opts.Progress,
	})
}

// waitGone waits until objects are deleted (uids, when given, tell a recreated object
// from the one being deleted), up to timeout (0: as long as the context allows).
func (m *Manager) waitGone(ctx context.Context, objs []release.ObjectRef, uids []types.UID, timeout time.Duration) error {
	uidOf := map[key]types.UID{}
	for i, o := range objs {
		if i < len(uids) {
			uidOf[keyOf(o)] = uids[i]
		}
	}
	return m.watch(ctx, objs, watchSpec{
		eval: func(o release.ObjectRef, u *unstructured.Unstructured) ObjectStatus {
			if u == nil || (uidOf[keyOf(o)] != "" && u.GetUID() != uidOf[keyOf(o)]) {
				return ObjectStatus{Object: o, Status: StatusNotFound, Message: "deleted"}
			}
			msg := "deletion pending"
			if fz := u.GetFinalizers(); len(fz) > 0 {
				msg = "waiting for finalizers: " + strings.Join(fz, ", ")
			}
			return ObjectStatus{Object: o, Status: StatusTerminating, Message: msg}
		},
		done:         func(s Status) bool { return s == StatusNotFound },
		failed:       func(Status) bool { return false },
		goneIfNoKind: true,
		timeout:      timeout,
	})
}

// readiness computes an object's status with kstatus; Jobs follow waitForJobs.
func readiness(o release.ObjectRef, u *unstructured.Unstructured, waitForJobs bool) ObjectStatus {
	st := ObjectStatus{Object: o}
	if u == nil {
		st.Status, st.Message = StatusNotFound, "not found"
		return st
	}
	if o.Group == "batch" && o.Kind == "Job" && u.GetDeletionTimestamp() == nil {
		st.Status, st.Message = jobStatus(u, waitForJobs)
		return st
	}
	res, err := kstatus.Compute(u)
	if err != nil {
		st.Status, st.Message = StatusUnknown, err.Error()
		return st
	}
	st.Status, st.Message = Status(res.Status.String()), res.Message
	return st
}

// jobStatus: with waitForJobs a Job is ready when Complete and failed when Failed;
// without, it is ready as soon as it exists (kstatus calls a running Job Current too).
func jobStatus(u *unstructured.Unstructured, waitForJobs bool) (Status, string) {
	if !waitForJobs {
		return StatusCurrent, "Job not waited for (wait for jobs is off)"
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		cm, _ := c.(map[string]any)
		if cm["status"] != string(corev1.ConditionTrue) {
			continue
		}
		switch cm["type"] {
		case "Complete":
			return StatusCurrent, "Job completed"
		case "Failed", "FailureTarget":
			// FailureTarget: the Job has failed and waits for its pods to terminate
			// before it gets the Failed condition; the outcome is certain already.
			return StatusFailed, fmt.Sprintf("Job failed: %v: %v", cm["reason"], cm["message"])
		}
	}
	succeeded, _, _ := unstructured.NestedInt64(u.Object, "status", "succeeded")
	active, _, _ := unstructured.NestedInt64(u.Object, "status", "active")
	failed, _, _ := unstructured.NestedInt64(u.Object, "status", "failed")
	return StatusInProgress, fmt.Sprintf("Job running: %d succeeded, %d active, %d failed", succeeded, active, failed)
}

// watchSpec says what a watch waits for.
type watchSpec struct {
	eval   func(release.ObjectRef, *unstructured.Unstructured) ObjectStatus
	done   func(Status) bool
	failed func(Status) bool
	// goneIfNoKind: an object of a kind the cluster no longer serves counts as absent
	// (its CRD was deleted), instead of being an error.
	goneIfNoKind bool
	timeout      time.Duration
	progress     func(Progress)
}

// watchGroup is one informer: the objects of one resource in one namespace.
type watchGroup struct {
	members  []int
	informer cache.SharedIndexInformer
	synced   atomic.Bool
	lastErr  atomic.Value // string
}

// watch runs one informer (LIST, then WATCH; the reflector re-lists when a watch
// expires) per resource and namespace of objs, and evaluates the objects of a group
// from its store after each of its events, until spec.done holds for every object.
func (m *Manager) watch(parent context.Context, objs []release.ObjectRef, spec watchSpec) error {
	if len(objs) == 0 {
		return nil
	}
	start := time.Now()
	ctx, cancel := parent, context.CancelFunc(func() {})
	if spec.timeout > 0 {
		ctx, cancel = context.WithTimeout(parent, spec.timeout)
	}
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()

	statuses := make([]ObjectStatus, len(objs))
	var groups []*watchGroup
	byKey := map[groupKey]*watchGroup{}
	for i, o := range objs {
		statuses[i] = ObjectStatus{Object: o, Status: StatusUnknown, Message: "not observed yet"}
		mp, err := m.mapping(o)
		if err != nil {
			if spec.goneIfNoKind && errors.Is(err, ErrUnknownKind) {
				statuses[i] = spec.eval(o, nil)
				continue
			}
			return fmt.Errorf("%s: %w", o, err)
		}
		k := groupKey{mp.Resource, o.Namespace}
		if !namespaced(mp) {
			k.namespace = ""
		}
		g := byKey[k]
		if g == nil {
			g = &watchGroup{}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.members = append(g.members, i)
	}

	var mu sync.Mutex
	dirty := map[*watchGroup]bool{}
	notify := make(chan struct{}, 1)
	markDirty := func(g *watchGroup) {
		mu.Lock()
		dirty[g] = true
		mu.Unlock()
		select {
		case notify <- struct{}{}:
		default:
		}
	}
	for k, g := range byKey {
		g := g
		var selector string
		if len(g.members) == 1 {
			selector = fields.OneTermEqualSelector("metadata.name", objs[g.members[0]].Name).String()
		}
		ri := m.Clients.Dynamic.Resource(k.gvr).Namespace(k.namespace)
		lw := &cache.ListWatch{
			ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				o.FieldSelector = selector
				return ri.List(ctx, o)
			},
			WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				o.FieldSelector = selector
				return ri.Watch(ctx, o)
			},
		}
		inf := cache.NewSharedIndexInformer(lw, &unstructured.Unstructured{}, 0, cache.Indexers{})
		_ = inf.SetTransform(func(obj any) (any, error) {
			if u, ok := obj.(*unstructured.Unstructured); ok {
				u.SetManagedFields(nil)
			}
			return obj, nil
		})
		_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
			g.lastErr.Store(err.Error())
			markDirty(g)
		})
		_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { markDirty(g) },
			UpdateFunc: func(any, any) { markDirty(g) },
			DeleteFunc: func(any) { markDirty(g) },
		})
		g.informer = inf
		go inf.RunWithContext(runCtx)
		go func() {
			if cache.WaitForCacheSync(runCtx.Done(), inf.HasSynced) {
				g.synced.Store(true)
				markDirty(g)
			}
		}()
	}

	evaluate := func(g *watchGroup) []ObjectStatus {
		var changed []ObjectStatus
		synced := g.synced.Load()
		for _, i := range g.members {
			o := objs[i]
			var st ObjectStatus
			switch {
			case !synced:
				st = ObjectStatus{Object: o, Status: StatusUnknown, Message: "not observed yet"}
				if e, _ := g.lastErr.Load().(string); e != "" {
					st.Message += ": " + e
				}
			default:
				k := o.Name
				if o.Namespace != "" {
					k = o.Namespace + "/" + o.Name
				}
				obj, exists, err := g.informer.GetStore().GetByKey(k)
				var u *unstructured.Unstructured
				if err == nil && exists {
					u, _ = obj.(*unstructured.Unstructured)
				}
				st = spec.eval(o, u)
			}
			if st != statuses[i] {
				statuses[i] = st
				changed = append(changed, st)
			}
		}
		return changed
	}
	outcome := func() (ready int, failed, notReady []ObjectStatus) {
		for _, st := range statuses {
			switch {
			case spec.done(st.Status):
				ready++
			case spec.failed(st.Status):
				failed = append(failed, st)
			default:
				notReady = append(notReady, st)
			}
		}
		return ready, failed, notReady
	}
	check := func() (bool, error) {
		ready, failed, notReady := outcome()
		if len(failed) > 0 {
			return true, &WaitError{Total: len(objs), Elapsed: time.Since(start), Failed: failed, NotReady: notReady}
		}
		return ready == len(objs), nil
	}
	if len(groups) == 0 { // every object was settled without a watch
		_, err := check()
		return err
	}
	for {
		select {
		case <-notify:
			mu.Lock()
			gs := dirty
			dirty = map[*watchGroup]bool{}
			mu.Unlock()
			var changed []ObjectStatus
			for g := range gs {
				changed = append(changed, evaluate(g)...)
			}
			if len(changed) > 0 && spec.progress != nil {
				ready, _, _ := outcome()
				spec.progress(Progress{
					Elapsed: time.Since(start), Ready: ready, Total: len(objs),
					Objects: append([]ObjectStatus(nil), statuses...), Changed: changed,
				})
			}
			if finished, err := check(); finished {
				return err
			}
		case <-ctx.Done():
			for _, g := range groups { // the latest word on every object
				evaluate(g)
			}
			_, failed, notReady := outcome()
			e := &WaitError{Total: len(objs), Elapsed: time.Since(start), Failed: failed, NotReady: notReady, Timeout: spec.timeout}
			if parent.Err() != nil {
				// The cause says why (a lost release lock, say), not only "canceled".
				e.Err = context.Cause(parent)
			} else {
				e.TimedOut, e.Err = true, ctx.Err()
			}
			return e
		}
	}
}
