package action

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestHookDoneJobConditions(t *testing.T) {
	job := func(conds ...map[string]any) *unstructured.Unstructured {
		var cs []any
		for _, c := range conds {
			cs = append(cs, c)
		}
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "batch/v1", "kind": "Job", "metadata": map[string]any{"name": "j"}}}
		if cs != nil {
			_ = unstructured.SetNestedSlice(u.Object, cs, "status", "conditions")
		}
		return u
	}
	deadline := "Job was active longer than specified deadline"
	for _, tc := range []struct {
		name    string
		job     *unstructured.Unstructured
		done    bool
		wantErr string
	}{
		{"running", job(), false, ""},
		{"complete", job(map[string]any{"type": "SuccessCriteriaMet", "status": "True"}, map[string]any{"type": "Complete", "status": "True"}), true, ""},
		{"success criteria met, not complete yet", job(map[string]any{"type": "SuccessCriteriaMet", "status": "True"}), false, ""},
		{"failure target: pods still terminating", job(map[string]any{"type": "FailureTarget", "status": "True", "message": deadline}), true, deadline},
		{"failed", job(map[string]any{"type": "FailureTarget", "status": "True", "message": deadline}, map[string]any{"type": "Failed", "status": "True", "message": deadline}), true, deadline},
		{"condition not true", job(map[string]any{"type": "Failed", "status": "False"}), false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done, err := hookDone(tc.job)
			if done != tc.done {
				t.Fatalf("done %v, want %v", done, tc.done)
			}
			if (err != nil) != (tc.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}
