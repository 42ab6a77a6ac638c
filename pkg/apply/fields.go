package apply

import (
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
)

// This file reads managed fields: who owns which field of a live object, as
// structured-merge-diff field sets, and objects as typed values of the schema the
// sets are keyed by.

// decodeFieldSet decodes a managedFields entry's FieldsV1 ("f:spec", "k:{…}", "v:…").
func decodeFieldSet(raw string) (*fieldpath.Set, error) {
	s := &fieldpath.Set{}
	if err := s.FromJSON(strings.NewReader(raw)); err != nil {
		return nil, err
	}
	return s, nil
}

// identityFields are in every object's field set but never in a managed one: the
// server strips them from what it records.
func identityFields() *fieldpath.Set {
	return fieldpath.NewSet(
		fieldpath.MakePathOrDie("apiVersion"),
		fieldpath.MakePathOrDie("kind"),
		fieldpath.MakePathOrDie("metadata", "name"),
		fieldpath.MakePathOrDie("metadata", "namespace"),
	)
}

// typedObjects converts objects of one kind to typed values of one schema: the server's
// schema of their group-version when every object conforms to it, else the deduced
// schema (maps granular, every list atomic). A missing or stale schema thus makes
// comparisons coarser (a list compares whole), never blind. withSchema tells which.
func typedObjects(s *Schemas, objs ...*unstructured.Unstructured) (out []*typed.TypedValue, withSchema bool, err error) {
	gvk := objs[0].GroupVersionKind()
	same := true
	for _, o := range objs[1:] {
		same = same && o.GroupVersionKind() == gvk
	}
	if same {
		if tc, err := s.converter(gvk.GroupVersion()); err == nil {
			if out, err := convertAll(tc, objs); err == nil {
				return out, true, nil
			}
		}
	}
	out, err = convertAll(managedfields.NewDeducedTypeConverter(), objs)
	return out, false, err
}

func convertAll(tc managedfields.TypeConverter, objs []*unstructured.Unstructured) ([]*typed.TypedValue, error) {
	out := make([]*typed.TypedValue, len(objs))
	for i, o := range objs {
		tv, err := tc.ObjectToTyped(o)
		if err != nil {
			return nil, err
		}
		out[i] = tv
	}
	return out, nil
}

// fieldsOf is a typed value and its field set, from which values are read by path.
type fieldsOf struct {
	tv  *typed.TypedValue
	set *fieldpath.Set
}

func newFieldsOf(tv *typed.TypedValue) (fieldsOf, error) {
	set, err := tv.ToFieldSet()
	return fieldsOf{tv, set}, err
}

// valueAt returns the value at a path (list elements found by the schema's keys,
// defaulted key fields included) and whether it is there.
func (f fieldsOf) valueAt(p fieldpath.Path) (any, bool) {
	v := f.tv.ExtractItems(f.leavesUnder(fieldpath.NewSet(p))).AsValue().Unstructured()
	for _, pe := range p {
		switch x := v.(type) {
		case map[string]any:
			if pe.FieldName == nil {
				return nil, false
			}
			var ok bool
			if v, ok = x[*pe.FieldName]; !ok {
				return nil, false
			}
		case []any:
			// The extraction kept the one element the path names.
			if pe.FieldName != nil || len(x) != 1 {
				return nil, false
			}
			v = x[0]
		default:
			return nil, false
		}
	}
	return v, true
}

// leavesUnder replaces each path of s by the leaves of the field set under it, keeping
// the paths that are leaves: a field set holds leaves, so extracting or removing a
// map's own path takes nothing of it.
func (f fieldsOf) leavesUnder(s *fieldpath.Set) *fieldpath.Set {
	out := &fieldpath.Set{}
	s.Iterate(func(p fieldpath.Path) {
		if node := f.under(p); node != nil && !node.Empty() {
			node.Iterate(func(q fieldpath.Path) { out.Insert(append(p.Copy(), q...)) })
			return
		}
		out.Insert(p)
	})
	return out
}

// under is the subtree of the field set below p (nil when there is none).
func (f fieldsOf) under(p fieldpath.Path) *fieldpath.Set {
	node := f.set
	for _, pe := range p {
		var ok bool
		if node, ok = node.Children.Get(pe); !ok {
			return nil
		}
	}
	return node
}

// fieldOwner is a managedFields entry: its label and field set.
type fieldOwner struct {
	label string
	set   *fieldpath.Set
}

// owners are the managedFields entries of a live object.
type owners []fieldOwner

// fieldOwners reads the managedFields of u, leaving out self's Apply entry. Entries that
// cannot be decoded are skipped: they only label drift.
func fieldOwners(u *unstructured.Unstructured, self string) owners {
	var out owners
	for _, e := range u.GetManagedFields() {
		if e.FieldsV1 == nil || (e.Manager == self && e.Operation == metav1.ManagedFieldsOperationApply && e.Subresource == "") {
			continue
		}
		set, err := decodeFieldSet(string(e.FieldsV1.Raw))
		if err != nil {
			continue
		}
		out = append(out, fieldOwner{label: ownerLabel(e), set: set})
	}
	return out
}

// ownerLabel is "kubectl-edit (Update, 2026-11-26T10:00:00Z)", with the subresource
// after the operation when there is one.
func ownerLabel(e metav1.ManagedFieldsEntry) string {
	label := e.Manager + " (" + string(e.Operation)
	if e.Subresource != "" {
		label += ", " + e.Subresource
	}
	if e.Time != nil {
		label += ", " + e.Time.UTC().Format(time.RFC3339)
	}
	return label + ")"
}

// of returns the managers owning a path or a field under it (a list that compares
// whole is owned element by element), else those of its nearest owned ancestor
// (an atomic map owns what is in it); sorted.
func (o owners) of(p fieldpath.Path) []string {
	for n := len(p); n > 0; n-- {
		var out []string
		for _, e := range o {
			if e.set.Has(p[:n]) || (n == len(p) && hasUnder(e.set, p)) {
				out = append(out, e.label)
			}
		}
		if len(out) > 0 {
			sort.Strings(out)
			return out
		}
	}
	return nil
}

// hasUnder reports whether s has a member below p.
func hasUnder(s *fieldpath.Set, p fieldpath.Path) bool {
	node := fieldsOf{set: s}.under(p)
	return node != nil && !node.Empty()
}
