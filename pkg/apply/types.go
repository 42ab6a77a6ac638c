package apply

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hoist-dev/hoist/pkg/release"
)

// Ownership and policy annotations.
const (
	// AnnotationReleaseName and AnnotationReleaseNamespace name the release that owns an
	// object; Apply writes them on every object.
	AnnotationReleaseName      = "hoist.dev/release-name"
	AnnotationReleaseNamespace = "hoist.dev/release-namespace"

	// HelmAnnotationReleaseName and HelmAnnotationReleaseNamespace are Helm's ownership
	// annotations: objects carrying them for the same release count as owned, so
	// releases imported from Helm upgrade cleanly.
	HelmAnnotationReleaseName      = "meta.helm.sh/release-name"
	HelmAnnotationReleaseNamespace = "meta.helm.sh/release-namespace"

	// AnnotationResourcePolicy with the value ResourcePolicyKeep keeps an object in the
	// cluster when Prune or Delete would delete it.
	AnnotationResourcePolicy = "helm.sh/resource-policy"
	ResourcePolicyKeep       = "keep"
)

// DefaultFieldManager is the field manager when Manager.FieldManager is empty.
const DefaultFieldManager = "hoist"

// Objects are identified by release.ObjectRef, the type the release record's inventory
// stores, so that what Apply reports is what the record keeps, without conversions.

// RefOf returns the identity of an object.
func RefOf(u *unstructured.Unstructured) release.ObjectRef {
	gvk := u.GroupVersionKind()
	return release.ObjectRef{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind, Namespace: u.GetNamespace(), Name: u.GetName()}
}

// RefsOf returns the identities of objects, in their order.
func RefsOf(objs []*unstructured.Unstructured) []release.ObjectRef {
	out := make([]release.ObjectRef, len(objs))
	for i, o := range objs {
		out[i] = RefOf(o)
	}
	return out
}

// gvkOf is the GroupVersionKind of an object.
func gvkOf(o release.ObjectRef) schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: o.Group, Version: o.Version, Kind: o.Kind}
}

// key identifies an object without its version.
type key struct{ group, kind, namespace, name string }

func keyOf(o release.ObjectRef) key { return key{o.Group, o.Kind, o.Namespace, o.Name} }

// Action is what happened to an object.
type Action string

// Actions, in the order Summary lists them.
const (
	ActionCreated    Action = "created"
	ActionConfigured Action = "configured"
	// ActionReplaced: deleted and recreated because an immutable field changed (ForceReplace).
	ActionReplaced  Action = "replaced"
	ActionUnchanged Action = "unchanged"
	ActionDeleted   Action = "deleted"
	// ActionKept: not deleted because of helm.sh/resource-policy: keep (or a CRD without DeleteCRDs).
	ActionKept Action = "kept"
	// ActionSkipped: nothing was done (already gone, owned by someone else, or an earlier
	// failure stopped the operation); Change.Message says which.
	ActionSkipped Action = "skipped"
	ActionFailed  Action = "failed"
)

var actionOrder = []Action{ActionCreated, ActionConfigured, ActionReplaced, ActionUnchanged, ActionDeleted, ActionKept, ActionSkipped, ActionFailed}

// Conflict is a field hoist took over from another field manager.
type Conflict struct {
	// Manager is the field manager that owned the field.
	Manager string
	// Field is the field path, as the API server reports it (".spec.replicas").
	Field string
}

func (c Conflict) String() string { return fmt.Sprintf("%s (from %q)", c.Field, c.Manager) }

// Change is the outcome for one object.
type Change struct {
	Object release.ObjectRef
	Action Action
	// Conflicts are the fields forced from other field managers (Apply only).
	Conflicts []Conflict
	// Message explains skipped, kept and dry-run outcomes; empty otherwise.
	Message string
	// Err is why the object failed (Action is ActionFailed), wrapped with the object.
	Err error
	// Live is the object as it was in the cluster (nil if it did not exist) and Result
	// as the apply leaves it (a dry run's result): set by Apply with
	// ApplyOptions.KeepObjects, and Live by a dry-run Delete or Prune.
	Live, Result *unstructured.Unstructured
}

func (c Change) String() string {
	s := c.Object.String() + " " + string(c.Action)
	if c.Message != "" {
		s += " (" + c.Message + ")"
	}
	if len(c.Conflicts) > 0 {
		parts := make([]string, len(c.Conflicts))
		for i, x := range c.Conflicts {
			parts[i] = x.String()
		}
		s += ", took over " + strings.Join(parts, ", ")
	}
	if c.Err != nil {
		s += ": " + c.Err.Error()
	}
	return s
}

// ChangeSet is the outcome of an operation, one Change per object, in the order the
// objects were processed.
type ChangeSet struct {
	Changes []Change
}

// Add appends changes.
func (cs *ChangeSet) Add(c ...Change) { cs.Changes = append(cs.Changes, c...) }

// Append adds the changes of another set.
func (cs *ChangeSet) Append(o *ChangeSet) {
	if o != nil {
		cs.Changes = append(cs.Changes, o.Changes...)
	}
}

