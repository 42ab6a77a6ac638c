package apply

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
	"sigs.k8s.io/structured-merge-diff/v6/value"
)

// provablyUnchanged reports whether applying desired with manager would change nothing,
// judging from the live object alone, so that the dry run can be spared. It holds when
//
//   - the live object has an Apply entry of manager for desired's apiVersion,
//   - that entry's field set is exactly the field set of desired (so the apply neither
//     takes nor releases a field: nothing would be removed),
//   - merging desired into the live object, as server-side apply does, leaves it as it
//     is (so nothing would be set or reordered).
//
// Field sets, list-element keys and the merge are structured-merge-diff's, with the
// server's schema: the apiserver's own rules. The check is conservative: whenever it
// cannot tell (a null in desired, a value the server normalises such as "0.5" CPUs, no
// schema for a list's keys, a field set it cannot read) it answers false and Apply asks
// the server with a dry run.
func provablyUnchanged(desired, live *unstructured.Unstructured, manager string, schemas *Schemas) bool {
	if live == nil || live.GetDeletionTimestamp() != nil || hasNull(desired.Object) || scalarsDiffer(desired.Object, live.Object) {
		return false
	}
	apiVersion, raw, ok := appliedFields(live, manager)
	if !ok || apiVersion != desired.GetAPIVersion() || raw == "" {
		return false
	}
	if !strings.Contains(raw, `"k:`) && !strings.Contains(raw, `"v:`) && !strings.Contains(raw, `"i:`) {
		// Without list elements in the field set the deduced schema (maps granular, lists
		// atomic) proves as much as the server's, without fetching it.
		return unchangedWith(managedfields.NewDeducedTypeConverter(), false, desired, live, raw)
	}
	tc, err := schemas.converter(desired.GroupVersionKind().GroupVersion())
	return err == nil && unchangedWith(tc, true, desired, live, raw)
}

// unchangedWith is provablyUnchanged's proof under one schema (withSchema: the
// server's, else the deduced one); raw is hoist's field set as the server recorded it.
func unchangedWith(tc managedfields.TypeConverter, withSchema bool, desired, live *unstructured.Unstructured, raw string) bool {
	d, err := tc.ObjectToTyped(desired)
	if err != nil {
		return false
	}
	set, err := d.ToFieldSet()
	if err != nil {
		return false
	}
	id := identityFields()
	set = set.Difference(id)
	var owned *fieldpath.Set
	if !withSchema {
		// The deduced schema makes every map a member of the set as well as its fields
		// ("f:data": {".": {}, …}); the server's does not: compare the leaves.
		if owned, err = decodeFieldSet(raw); err != nil || !set.Leaves().Equals(owned.Leaves()) {
			return false
		}
	} else if js, err := set.ToJSON(); err != nil || string(js) != raw {
		// The server serialises field sets with this library: equal sets are equal text,
		// cheaper to compare than to decode. Other text may still be an equal set.
		if owned, err = decodeFieldSet(raw); err != nil || !set.Equals(owned) {
			return false
		}
	}
	l, err := typed.AsTyped(value.NewValueInterface(withoutServerFields(live).Object), d.Schema(), d.TypeRef())
	if err != nil {
		return false
	}
	if !withSchema {
		// The deduced schema merges every map, also those the server's replaces whole
		// (a selector set to {}): compare desired with what hoist owns of live instead.
		// Its lists are atomic, so order is compared too.
		cmp, err := d.Compare(l.ExtractItems(owned.Union(id)))
		return err == nil && cmp.IsSame()
	}
	merged, err := l.Merge(d)
	// value.Equals compares lists in order: an apply that reorders elements writes.
	return err == nil && value.Equals(merged.AsValue(), l.AsValue())
}

// scalarsDiffer reports whether a value desired sets outside lists differs from the
// live one, or is missing there: then the apply changes something, and no schema is
// needed to say so. Lists are left to the proof (their elements may be keyed); a value
// the server normalises ("0.5" CPUs) only costs a dry run.
func scalarsDiffer(desired, live map[string]any) bool {
	for k, d := range desired {
		l, ok := live[k]
		if !ok {
			return true
		}
		switch dv := d.(type) {
		case map[string]any:
			lv, ok := l.(map[string]any)
			if !ok || scalarsDiffer(dv, lv) {
				return true
			}
		case []any:
			if _, ok := l.([]any); !ok {
				return true
			}
		default:
			if d != l {
				return true
			}
		}
	}
	return false
}

// withoutServerFields is a shallow copy of u without its status and managed fields,
// which an apply of the main resource does not touch and which are half of a live
// object's bulk.
func withoutServerFields(u *unstructured.Unstructured) *unstructured.Unstructured {
	out := make(map[string]any, len(u.Object))
	for k, v := range u.Object {
		if k != "status" {
			out[k] = v
		}
	}
	if md, ok := u.Object["metadata"].(map[string]any); ok {
		m := make(map[string]any, len(md))
		for k, v := range md {
			if k != "managedFields" {
				m[k] = v
			}
		}
		out["metadata"] = m
	}
	return &unstructured.Unstructured{Object: out}
}

// hasNull reports whether v holds a null: in an apply configuration a null has its own
// meaning (remove the field), which the live object cannot show.
func hasNull(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		for _, e := range x {
			if hasNull(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasNull(e) {
				return true
			}
		}
	}
	return false
}
