package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/release"
)

// ApplyOptions configure Apply.
type ApplyOptions struct {
	// Owner is the release the objects belong to; required. Its annotations are written
	// on every object.
	Owner Owner
	// TakeOwnership adopts existing objects that belong to another release or to none,
	// instead of refusing them.
	TakeOwnership bool
	// ForceReplace deletes and recreates objects whose change needs an immutable field to
	// change, instead of failing them.
	ForceReplace bool
	// DryRun makes a server-side dry run of everything: nothing is written.
	DryRun bool
	// Order is the kind order of the stages (engine.InstallOrder when nil).
	Order engine.KindOrder
	// AlwaysDryRun makes the server-side dry run for every object, also for those whose
	// managed fields prove them unchanged (see the package documentation).
	AlwaysDryRun bool
	// KeepObjects fills Change.Live and Change.Result (what diff shows).
	KeepObjects bool
}

// item is one object on its way through Apply.
type item struct {
	desired *unstructured.Unstructured
	meta    release.ObjectRef
	mapping *meta.RESTMapping
	live    *unstructured.Unstructured
	fetched bool // live was read
	// result is the object after the apply: the dry run's result, or live when the
	// apply is proven a no-op.
	result *unstructured.Unstructured
	change Change
}

func (it *item) fail(err error) {
	it.change.Action = ActionFailed
	it.change.Err = err
}