// ByAction groups the changes by action.
func (cs *ChangeSet) ByAction() map[Action][]Change {
	m := map[Action][]Change{}
	if cs == nil {
		return m
	}
	for _, c := range cs.Changes {
		m[c.Action] = append(m[c.Action], c)
	}
	return m
}

// Count is the number of changes with the action.
func (cs *ChangeSet) Count(a Action) int {
	n := 0
	if cs != nil {
		for _, c := range cs.Changes {
			if c.Action == a {
				n++
			}
		}
	}
	return n
}

// Summary is e.g. "3 created, 1 configured, 40 unchanged" ("no objects" when empty).
func (cs *ChangeSet) Summary() string {
	if cs == nil || len(cs.Changes) == 0 {
		return "no objects"
	}
	by := cs.ByAction()
	var parts []string
	for _, a := range actionOrder {
		if n := len(by[a]); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, a))
		}
	}
	for a, cs := range by { // actions outside the known set, for completeness
		if !knownAction(a) {
			parts = append(parts, fmt.Sprintf("%d %s", len(cs), a))
		}
	}
	return strings.Join(parts, ", ")
}

func knownAction(a Action) bool {
	for _, k := range actionOrder {
		if k == a {
			return true
		}
	}
	return false
}

// Changed reports whether anything was written (created, configured, replaced or deleted).
func (cs *ChangeSet) Changed() bool {
	if cs == nil {
		return false
	}
	for _, c := range cs.Changes {
		switch c.Action {
		case ActionCreated, ActionConfigured, ActionReplaced, ActionDeleted:
			return true
		}
	}
	return false
}

// Err joins the errors of the failed changes (nil when none failed).
func (cs *ChangeSet) Err() error {
	if cs == nil {
		return nil
	}
	var errs []error
	for _, c := range cs.Changes {
		if c.Err != nil {
			errs = append(errs, c.Err)
		}
	}
	return errors.Join(errs...)
}

// Objects are the objects of the changes with one of the actions (all when none given).
func (cs *ChangeSet) Objects(actions ...Action) []release.ObjectRef {
	var out []release.ObjectRef
	if cs == nil {
		return out
	}
	for _, c := range cs.Changes {
		if len(actions) == 0 || hasAction(actions, c.Action) {
			out = append(out, c.Object)
		}
	}
	return out
}

func hasAction(as []Action, a Action) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}

func (cs *ChangeSet) String() string {
	if cs == nil {
		return ""
	}
	lines := make([]string, len(cs.Changes))
	for i, c := range cs.Changes {
		lines[i] = c.String()
	}
	return strings.Join(lines, "\n")
}

// Owner is the release that owns the objects.
type Owner struct {
	ReleaseName, ReleaseNamespace string
}

func (o Owner) String() string {
	if o.ReleaseName == "" && o.ReleaseNamespace == "" {
		return "no release"
	}
	return fmt.Sprintf("release %s/%s", o.ReleaseNamespace, o.ReleaseName)
}

func (o Owner) isZero() bool { return o.ReleaseName == "" && o.ReleaseNamespace == "" }

// Sentinel errors; the errors returned wrap them (errors.Is).
var (
	// ErrNotOwned: the object exists and belongs to another release, or to none.
	ErrNotOwned = errors.New("object is not owned by the release")
	// ErrImmutable: the change needs an immutable field to change.
	ErrImmutable = errors.New("immutable field changed")
	// ErrUnknownKind: the kind is not served by the cluster and no CRD in the manifest defines it.
	ErrUnknownKind = errors.New("unknown kind")
	// ErrWaitTimeout and ErrWaitFailed: Wait timed out, or an object failed.
	ErrWaitTimeout = errors.New("timed out waiting for objects to be ready")
	ErrWaitFailed  = errors.New("object failed")
)

// OwnershipError says who owns an object Apply refused to take.
type OwnershipError struct {
	Object release.ObjectRef
	// Want is the release the apply is for; Current the one the object belongs to (zero:
	// none, the object was not made by hoist or Helm).
	Want, Current Owner
	// Helm is set when Current comes from Helm's annotations.
	Helm bool
}

func (e *OwnershipError) Error() string {
	cur := "it has no hoist or Helm ownership annotations"
	if !e.Current.isZero() {
		by := "hoist"
		if e.Helm {
			by = "Helm"
		}
		cur = fmt.Sprintf("it belongs to %s (%s)", e.Current, by)
	}
	return fmt.Sprintf("%s exists and is not owned by %s: %s; adopt it with take-ownership", e.Object, e.Want, cur)
}

func (e *OwnershipError) Unwrap() error { return ErrNotOwned }

// ImmutableError names the immutable fields a change needs to modify.
type ImmutableError struct {
	Object release.ObjectRef
	// Fields are "path: reason" as the API server reports them.
	Fields []string
	Err    error
}

func (e *ImmutableError) Error() string {
	return fmt.Sprintf("%s: cannot change immutable field(s) %s; recreate it with force-replace", e.Object, strings.Join(e.Fields, "; "))
}

func (e *ImmutableError) Is(target error) bool { return target == ErrImmutable }
func (e *ImmutableError) Unwrap() error        { return e.Err }
