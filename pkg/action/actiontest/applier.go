package actiontest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/kube/fence"
	"github.com/hoist-dev/hoist/pkg/release"
)

// ClusterScopedKinds are the kinds Build and Apply treat as cluster-scoped; every other
// kind is namespaced. A fake has no discovery, so this small set stands in for it.
var ClusterScopedKinds = map[string]bool{
	"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"CustomResourceDefinition": true, "PersistentVolume": true, "StorageClass": true,
}

// Write is one write the Applier made, in order (what a test compares before and after).
type Write struct {
	Object release.ObjectRef
	// Action is created, configured or deleted.
	Action apply.Action
}

// Applier is an in-memory action.Applier. Objects are kept by identity (group, kind,
// namespace, name: an apiVersion change is the same object, as in apply). Apply reports
// created, configured and unchanged like apply.Manager, checks ownership unless told to
// take it, and runs the context's fence check before each write, as the real client's
// transport does, so a writer that lost its lock stops before its next object.
type Applier struct {
	// BeforeWrite, when set, is called before each object is written (not in a dry run)
	// without the Applier's lock held: a test pauses there, or steals the release lock
	// between two writes. An error fails the object.
	BeforeWrite func(ctx context.Context, obj release.ObjectRef) error
	// OnWait, when set, decides Wait's outcome (it may block, or cancel a context);
	// otherwise Wait reports every object ready at once.
	OnWait func(ctx context.Context, objs []release.ObjectRef) error

	mu       sync.Mutex
	objs     map[objKey]*entry
	failures map[string]error
	writes   []Write
	waits    [][]release.ObjectRef
	rv       int
}

type objKey struct{ group, kind, namespace, name string }

type entry struct {
	obj *unstructured.Unstructured // as applied, without server-set fields
	uid types.UID
	rv  string
}

// NewApplier returns an empty Applier.
func NewApplier() *Applier { return &Applier{} }

func keyOf(o release.ObjectRef) objKey { return objKey{o.Group, o.Kind, o.Namespace, o.Name} }

// FailApply makes every apply of objects with this name fail with err (nil clears it).
func (a *Applier) FailApply(name string, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failures == nil {
		a.failures = map[string]error{}
	}
	if err == nil {
		delete(a.failures, name)
		return
	}
	a.failures[name] = err
}

// FailWait makes every Wait fail with err (nil: every object is ready). It replaces OnWait.
func (a *Applier) FailWait(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err == nil {
		a.OnWait = nil
		return
	}
	a.OnWait = func(context.Context, []release.ObjectRef) error { return err }
}

