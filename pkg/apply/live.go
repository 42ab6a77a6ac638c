package apply

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hoist-dev/hoist/pkg/release"
)

// live is an object's state in the cluster: obj is nil when it does not exist.
type live struct {
	obj *unstructured.Unstructured
	err error
}

type groupKey struct {
	gvr       schema.GroupVersionResource
	namespace string
}

// fetchLive reads the live objects of objs whose mapping is known (mappings[i] != nil;
// the others are left zero). Groups of at least listThreshold objects of one resource and
// namespace are read with a paginated LIST (falling back to GETs if listing is refused),
// the others with a GET each, concurrently.
func (m *Manager) fetchLive(ctx context.Context, objs []release.ObjectRef, mappings []*meta.RESTMapping) []live {
	out := make([]live, len(objs))
	groups := map[groupKey][]int{}
	var order []groupKey
	for i, mp := range mappings {
		if mp == nil {
			continue
		}
		k := groupKey{mp.Resource, objs[i].Namespace}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	var gets []int
	var lists []groupKey
	for _, k := range order {
		if len(groups[k]) >= listThreshold {
			lists = append(lists, k)
		} else {
			gets = append(gets, groups[k]...)
		}
	}
	get := func(ctx context.Context, i int) {
		u, err := m.resource(mappings[i], objs[i].Namespace).Get(ctx, objs[i].Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			out[i] = live{}
		case err != nil:
			out[i] = live{err: fmt.Errorf("%s: reading the live object: %w", objs[i], err)}
		default:
			out[i] = live{obj: u}
		}
	}
	forEach(ctx, len(lists), len(lists), func(ctx context.Context, j int) {
		idx := groups[lists[j]]
		byName, err := m.list(ctx, mappings[idx[0]], lists[j].namespace)
		if err != nil {
			forEach(ctx, len(idx), m.concurrency(), func(ctx context.Context, k int) { get(ctx, idx[k]) })
			return
		}
		for _, i := range idx {
			out[i] = live{obj: byName[objs[i].Name]}
		}
	})
	forEach(ctx, len(gets), m.concurrency(), func(ctx context.Context, j int) { get(ctx, gets[j]) })
	return out
}

// list reads every object of a resource in a namespace, page by page.
func (m *Manager) list(ctx context.Context, mp *meta.RESTMapping, namespace string) (map[string]*unstructured.Unstructured, error) {
	ri := m.resource(mp, namespace)
	byName := map[string]*unstructured.Unstructured{}
	opts := metav1.ListOptions{Limit: listPageSize}
	for {
		l, err := ri.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for i := range l.Items {
			u := &l.Items[i]
			byName[u.GetName()] = u
		}
		if opts.Continue = l.GetContinue(); opts.Continue == "" {
			return byName, nil
		}
	}
}

// Live reads the live state of objects, in their order: nil for one that does not exist
// (or whose kind the cluster no longer serves). The error joins the failed reads, each
// naming its object.
func (m *Manager) Live(ctx context.Context, objs []release.ObjectRef) ([]*unstructured.Unstructured, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	mappings := make([]*meta.RESTMapping, len(objs))
	var errs []error
	for i, o := range objs {
		mp, err := m.mapping(o)
		switch {
		case err == nil:
			mappings[i] = mp
		case !errors.Is(err, ErrUnknownKind):
			errs = append(errs, fmt.Errorf("%s: %w", o, err))
		}
	}
	lives := m.fetchLive(ctx, objs, mappings)
	out := make([]*unstructured.Unstructured, len(objs))
	for i, l := range lives {
		if l.err != nil {
			errs = append(errs, l.err)
		}
		out[i] = l.obj
	}
	return out, errors.Join(errs...)
}