// Apply server-side-applies objects (see the package documentation for the stages,
// ownership, unchanged detection, conflicts and immutable fields). The objects are not
// modified. The ChangeSet has one Change per object, in apply order; the error joins
// the errors of failed objects (each naming its object).
func (m *Manager) Apply(ctx context.Context, objs []*unstructured.Unstructured, opts ApplyOptions) (*ChangeSet, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	if opts.Owner.ReleaseName == "" || opts.Owner.ReleaseNamespace == "" {
		return nil, errors.New("apply: ApplyOptions.Owner needs a release name and namespace")
	}
	order := opts.Order
	if order == nil {
		order = engine.InstallOrder
	}
	items := make([]*item, len(objs))
	metas := make([]release.ObjectRef, len(objs))
	crdKinds := map[schema.GroupKind]bool{}
	for i, o := range objs {
		d := o.DeepCopy()
		setOwner(d, opts.Owner)
		unstructured.RemoveNestedField(d.Object, "metadata", "managedFields")
		unstructured.RemoveNestedField(d.Object, "metadata", "resourceVersion")
		items[i] = &item{desired: d, meta: RefOf(d)}
		items[i].change.Object = items[i].meta
		metas[i] = items[i].meta
		if isCRD(metas[i]) {
			g, _, _ := unstructured.NestedString(d.Object, "spec", "group")
			k, _, _ := unstructured.NestedString(d.Object, "spec", "names", "kind")
			crdKinds[schema.GroupKind{Group: g, Kind: k}] = true
		}
	}
	seen := make(map[key]bool, len(metas))
	for _, o := range metas {
		if seen[keyOf(o)] {
			return nil, fmt.Errorf("apply: %s is given twice", o)
		}
		seen[keyOf(o)] = true
	}
	defs, rest := applyStages(metas, order)
	all := append([][]int{defs}, rest...)
	collect := func() *ChangeSet {
		cs := &ChangeSet{Changes: make([]Change, 0, len(items))}
		for _, st := range all {
			for _, i := range st {
				cs.Add(items[i].change)
			}
		}
		return cs
	}

	// Preflight: resolve kinds, read the live objects, check ownership, before any write.
	mappings := make([]*meta.RESTMapping, len(items))
	for i, it := range items {
		mp, err := m.mapping(it.meta)
		switch {
		case err == nil:
			it.mapping, mappings[i] = mp, mp
			if namespaced(mp) && it.meta.Namespace == "" {
				it.fail(fmt.Errorf("%s: a namespaced object needs a namespace", it.meta))
			} else if !namespaced(mp) && it.meta.Namespace != "" {
				it.desired.SetNamespace("")
				it.meta.Namespace, it.change.Object.Namespace, metas[i].Namespace = "", "", ""
			}
		case errors.Is(err, ErrUnknownKind) && crdKinds[schema.GroupKind{Group: it.meta.Group, Kind: it.meta.Kind}]:
			// Defined by a CRD of this apply: resolved after the definitions stage.
		default:
			it.fail(fmt.Errorf("%s: %w", it.meta, err))
		}
	}
	lives := m.fetchLive(ctx, metas, mappings)
	preflightFailed := false
	for i, it := range items {
		if it.change.Action == ActionFailed {
			preflightFailed = true
			continue
		}
		if mappings[i] == nil {
			continue
		}
		it.live, it.fetched = lives[i].obj, true
		if lives[i].err != nil {
			it.fail(lives[i].err)
		} else if it.live != nil && !opts.TakeOwnership {
			if err := checkOwner(it.meta, it.live, opts.Owner); err != nil {
				it.fail(err)
			}
		}
		preflightFailed = preflightFailed || it.change.Action == ActionFailed
	}
	if preflightFailed {
		skipRest(items, "not applied: the preflight checks failed")
		cs := collect()
		return cs, cs.Err()
	}

	if !opts.AlwaysDryRun {
		m.prefetchSchemas(items)
	}

	// Namespaces this apply creates: in a dry run, objects in them cannot be validated.
	newNamespaces := map[string]bool{}
	for _, i := range defs {
		if isNamespace(items[i].meta) && items[i].live == nil {
			newNamespaces[items[i].meta.Name] = true
		}
	}
	for si, st := range all {
		if len(st) == 0 {
			continue
		}
		forEach(ctx, len(st), m.concurrency(), func(ctx context.Context, j int) {
			m.applyOne(ctx, items[st[j]], opts, newNamespaces)
		})
		failed := false
		for _, i := range st {
			failed = failed || items[i].change.Action == ActionFailed
		}
		if !failed && si == 0 && !opts.DryRun {
			if err := m.settleDefinitions(ctx, items, defs); err != nil {
				for _, i := range defs {
					if items[i].change.Err == nil {
						items[i].change.Message = "applied, but not ready"
					}
				}
				skipRest(items, "not applied: the Namespaces and CRDs did not become ready")
				cs := collect()
				return cs, errors.Join(cs.Err(), err)
			}
		}
		if failed {
			skipRest(items, "not applied: an earlier stage failed")
			break
		}
	}
	cs := collect()
	if opts.KeepObjects {
		n := 0
		for _, st := range all {
			for _, i := range st {
				cs.Changes[n].Live, cs.Changes[n].Result = items[i].live, items[i].result
				n++
			}
		}
	}
	return cs, cs.Err()
}

// prefetchSchemas starts reading, in the background and concurrently, the schemas the
// unchanged checks will need: those of live objects whose hoist field set has list
// elements (the others need none). Parsing one takes ~50-150 ms of CPU, which then
// overlaps the first stages instead of adding up.
func (m *Manager) prefetchSchemas(items []*item) {
	s := m.Schemas()
	seen := map[schema.GroupVersion]bool{}
	for _, it := range items {
		// An object that visibly changes needs no proof (see provablyUnchanged).
		if it.live == nil || scalarsDiffer(it.desired.Object, it.live.Object) {
			continue
		}
		gv := it.desired.GroupVersionKind().GroupVersion()
		if _, fields, ok := appliedFields(it.live, m.fieldManager()); !ok || seen[gv] || (!strings.Contains(fields, `"k:`) && !strings.Contains(fields, `"v:`)) {
			continue
		}
		seen[gv] = true
		go func() { _, _ = s.converter(gv) }() // the checks wait for it and see its error
	}
}

// skipRest marks every object not yet processed skipped.
func skipRest(items []*item, why string) {
	for _, it := range items {
		if it.change.Action == "" {
			it.change.Action = ActionSkipped
			it.change.Message = why
		}
	}
}

