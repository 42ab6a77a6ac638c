package apply

import (
	"encoding/json"
	"reflect"
	"sort"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/typed"

	"github.com/hoist-dev/hoist/pkg/release"
)

// This file compares an object's three states: last applied, live and desired.

// DiffOptions configure ObjectDiff.
type DiffOptions struct {
	// Context is the number of context lines of the unified diffs.
	Context int
	// ShowSecrets shows the values of Secrets; they are masked otherwise.
	ShowSecrets bool
	// FieldManager is hoist's field manager ("hoist" when empty).
	FieldManager string
	// LastName and DesiredName label the last-applied and desired sides ("revision 3",
	// "upgrade").
	LastName, DesiredName string
	// Schemas match list elements by their keys (Manager.Schemas); without them every
	// list compares whole.
	Schemas *Schemas
}

// ObjectDiff is what an operation does to one object, from its three states: last
// applied (the release record), live (the cluster) and desired (the chart, and the
// server's dry-run result of applying it).
type ObjectDiff struct {
	Object release.ObjectRef `json:"object"`
	// Action is created, configured (changed), replaced, deleted, unchanged, kept,
	// skipped or failed.
	Action  Action `json:"action"`
	Message string `json:"message,omitempty"`
	// Chart is the unified diff of the last applied object and the desired one: the
	// change that comes from the chart and values.
	Chart string `json:"chart,omitempty"`
	// Drift is the unified diff, on the fields the last revision applied, of what drifted
	// in the cluster and what the operation sets there instead.
	Drift string `json:"drift,omitempty"`
	// Cluster is the unified diff of the live object and the dry-run result: shown for
	// objects the last revision did not apply (created, adopted) and for changes that
	// neither Chart nor Drift tell.
	Cluster string `json:"cluster,omitempty"`
	// DriftedFields are the fields whose live value differs from the last applied one.
	DriftedFields []FieldDrift `json:"driftedFields,omitempty"`
}

// FieldDrift is a field whose live value differs from what hoist applied.
type FieldDrift struct {
	// Path is in the API server's notation, as in field-manager conflicts:
	// ".spec.template.spec.containers[name=\"web\"].image", list elements named by their
	// schema keys (".ports[containerPort=80,protocol=\"TCP\"]"); a list without a schema
	// is one field.
	Path string `json:"path"`
	// Applied is the applied value; Live the live one (nil when the field is gone).
	Applied any `json:"applied"`
	Live    any `json:"live"`
	// Managers are the field managers that own the live field ("kubectl-edit (Update,
	// 2026-11-26T10:00:00Z)"), hoist's own left out; empty when no manager owns it (a
	// field removed).
	Managers []string `json:"managers,omitempty"`
}

func (o DiffOptions) manager() string {
	if o.FieldManager == "" {
		return DefaultFieldManager
	}
	return o.FieldManager
}

// Diff computes the diff of one object. last, live, desired and result may each be nil:
// last when the previous revision did not have the object, live when it does not
// exist, desired and result for an object the operation deletes (result also when the
// server could not dry-run it). action is what the operation does to it.
func Diff(obj release.ObjectRef, action Action, last, desired, live, result *unstructured.Unstructured, opts DiffOptions) ObjectDiff {
	d := ObjectDiff{Object: obj, Action: action}
	last, desired = secretData(last), secretData(desired)
	lastName, desiredName := opts.LastName, opts.DesiredName
	if lastName == "" {
		lastName = "last applied"
	}
	if desiredName == "" {
		desiredName = "desired"
	}
	name := obj.String()
	switch action {
	case ActionCreated:
		src := desired
		if src == nil {
			src = result
		}
		d.Chart = diffYAML(name+" ("+lastName+")", name+" ("+desiredName+")", nil, src, opts)
		return d
	case ActionDeleted, ActionKept:
		src := last
		if src == nil {
			src = live
		}
		d.Chart = diffYAML(name+" ("+lastName+")", name+" ("+desiredName+")", src, nil, opts)
		return d
	}
	if last != nil && desired != nil {
		d.Chart = diffYAML(name+" ("+lastName+")", name+" ("+desiredName+")", last, desired, opts)
	}
	if last != nil && live != nil {
		objs := []*unstructured.Unstructured{last, live} // last has its stringData as data already
		if result != nil {
			objs = append(objs, result)
		}
		if tvs, _, err := typedObjects(opts.Schemas, objs...); err == nil {
			leaves := driftedLeaves(tvs[0], tvs[1])
			d.DriftedFields = fieldDrifts(leaves, live, opts.manager())
			if !opts.ShowSecrets {
				MaskDrift(obj, d.DriftedFields)
			}
			if result != nil {
				d.Drift = overwrittenDrift(name, leaves, tvs[0], tvs[1], tvs[2], opts)
			}
		}
	}
	changed := action == ActionConfigured || action == ActionReplaced
	if changed && live != nil && result != nil && (last == nil || (d.Chart == "" && d.Drift == "")) {
		d.Cluster = diffYAML(name+" (live)", name+" (after "+desiredName+")", live, result, opts)
	}
	return d
}

// Drift lists the fields of applied (what hoist applied) whose value in live differs,
// each with the managers that own it in live, sorted by path. Lists compare whole:
// Manager.Drift matches their elements by the server schema's keys.
func Drift(applied, live *unstructured.Unstructured, fieldManager string) []FieldDrift {
	return drift(applied, live, fieldManager, nil)
}

// Drift lists the fields of applied whose value in live differs, as the function Drift,
// with list elements matched by the keys of the server's schema.
func (m *Manager) Drift(applied, live *unstructured.Unstructured) []FieldDrift {
	return drift(applied, live, m.fieldManager(), m.Schemas())
}

