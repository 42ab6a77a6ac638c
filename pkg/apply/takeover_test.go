package apply

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestTakeOverEntries(t *testing.T) {
	t0, t1 := metav1.Unix(100, 0), metav1.Unix(200, 0)
	entries := []metav1.ManagedFieldsEntry{
		{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", APIVersion: "apps/v1",
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:status":{"f:replicas":{}}}`)}},
		{Manager: "helm", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "apps/v1", Time: &t0,
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:replicas":{}}}`)}},
		{Manager: "helm", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "apps/v1", Time: &t1,
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:labels":{"f:a":{}}}}`)}},
		{Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "apps/v1",
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:paused":{}}}`)}},
	}
	out, taken, err := takeOverEntries(entries, map[string]bool{"helm": true}, "hoist", "apps/v1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(taken, ",") != "helm (Apply),helm (Update)" {
		t.Errorf("taken %v", taken)
	}
	var managers []string
	for _, e := range out {
		managers = append(managers, e.Manager+"/"+string(e.Operation))
		if e.Manager == "hoist" {
			if string(e.FieldsV1.Raw) != `{"f:metadata":{"f:labels":{"f:a":{}}},"f:spec":{"f:replicas":{}}}` || e.Time == nil || !e.Time.Equal(&t1) || e.APIVersion != "apps/v1" {
				t.Errorf("merged entry %s %v %s", e.FieldsV1.Raw, e.Time, e.APIVersion)
			}
		}
	}
	if strings.Join(managers, " ") != "hoist/Apply kube-controller-manager/Update kubectl-edit/Update" {
		t.Errorf("entries %v", managers)
	}
	if _, taken, _ := takeOverEntries(out, map[string]bool{"helm": true}, "hoist", "apps/v1"); len(taken) != 0 {
		t.Errorf("second take-over took %v", taken)
	}
	bad := []metav1.ManagedFieldsEntry{{Manager: "helm", Operation: metav1.ManagedFieldsOperationUpdate, FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"x`)}}}
	if _, _, err := takeOverEntries(bad, map[string]bool{"helm": true}, "hoist", "v1"); err == nil || !strings.Contains(err.Error(), "helm") {
		t.Errorf("corrupt entry: %v", err)
	}
}