// Build implements action.Applier: it decodes the manifest's documents (v1 Lists
// flattened), puts namespaced objects without a namespace in defaultNamespace and takes
// the namespace off cluster-scoped ones, and refuses an object given twice.
func (a *Applier) Build(manifest, defaultNamespace string) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	var errs []error
	seen := map[objKey]bool{}
	for i, doc := range engine.SplitDocuments(manifest) {
		desc := engine.DescribeDocument(i+1, doc)
		js, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: parsing YAML: %w", desc, err))
			continue
		}
		if s := strings.TrimSpace(string(js)); s == "null" || s == "{}" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(js, &m); err != nil {
			errs = append(errs, fmt.Errorf("%s: not a Kubernetes object: %w", desc, err))
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		var items []*unstructured.Unstructured
		if u.IsList() {
			l, err := u.ToList()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", desc, err))
				continue
			}
			for j := range l.Items {
				items = append(items, &l.Items[j])
			}
		} else {
			items = append(items, u)
		}
		for _, o := range items {
			if o.GetAPIVersion() == "" || o.GetKind() == "" || o.GetName() == "" {
				errs = append(errs, fmt.Errorf("%s: apiVersion, kind and metadata.name are required", desc))
				continue
			}
			if ClusterScopedKinds[o.GetKind()] {
				o.SetNamespace("")
			} else if o.GetNamespace() == "" {
				o.SetNamespace(defaultNamespace)
			}
			k := keyOf(apply.RefOf(o))
			if seen[k] {
				errs = append(errs, fmt.Errorf("%s: %s is defined twice", desc, apply.RefOf(o)))
				continue
			}
			seen[k] = true
			out = append(out, o)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// stageOrder sorts indices of objs as apply.Manager's stages do: by kind rank in
// order, kinds not in it after (before, with unknownFirst) by name, document order kept
// within a kind. Apply puts Namespaces and CRDs first (defsFirst).
func stageOrder(objs []release.ObjectRef, order engine.KindOrder, defsFirst, unknownFirst bool) []int {
	rank := map[string]int{}
	for i, k := range order {
		if _, dup := rank[k]; !dup {
			rank[k] = i
		}
	}
	r := func(o release.ObjectRef) (int, string) {
		if defsFirst && (o.Kind == "Namespace" || o.Kind == "CustomResourceDefinition") {
			return -2, ""
		}
		if n, ok := rank[o.Kind]; ok {
			return n, ""
		}
		if unknownFirst {
			return -1, o.Kind
		}
		return len(order), o.Kind
	}
	idx := make([]int, len(objs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool {
		ri, ki := r(objs[idx[i]])
		rj, kj := r(objs[idx[j]])
		if ri != rj {
			return ri < rj
		}
		return ki < kj
	})
	return idx
}

// Apply implements action.Applier. Objects are taken in apply order; the first failure
// (ownership in the preflight, a FailApply, the fence, the context, BeforeWrite) skips
// every object after it. The error joins the failed objects' errors, as in apply.
func (a *Applier) Apply(ctx context.Context, objs []*unstructured.Unstructured, opts apply.ApplyOptions) (*apply.ChangeSet, error) {
	if opts.Owner.ReleaseName == "" || opts.Owner.ReleaseNamespace == "" {
		return nil, errors.New("apply: ApplyOptions.Owner needs a release name and namespace")
	}
	order := opts.Order
	if order == nil {
		order = engine.InstallOrder
	}
	desired := make([]*unstructured.Unstructured, len(objs))
	metas := make([]release.ObjectRef, len(objs))
	seen := map[objKey]bool{}
	for i, o := range objs {
		d := o.DeepCopy()
		if ClusterScopedKinds[d.GetKind()] {
			d.SetNamespace("")
		}
		ann := d.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[apply.AnnotationReleaseName] = opts.Owner.ReleaseName
		ann[apply.AnnotationReleaseNamespace] = opts.Owner.ReleaseNamespace
		d.SetAnnotations(ann)
		desired[i], metas[i] = d, apply.RefOf(d)
		if seen[keyOf(metas[i])] {
			return nil, fmt.Errorf("apply: %s is given twice", metas[i])
		}
		seen[keyOf(metas[i])] = true
	}
	idx := stageOrder(metas, order, true, false)
	changes := make([]apply.Change, len(idx))
	for n, i := range idx {
		changes[n].Object = metas[i]
	}
	skipFrom := func(n int, why string) {
		for ; n < len(changes); n++ {
			if changes[n].Action == "" {
				changes[n].Action, changes[n].Message = apply.ActionSkipped, why
			}
		}
	}

	// Preflight: ownership of every live object before any write, as apply does.
	a.mu.Lock()
	preflight := false
	for n, i := range idx {
		e := a.objs[keyOf(metas[i])]
		if e == nil || opts.TakeOwnership {
			continue
		}
		if cur, helm := ownerOf(e.obj); cur != opts.Owner {
			changes[n].Action = apply.ActionFailed
			changes[n].Err = &apply.OwnershipError{Object: metas[i], Want: opts.Owner, Current: cur, Helm: helm}
			preflight = true
		}
	}
	a.mu.Unlock()
	if preflight {
		skipFrom(0, "not applied: the preflight checks failed")
		cs := &apply.ChangeSet{Changes: changes}
		return cs, cs.Err()
	}

	for n, i := range idx {
		m, d := metas[i], desired[i]
		ch := &changes[n]
		if err := a.writeCheck(ctx, m, opts.DryRun); err != nil {
			ch.Action, ch.Err = apply.ActionFailed, fmt.Errorf("%s: apply: %w", m, err)
			skipFrom(n+1, "not applied: an earlier stage failed")
			break
		}
		a.mu.Lock()
		if err := a.failures[m.Name]; err != nil {
			a.mu.Unlock()
			ch.Action, ch.Err = apply.ActionFailed, fmt.Errorf("%s: apply: %w", m, err)
			skipFrom(n+1, "not applied: an earlier stage failed")
			break
		}
		e := a.objs[keyOf(m)]
		var live *unstructured.Unstructured
		if e != nil {
			live = e.live()
		}
		switch {
		case e == nil:
			ch.Action = apply.ActionCreated
		case reflect.DeepEqual(e.obj.Object, d.Object):
			ch.Action = apply.ActionUnchanged
		default:
			ch.Action = apply.ActionConfigured
		}
		result := live
		if ch.Action != apply.ActionUnchanged {
			if opts.DryRun {
				result = d.DeepCopy()
			} else {
				result = a.store(d, ch.Action).live()
			}
		}
		a.mu.Unlock()
		if opts.KeepObjects {
			ch.Live, ch.Result = live, result
		}
	}
	cs := &apply.ChangeSet{Changes: changes}
	return cs, cs.Err()
}

// writeCheck is what happens before a write reaches the "API server": the test's hook,
// then the context's fence (the release lock), then the context itself.
func (a *Applier) writeCheck(ctx context.Context, m release.ObjectRef, dryRun bool) error {
	if !dryRun {
		if a.BeforeWrite != nil {
			if err := a.BeforeWrite(ctx, m); err != nil {
				return err
			}
		}
		if err := fence.Check(ctx); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// store writes d (the lock held) and logs the write.
func (a *Applier) store(d *unstructured.Unstructured, act apply.Action) *entry {
	if a.objs == nil {
		a.objs = map[objKey]*entry{}
	}
	m := apply.RefOf(d)
	k := keyOf(m)
	a.rv++
	e := a.objs[k]
	if e == nil {
		e = &entry{uid: types.UID(fmt.Sprintf("uid-%d", a.rv))}
		a.objs[k] = e
	}
	e.obj, e.rv = d.DeepCopy(), strconv.Itoa(a.rv)
	a.writes = append(a.writes, Write{Object: m, Action: act})
	return e
}

// live is the object as a server returns it: with a uid and a resourceVersion.
func (e *entry) live() *unstructured.Unstructured {
	u := e.obj.DeepCopy()
	u.SetUID(e.uid)
	u.SetResourceVersion(e.rv)
	return u
}

func ownerOf(u *unstructured.Unstructured) (apply.Owner, bool) {
	a := u.GetAnnotations()
	if n, ns := a[apply.AnnotationReleaseName], a[apply.AnnotationReleaseNamespace]; n != "" || ns != "" {
		return apply.Owner{ReleaseName: n, ReleaseNamespace: ns}, false
	}
	if n, ns := a[apply.HelmAnnotationReleaseName], a[apply.HelmAnnotationReleaseNamespace]; n != "" || ns != "" {
		return apply.Owner{ReleaseName: n, ReleaseNamespace: ns}, true
	}
	return apply.Owner{}, false
}

// Prune implements action.Applier: it deletes the objects of previous that current does
// not have (matched without their version), as Delete does with the owner given.
func (a *Applier) Prune(ctx context.Context, previous []release.ObjectRef, current []*unstructured.Unstructured, opts apply.PruneOptions) (*apply.ChangeSet, error) {
	if opts.Owner.ReleaseName == "" || opts.Owner.ReleaseNamespace == "" {
		return nil, errors.New("apply: PruneOptions.Owner needs a release name and namespace")
	}
	keep := map[objKey]bool{}
	for _, o := range current {
		keep[keyOf(apply.RefOf(o))] = true
	}
	var gone []release.ObjectRef
	for _, p := range previous {
		if !keep[keyOf(p)] {
			keep[keyOf(p)] = true
			gone = append(gone, p)
		}
	}
	return a.Delete(ctx, gone, apply.DeleteOptions{Owner: opts.Owner, DeleteCRDs: opts.DeleteCRDs, DryRun: opts.DryRun})
}

// Delete implements action.Applier: objects already gone are skipped, and so are those
// another release owns when opts.Owner is set; helm.sh/resource-policy: keep and CRDs
// (without DeleteCRDs) are kept. Objects are taken in uninstall order (opts.Order),
// kinds not in it first, as apply does.
func (a *Applier) Delete(ctx context.Context, objs []release.ObjectRef, opts apply.DeleteOptions) (*apply.ChangeSet, error) {
	order := opts.Order
	if order == nil {
		order = engine.UninstallOrder
	}
	cs := &apply.ChangeSet{}
	for _, i := range stageOrder(objs, order, false, true) {
		o := objs[i]
		ch := apply.Change{Object: o}
		a.mu.Lock()
		e := a.objs[keyOf(o)]
		var cur apply.Owner
		if e != nil {
			cur, _ = ownerOf(e.obj)
		}
		a.mu.Unlock()
		switch {
		case e == nil:
			ch.Action, ch.Message = apply.ActionSkipped, "already gone"
		case opts.Owner != (apply.Owner{}) && cur != opts.Owner:
			ch.Action, ch.Message = apply.ActionSkipped, "not owned by "+opts.Owner.String()+", it belongs to "+cur.String()
		case e.obj.GetAnnotations()[apply.AnnotationResourcePolicy] == apply.ResourcePolicyKeep:
			ch.Action, ch.Message = apply.ActionKept, apply.AnnotationResourcePolicy+": "+apply.ResourcePolicyKeep
		case o.Kind == "CustomResourceDefinition" && !opts.DeleteCRDs:
			ch.Action, ch.Message = apply.ActionKept, "CustomResourceDefinitions are deleted only when asked"
		default:
			if err := a.writeCheck(ctx, o, opts.DryRun); err != nil {
				ch.Action, ch.Err = apply.ActionFailed, fmt.Errorf("%s: delete: %w", o, err)
				break
			}
			ch.Action = apply.ActionDeleted
			a.mu.Lock()
			if opts.DryRun {
				ch.Message, ch.Live = "dry run", e.live()
			} else {
				delete(a.objs, keyOf(o))
				a.writes = append(a.writes, Write{Object: o, Action: apply.ActionDeleted})
			}
			a.mu.Unlock()
		}
		cs.Add(ch)
	}
	return cs, cs.Err()
}

// Wait implements action.Applier: it records the call, then asks OnWait (every object
// ready when it is nil). A context that has ended fails the wait as apply's does.
func (a *Applier) Wait(ctx context.Context, objs []release.ObjectRef, _ apply.WaitOptions) error {
	a.mu.Lock()
	a.waits = append(a.waits, append([]release.ObjectRef(nil), objs...))
	on := a.OnWait
	a.mu.Unlock()
	if on != nil {
		if err := on(ctx, objs); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return &apply.WaitError{Total: len(objs), Err: context.Cause(ctx)}
	}
	return nil
}

// Live implements action.Applier.
func (a *Applier) Live(_ context.Context, objs []release.ObjectRef) ([]*unstructured.Unstructured, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		if e := a.objs[keyOf(o)]; e != nil {
			out[i] = e.live()
		}
	}
	return out, nil
}

// TakeOver implements action.Applier. The fake keeps no managed fields, so existing
// objects are unchanged and missing ones skipped, as apply reports objects without
// fields of the managers named.
func (a *Applier) TakeOver(_ context.Context, objs []*unstructured.Unstructured, _ apply.TakeOverOptions) (*apply.ChangeSet, error) {
	cs := &apply.ChangeSet{}
	for _, o := range objs {
		m := apply.RefOf(o)
		if ClusterScopedKinds[m.Kind] {
			m.Namespace = ""
		}
		a.mu.Lock()
		e := a.objs[keyOf(m)]
		a.mu.Unlock()
		if e == nil {
			cs.Add(apply.Change{Object: m, Action: apply.ActionSkipped, Message: "not found"})
			continue
		}
		cs.Add(apply.Change{Object: m, Action: apply.ActionUnchanged})
	}
	return cs, nil
}

// Put stores an object as someone else would have created it (no ownership added),
// e.g. one another release owns.
func (a *Applier) Put(u *unstructured.Unstructured) {
	a.mu.Lock()
	defer a.mu.Unlock()
	d := u.DeepCopy()
	if ClusterScopedKinds[d.GetKind()] {
		d.SetNamespace("")
	}
	a.store(d, apply.ActionCreated)
}

// Get returns a copy of the object of that kind, namespace ("" for cluster-scoped
// kinds) and name, of any group, or nil.
func (a *Applier) Get(kind, namespace, name string) *unstructured.Unstructured {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, e := range a.objs {
		if k.kind == kind && k.namespace == namespace && k.name == name {
			return e.live()
		}
	}
	return nil
}

// Objects are copies of every object, sorted by identity.
func (a *Applier) Objects() []*unstructured.Unstructured {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*unstructured.Unstructured, 0, len(a.objs))
	for _, e := range a.objs {
		out = append(out, e.live())
	}
	sort.Slice(out, func(i, j int) bool {
		return apply.RefOf(out[i]).String() < apply.RefOf(out[j]).String()
	})
	return out
}

// Writes are the writes made so far (creations, changes, deletions), in order.
func (a *Applier) Writes() []Write {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Write(nil), a.writes...)
}

// Waits are the object lists Wait was called with, in order.
func (a *Applier) Waits() [][]release.ObjectRef {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([][]release.ObjectRef(nil), a.waits...)
}

// Drift implements action.Applier with the real comparison on the deduced schema (the
// fake keeps no managed fields, so no field has a current owner).
func (a *Applier) Drift(applied, live *unstructured.Unstructured) []apply.FieldDrift {
	return apply.Drift(applied, live, "hoist")
}

// Schemas implements action.Applier: the fake has no server schemas.
func (a *Applier) Schemas() *apply.Schemas { return nil }