// settleDefinitions waits for the Namespaces and CRDs Apply wrote to be Active and
// Established, then makes the mapper see the new kinds.
func (m *Manager) settleDefinitions(ctx context.Context, items []*item, defs []int) error {
	var written []release.ObjectRef
	crds := false
	for _, i := range defs {
		switch items[i].change.Action {
		case ActionCreated, ActionConfigured, ActionReplaced:
			written = append(written, items[i].meta)
			crds = crds || isCRD(items[i].meta)
		}
	}
	if len(written) == 0 {
		return nil
	}
	if err := m.Wait(ctx, written, WaitOptions{Timeout: definitionsTimeout}); err != nil {
		return fmt.Errorf("waiting for Namespaces and CustomResourceDefinitions: %w", err)
	}
	if crds {
		m.resetMapper()
	}
	return nil
}

// applyOne takes one object through dry run, comparison and apply.
func (m *Manager) applyOne(ctx context.Context, it *item, opts ApplyOptions, newNamespaces map[string]bool) {
	if it.change.Action != "" {
		return
	}
	if it.mapping == nil { // a kind defined by a CRD of this apply
		if opts.DryRun {
			it.change.Action = ActionCreated
			it.change.Message = "dry run: not validated, its CustomResourceDefinition is not installed yet"
			return
		}
		mp, err := m.mappingEventually(ctx, it.meta)
		if err != nil {
			it.fail(fmt.Errorf("%s: %w", it.meta, err))
			return
		}
		it.mapping = mp
		if !namespaced(mp) {
			it.desired.SetNamespace("")
		}
	}
	if opts.DryRun && newNamespaces[it.meta.Namespace] && namespaced(it.mapping) {
		it.change.Action = ActionCreated
		it.change.Message = "dry run: not validated, its namespace is not created yet"
		return
	}
	ri := m.resource(it.mapping, it.meta.Namespace)
	if !it.fetched {
		if err := m.readLive(ctx, ri, it, opts); err != nil {
			it.fail(err)
			return
		}
	}

	if !opts.AlwaysDryRun {
		if it.live == nil && !opts.DryRun {
			m.create(ctx, ri, it)
			return
		}
		if provablyUnchanged(it.desired, it.live, m.fieldManager(), m.Schemas()) {
			it.change.Action = ActionUnchanged
			it.result = it.live
			return
		}
	}
	result, conflicts, err := m.dryRun(ctx, ri, it.desired)
	// A dry run returns the resourceVersion of the object it started from: when that is
	// not the one read (a controller wrote status or an annotation since the preflight
	// read), read it again, so that the comparison below is with what the dry run saw.
	for i := 0; err == nil && it.live != nil && result.GetResourceVersion() != it.live.GetResourceVersion() && i < 3; i++ {
		if err := m.readLive(ctx, ri, it, opts); err != nil {
			it.fail(err)
			return
		}
		if it.live == nil || result.GetResourceVersion() == it.live.GetResourceVersion() {
			break
		}
		result, conflicts, err = m.dryRun(ctx, ri, it.desired)
	}
	it.change.Conflicts = conflicts
	it.result = result
	if err != nil {
		it.result = nil
		if fields, ok := immutableFields(err); ok && it.live != nil {
			if !opts.ForceReplace {
				it.fail(&ImmutableError{Object: it.meta, Fields: fields, Err: err})
				return
			}
			m.replace(ctx, ri, it, opts)
			return
		}
		it.fail(fmt.Errorf("%s: dry-run apply: %w", it.meta, err))
		return
	}
	if it.live == nil && result.GetResourceVersion() != "" {
		// Created by someone else since the preflight read: check it like the others.
		if err := m.readLive(ctx, ri, it, opts); err != nil {
			it.fail(err)
			return
		}
	}
	switch {
	case it.live == nil:
		it.change.Action = ActionCreated
	case drifted(it.live, result, m.fieldManager()):
		it.change.Action = ActionConfigured
	default:
		it.change.Action = ActionUnchanged
		it.change.Conflicts = nil // nothing is written, so nothing is taken over
		return
	}
	if opts.DryRun {
		return
	}
	if _, err := m.write(ctx, ri, it.desired); err != nil {
		it.fail(fmt.Errorf("%s: apply: %w", it.meta, err))
	}
}

