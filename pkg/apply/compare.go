package apply

import (
	"errors"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// drifted reports whether the server-side dry-run result of an apply differs from the
// live object: everything but the fields the server maintains (resourceVersion,
// generation, uid, timestamps, status, managedFields) is compared, and so is the set of
// fields fieldManager owns (so a change of ownership alone, such as a field the chart
// stopped setting but another manager still owns, is written too). Both objects are
// decoded from the server's JSON the same way, so reflect.DeepEqual compares them.
func drifted(live, dryRun *unstructured.Unstructured, fieldManager string) bool {
	if !reflect.DeepEqual(comparable(live), comparable(dryRun)) {
		return true
	}
	lv, lf, lok := appliedFields(live, fieldManager)
	dv, df, dok := appliedFields(dryRun, fieldManager)
	return lok != dok || lv != dv || lf != df
}

// comparable is a shallow copy of the object without what the server maintains.
func comparable(u *unstructured.Unstructured) map[string]any {
	out := make(map[string]any, len(u.Object))
	for k, v := range u.Object {
		switch k {
		case "status", "apiVersion", "kind":
			continue
		}
		out[k] = v
	}
	if md, ok := u.Object["metadata"].(map[string]any); ok {
		m := make(map[string]any, len(md))
		for k, v := range md {
			switch k {
			case "managedFields", "resourceVersion", "generation", "creationTimestamp", "uid", "selfLink":
				continue
			}
			m[k] = v
		}
		out["metadata"] = m
	}
	return out
}

// appliedFields returns the API version and field set of the Apply entry of manager.
func appliedFields(u *unstructured.Unstructured, manager string) (apiVersion, fields string, ok bool) {
	for _, e := range u.GetManagedFields() {
		if e.Manager == manager && e.Operation == metav1.ManagedFieldsOperationApply && e.Subresource == "" {
			if e.FieldsV1 != nil {
				fields = string(e.FieldsV1.Raw)
			}
			return e.APIVersion, fields, true
		}
	}
	return "", "", false
}

var conflictManager = regexp.MustCompile(`^conflict with ("(?:[^"\\]|\\.)*")`)

// conflictsOf extracts the field-manager conflicts of a refused (non-forced) apply.
func conflictsOf(err error) ([]Conflict, bool) {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return nil, false
	}
	s := st.Status()
	if s.Code != http.StatusConflict || s.Details == nil {
		return nil, false
	}
	var out []Conflict
	for _, c := range s.Details.Causes {
		if c.Type != metav1.CauseTypeFieldManagerConflict {
			continue
		}
		mgr := c.Message
		if m := conflictManager.FindStringSubmatch(c.Message); m != nil {
			if u, err := strconv.Unquote(m[1]); err == nil {
				mgr = u
			}
		}
		out = append(out, Conflict{Manager: mgr, Field: c.Field})
	}
	return out, len(out) > 0
}

// immutableText matches how the API server, CEL rules and webhooks word a change of an
// immutable field ("field is immutable", "may not change once set", "updates to
// statefulset spec for fields other than … are forbidden").
var immutableText = regexp.MustCompile(`(?i)(is immutable|immutable field|may not change|cannot be changed|cannot change|updates to .* are forbidden)`)

// immutableFields reports whether err refuses a change of immutable fields, and which.
func immutableFields(err error) ([]string, bool) {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return nil, false
	}
	s := st.Status()
	switch s.Code {
	case http.StatusUnprocessableEntity, http.StatusBadRequest, http.StatusForbidden:
	default:
		return nil, false
	}
	var fields []string
	if s.Details != nil {
		for _, c := range s.Details.Causes {
			if immutableText.MatchString(c.Message) {
				fields = append(fields, shortCause(c))
			}
		}
	}
	if len(fields) == 0 && immutableText.MatchString(s.Message) {
		fields = append(fields, s.Message)
	}
	return fields, len(fields) > 0
}

// shortCause is "field: reason", without the dump of the rejected value the server
// puts in between ("spec.selector: Invalid value: v1.LabelSelector{…}: field is immutable").
func shortCause(c metav1.StatusCause) string {
	msg := c.Message
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "Invalid value") {
		msg = msg[i+2:]
	}
	if c.Field == "" {
		return msg
	}
	return c.Field + ": " + msg
}