func drift(applied, live *unstructured.Unstructured, fieldManager string, schemas *Schemas) []FieldDrift {
	if fieldManager == "" {
		fieldManager = DefaultFieldManager
	}
	applied = secretData(applied)
	tvs, _, err := typedObjects(schemas, applied, live)
	if err != nil {
		return nil
	}
	return fieldDrifts(driftedLeaves(tvs[0], tvs[1]), live, fieldManager)
}

// leafDrift is a field of an applied object whose live value differs.
type leafDrift struct {
	path          fieldpath.Path
	applied, live any
	present       bool // the field exists in the live object (live may be null)
}

// driftedLeaves lists the fields of applied whose value in live differs or which live
// lacks (a missing subtree once, at its top), sorted by path. Fields only live has are
// no drift, nor values the server normalises ("0.5" and "500m" CPUs).
func driftedLeaves(applied, live *typed.TypedValue) []leafDrift {
	cmp, err := applied.Compare(live)
	if err != nil {
		return nil
	}
	a, err1 := newFieldsOf(applied)
	l, err2 := newFieldsOf(live)
	if err1 != nil || err2 != nil {
		return nil
	}
	var out []leafDrift
	cmp.Modified.Union(cmp.Removed).Iterate(func(p fieldpath.Path) {
		if ignoredPath(p) || (cmp.Removed.Has(p) && removedAbove(cmp.Removed, p)) {
			return
		}
		av, _ := a.valueAt(p)
		lv, present := l.valueAt(p)
		if present && sameValue(av, lv) {
			return
		}
		out = append(out, leafDrift{path: p.Copy(), applied: av, live: lv, present: present})
	})
	return out
}

// removedAbove reports whether an ancestor of p is removed too.
func removedAbove(removed *fieldpath.Set, p fieldpath.Path) bool {
	for n := len(p) - 1; n > 0; n-- {
		if removed.Has(p[:n]) {
			return true
		}
	}
	return false
}

// fieldDrifts reports drifted fields with the managers that own them in live, sorted by path.
func fieldDrifts(leaves []leafDrift, live *unstructured.Unstructured, fieldManager string) []FieldDrift {
	if len(leaves) == 0 {
		return nil
	}
	owners := fieldOwners(live, fieldManager)
	out := make([]FieldDrift, 0, len(leaves))
	for _, l := range leaves {
		fd := FieldDrift{Path: l.path.String(), Applied: l.applied}
		if l.present {
			fd.Live = l.live
			fd.Managers = owners.of(l.path)
		}
		out = append(out, fd)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// ignoredPath: what the server maintains, never drift.
func ignoredPath(p fieldpath.Path) bool {
	if len(p) == 0 || p[0].FieldName == nil {
		return false
	}
	switch *p[0].FieldName {
	case "status":
		return true
	case "metadata":
		if len(p) > 1 && p[1].FieldName != nil {
			switch *p[1].FieldName {
			case "managedFields", "resourceVersion", "generation", "uid", "creationTimestamp",
				"selfLink", "deletionTimestamp", "deletionGracePeriodSeconds":
				return true
			}
		}
	}
	return false
}

// overwrittenDrift is the unified diff, over the fields of last, of the drifted fields
// the operation changes: the live value before, the result after. The other fields of
// last are the context.
func overwrittenDrift(name string, leaves []leafDrift, last, live, result *typed.TypedValue, opts DiffOptions) string {
	res, err1 := newFieldsOf(result)
	lst, err2 := newFieldsOf(last)
	liv, err3 := newFieldsOf(live)
	if err1 != nil || err2 != nil || err3 != nil {
		return ""
	}
	changed := &fieldpath.Set{}
	for _, l := range leaves {
		r, present := res.valueAt(l.path)
		if present == l.present && (!present || sameValue(l.live, r)) {
			continue // the operation leaves the drift as it is
		}
		changed.Insert(l.path)
	}
	if changed.Empty() {
		return ""
	}
	// The paths themselves too: a map missing from live goes, not only its fields.
	base := last.RemoveItems(lst.leavesUnder(changed).Union(changed))
	side := func(from fieldsOf) *unstructured.Unstructured {
		// Key fields come along, so that list elements merge into theirs.
		v, err := base.Merge(from.tv.ExtractItems(from.leavesUnder(changed), typed.WithAppendKeyFields()))
		if err != nil {
			return nil
		}
		m, _ := v.AsValue().Unstructured().(map[string]any)
		return &unstructured.Unstructured{Object: m}
	}
	before, after := side(liv), side(res)
	if before == nil || after == nil {
		return ""
	}
	return diffYAML(name+" (live)", name+" (after "+opts.DesiredName+")", before, after, opts)
}

// sameValue compares two values as the server would store them: numbers by value, and
// strings that are both quantities ("0.5" and "500m") by quantity.
func sameValue(a, b any) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	fa, aok := number(a)
	fb, bok := number(b)
	if aok && bok {
		return fa == fb
	}
	sa, aStr := a.(string)
	sb, bStr := b.(string)
	switch {
	case aStr && bStr:
		qa, err1 := resource.ParseQuantity(sa)
		qb, err2 := resource.ParseQuantity(sb)
		return err1 == nil && err2 == nil && qa.Cmp(qb) == 0
	case aStr && bok: // a number and a quantity string (cpu: 1 and cpu: "1")
		q, err := resource.ParseQuantity(sa)
		return err == nil && q.AsApproximateFloat64() == fb
	case bStr && aok:
		q, err := resource.ParseQuantity(sb)
		return err == nil && q.AsApproximateFloat64() == fa
	}
	return false
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
