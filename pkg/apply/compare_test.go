package apply

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/release"
)

func mustObj(t testing.TB, y string) *unstructured.Unstructured {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestDrifted(t *testing.T) {
	live := mustObj(t, `
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  namespace: ns
  resourceVersion: "10"
  generation: 1
  uid: u-1
  creationTimestamp: "2026-01-01T00:00:00Z"
  labels: {app: a}
  managedFields:
  - {manager: hoist, operation: Apply, apiVersion: v1, time: "2026-01-01T00:00:00Z", fieldsType: FieldsV1, fieldsV1: {"f:data": {"f:k": {}}}}
  - {manager: other, operation: Update, apiVersion: v1, time: "2026-01-01T00:00:00Z", fieldsType: FieldsV1, fieldsV1: {"f:data": {"f:o": {}}}}
data: {k: v, o: x}
`)
	same := live.DeepCopy()
	same.SetResourceVersion("11")
	same.SetGeneration(2)
	_ = unstructured.SetNestedField(same.Object, map[string]any{"phase": "whatever"}, "status")
	mf := same.GetManagedFields()
	mf[0].Time = &metav1.Time{}
	mf[1].FieldsV1 = &metav1.FieldsV1{Raw: []byte(`{"f:data":{}}`)} // another manager's set: ignored
	same.SetManagedFields(mf)
	if drifted(live, same, "hoist") {
		t.Error("server-maintained fields and other managers' sets count as drift")
	}

	changed := live.DeepCopy()
	_ = unstructured.SetNestedField(changed.Object, "v2", "data", "k")
	if !drifted(live, changed, "hoist") {
		t.Error("a data change is not drift")
	}
	relabeled := live.DeepCopy()
	relabeled.SetLabels(map[string]string{"app": "b"})
	if !drifted(live, relabeled, "hoist") {
		t.Error("a label change is not drift")
	}
	owned := live.DeepCopy()
	mf = owned.GetManagedFields()
	mf[0].FieldsV1 = &metav1.FieldsV1{Raw: []byte(`{"f:data":{"f:k":{},"f:o":{}}}`)}
	owned.SetManagedFields(mf)
	if !drifted(live, owned, "hoist") {
		t.Error("a change of hoist's field set is not drift")
	}
}

func TestConflictsOf(t *testing.T) {
	err := apierrors.NewApplyConflict([]metav1.StatusCause{
		{Type: metav1.CauseTypeFieldManagerConflict, Message: `conflict with "other"`, Field: ".data.key"},
		{Type: metav1.CauseTypeFieldManagerConflict, Message: `conflict with "kubectl-edit" using v1 at 2026-01-01T00:00:00Z`, Field: ".spec.replicas"},
		{Type: metav1.CauseTypeFieldManagerConflict, Message: `conflict with "a \"quoted\" one" with subresource "scale"`, Field: ".spec.x"},
	}, "Apply failed with 3 conflicts")
	got, ok := conflictsOf(fmt.Errorf("wrapped: %w", err))
	want := []Conflict{{"other", ".data.key"}, {"kubectl-edit", ".spec.replicas"}, {`a "quoted" one`, ".spec.x"}}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("conflictsOf = %v, %v; want %v", got, ok, want)
	}
	for _, e := range []error{nil, errors.New("plain"), apierrors.NewConflict(schema.GroupResource{Resource: "configmaps"}, "a", errors.New("resourceVersion"))} {
		if c, ok := conflictsOf(e); ok {
			t.Errorf("conflictsOf(%v) = %v", e, c)
		}
	}
}

func TestImmutableFields(t *testing.T) {
	gk := schema.GroupKind{Group: "apps", Kind: "Deployment"}
	for _, c := range []struct {
		name string
		err  error
		want []string
	}{
		{"selector", apierrors.NewInvalid(gk, "web", field.ErrorList{
			field.Invalid(field.NewPath("spec", "selector"), map[string]string{"app": "x"}, "field is immutable"),
		}), []string{"spec.selector: field is immutable"}},
		{"clusterIP", apierrors.NewInvalid(schema.GroupKind{Kind: "Service"}, "s", field.ErrorList{
			field.Invalid(field.NewPath("spec", "clusterIPs").Index(0), []string{"10.0.0.1"}, "may not change once set"),
		}), []string{"spec.clusterIPs[0]: may not change once set"}},
		{"statefulset", apierrors.NewInvalid(schema.GroupKind{Group: "apps", Kind: "StatefulSet"}, "db", field.ErrorList{
			field.Forbidden(field.NewPath("spec"), "updates to statefulset spec for fields other than 'replicas', 'template' are forbidden"),
		}), []string{"spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'template' are forbidden"}},
		{"webhook", apierrors.NewBadRequest(`admission webhook "x" denied the request: spec.foo is immutable`), []string{`admission webhook "x" denied the request: spec.foo is immutable`}},
		{"other invalid", apierrors.NewInvalid(gk, "web", field.ErrorList{field.Required(field.NewPath("spec", "template"), "")}), nil},
		{"rbac", apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "a", errors.New(`User "u" cannot patch resource`)), nil},
		{"not found", apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, "a"), nil},
	} {
		got, ok := immutableFields(c.err)
		if ok != (c.want != nil) || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: immutableFields = %q, %v; want %q", c.name, got, ok, c.want)
		}
	}
	e := &ImmutableError{Object: release.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "ns", Name: "web"}, Fields: []string{"spec.selector: field is immutable"}, Err: errors.New("server said")}
	if !errors.Is(e, ErrImmutable) || e.Error() != "Deployment/ns/web: cannot change immutable field(s) spec.selector: field is immutable; recreate it with force-replace" {
		t.Errorf("ImmutableError: %v", e)
	}
}