// create applies an object that did not exist when it was read, without a dry run: a
// new object has no conflicts, no immutable fields and nothing to compare with. Should
// someone have created it since, the response shows other field managers: the object is
// then reported configured (adopted), with a note.
func (m *Manager) create(ctx context.Context, ri dynamic.ResourceInterface, it *item) {
	res, err := m.write(ctx, ri, it.desired)
	if err != nil {
		it.fail(fmt.Errorf("%s: apply: %w", it.meta, err))
		return
	}
	it.change.Action = ActionCreated
	for _, e := range res.GetManagedFields() {
		if e.Manager != m.fieldManager() {
			it.change.Action = ActionConfigured
			it.change.Message = "created by " + e.Manager + " while the apply ran, and adopted"
			return
		}
	}
}

// readLive reads the live object and checks its ownership.
func (m *Manager) readLive(ctx context.Context, ri dynamic.ResourceInterface, it *item, opts ApplyOptions) error {
	u, err := ri.Get(ctx, it.meta.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		it.live = nil
	case err != nil:
		return fmt.Errorf("%s: reading the live object: %w", it.meta, err)
	default:
		it.live = u
	}
	it.fetched = true
	if it.live != nil && !opts.TakeOwnership {
		return checkOwner(it.meta, it.live, opts.Owner)
	}
	return nil
}

// dryRun applies without force first, to learn the conflicts, then with force.
func (m *Manager) dryRun(ctx context.Context, ri dynamic.ResourceInterface, obj *unstructured.Unstructured) (*unstructured.Unstructured, []Conflict, error) {
	opts := metav1.ApplyOptions{FieldManager: m.fieldManager(), DryRun: []string{metav1.DryRunAll}}
	res, err := ri.Apply(ctx, obj.GetName(), obj, opts)
	conflicts, ok := conflictsOf(err)
	if !ok {
		return res, nil, err
	}
	opts.Force = true
	res, err = ri.Apply(ctx, obj.GetName(), obj, opts)
	return res, conflicts, err
}

// write applies for real, with force: the conflicts were recorded by the dry run.
func (m *Manager) write(ctx context.Context, ri dynamic.ResourceInterface, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	return ri.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: m.fieldManager(), Force: true})
}

// replace deletes an object (foreground), waits until it is gone and creates it again.
func (m *Manager) replace(ctx context.Context, ri dynamic.ResourceInterface, it *item, opts ApplyOptions) {
	it.change.Action = ActionReplaced
	it.change.Conflicts = nil // a new object takes nothing from anyone
	if opts.DryRun {
		it.change.Message = "dry run: an immutable field changes, it would be deleted and recreated"
		return
	}
	uid := it.live.GetUID()
	policy := metav1.DeletePropagationForeground
	err := ri.Delete(ctx, it.meta.Name, metav1.DeleteOptions{
		PropagationPolicy: &policy,
		Preconditions:     &metav1.Preconditions{UID: &uid},
	})
	if err != nil && !apierrors.IsNotFound(err) {
		it.fail(fmt.Errorf("%s: deleting it to replace it: %w", it.meta, err))
		return
	}
	if err := m.waitGone(ctx, []release.ObjectRef{it.meta}, []types.UID{uid}, replaceTimeout); err != nil {
		it.fail(fmt.Errorf("%s: waiting for it to be deleted to replace it: %w", it.meta, err))
		return
	}
	if _, err := m.write(ctx, ri, it.desired); err != nil {
		it.fail(fmt.Errorf("%s: recreating it: %w", it.meta, err))
	}
}
