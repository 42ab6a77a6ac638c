package apply

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// TakeOverOptions configure TakeOver.
type TakeOverOptions struct {
	// From are the field managers whose fields hoist takes (any operation, Update or
	// Apply, on the main resource: "helm", "kubectl-client-side-apply").
	From []string
	// DryRun computes the outcome without writing.
	DryRun bool
}

// TakeOver makes hoist's field manager the owner of the fields that the managers of
// opts.From own on the live objects, as if hoist had applied them: their managedFields
// entries are merged into one Apply entry of hoist's manager (for the object's
// apiVersion), so that hoist's next apply neither conflicts with them nor leaves
// behind fields the chart stops setting. Nothing else of the objects changes; the
// write is a JSON patch of metadata.managedFields guarded by the resourceVersion, retried
// when the object changed meanwhile. Objects that do not exist are skipped, and
// objects without such entries are unchanged.
func (m *Manager) TakeOver(ctx context.Context, objs []*unstructured.Unstructured, opts TakeOverOptions) (*ChangeSet, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	from := map[string]bool{}
	for _, f := range opts.From {
		from[f] = true
	}
	metas := RefsOf(objs)
	changes := make([]Change, len(objs))
	mappings := make([]*meta.RESTMapping, len(objs))
	for i, o := range metas {
		changes[i].Object = o
		mp, err := m.mapping(o)
		if err != nil {
			changes[i].Action, changes[i].Err = ActionFailed, fmt.Errorf("%s: %w", o, err)
			continue
		}
		mappings[i] = mp
		if !namespaced(mp) {
			metas[i].Namespace = ""
			changes[i].Object.Namespace = ""
		}
	}
	lives := m.fetchLive(ctx, metas, mappings)
	forEach(ctx, len(objs), m.concurrency(), func(ctx context.Context, i int) {
		c := &changes[i]
		if c.Action != "" {
			return
		}
		cur := lives[i]
		ri := m.resource(mappings[i], metas[i].Namespace)
		for attempt := 0; ; attempt++ {
			switch {
			case cur.err != nil:
				c.Action, c.Err = ActionFailed, cur.err
				return
			case cur.obj == nil:
				c.Action, c.Message = ActionSkipped, "not in the cluster"
				return
			}
			entries, taken, err := takeOverEntries(cur.obj.GetManagedFields(), from, m.fieldManager(), objs[i].GetAPIVersion())
			if err != nil {
				c.Action, c.Err = ActionFailed, fmt.Errorf("%s: reading its managed fields: %w", metas[i], err)
				return
			}
			if len(taken) == 0 {
				c.Action = ActionUnchanged
				return
			}
			c.Action, c.Message = ActionConfigured, "took over the fields of "+strings.Join(taken, ", ")
			if opts.DryRun {
				return
			}
			patch, err := json.Marshal([]map[string]any{
				{"op": "replace", "path": "/metadata/managedFields", "value": entries},
				// A replace, not a test, so that a concurrent change is a 409 Conflict.
				{"op": "replace", "path": "/metadata/resourceVersion", "value": cur.obj.GetResourceVersion()},
			})
			if err != nil {
				c.Action, c.Err = ActionFailed, err
				return
			}
			_, err = ri.Patch(ctx, metas[i].Name, types.JSONPatchType, patch, metav1.PatchOptions{})
			if err == nil {
				return
			}
			if !apierrors.IsConflict(err) || attempt == 4 {
				c.Action, c.Message, c.Err = ActionFailed, "", fmt.Errorf("%s: taking over its fields: %w", metas[i], err)
				return
			}
			u, gerr := ri.Get(ctx, metas[i].Name, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(gerr):
				cur = live{}
			case gerr != nil:
				cur = live{err: fmt.Errorf("%s: reading the live object: %w", metas[i], gerr)}
			default:
				cur = live{obj: u}
			}
		}
	})
	cs := &ChangeSet{Changes: changes}
	return cs, cs.Err()
}

// takeOverEntries merges the main-resource entries of the managers in from, and
// manager's own Apply entry, into one Apply entry of manager for apiVersion. It
// returns the new entries and the names of the managers taken from (none: nothing to do).
func takeOverEntries(entries []metav1.ManagedFieldsEntry, from map[string]bool, manager, apiVersion string) ([]metav1.ManagedFieldsEntry, []string, error) {
	union := fieldpath.NewSet()
	var kept []metav1.ManagedFieldsEntry
	takenSet := map[string]bool{}
	var latest *metav1.Time
	mine := -1
	for _, e := range entries {
		own := e.Manager == manager && e.Operation == metav1.ManagedFieldsOperationApply && e.Subresource == ""
		take := from[e.Manager] && e.Subresource == "" && e.Manager != manager
		if !own && !take {
			kept = append(kept, e)
			continue
		}
		if take {
			takenSet[e.Manager+" ("+string(e.Operation)+")"] = true
		}
		if own {
			mine = len(kept)
		}
		if e.FieldsV1 != nil {
			s := fieldpath.NewSet()
			if err := s.FromJSON(bytes.NewReader(e.FieldsV1.Raw)); err != nil {
				return nil, nil, fmt.Errorf("the entry of %s: %w", e.Manager, err)
			}
			union = union.Union(s)
		}
		if e.Time != nil && (latest == nil || latest.Before(e.Time)) {
			latest = e.Time
		}
	}
	if len(takenSet) == 0 {
		return entries, nil, nil
	}
	raw, err := union.ToJSON()
	if err != nil {
		return nil, nil, err
	}
	merged := metav1.ManagedFieldsEntry{
		Manager: manager, Operation: metav1.ManagedFieldsOperationApply, APIVersion: apiVersion,
		Time: latest, FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: raw},
	}
	out := make([]metav1.ManagedFieldsEntry, 0, len(kept)+1)
	if mine < 0 {
		mine = 0
	}
	out = append(out, kept[:mine]...)
	out = append(out, merged)
	out = append(out, kept[mine:]...)
	taken := make([]string, 0, len(takenSet))
	for t := range takenSet {
		taken = append(taken, t)
	}
	sort.Strings(taken)
	return out, taken, nil
}
