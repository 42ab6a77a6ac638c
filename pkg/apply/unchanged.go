package apply

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// provablyUnchanged reports whether applying desired with manager would change nothing,
// judging from the live object alone, so that the dry run can be spared. It holds when
//
//   - the live object has an Apply entry of manager for desired's apiVersion,
//   - that entry's field set is exactly the set of fields of desired (so the apply
//     neither takes nor releases a field: nothing would be removed), and
//   - every value of desired is already live (so nothing would be set).
//
// Under server-side apply these make the apply a no-op. The check is conservative:
// whenever it cannot tell (a null in desired, a value the server normalises such as
// "0.5" CPUs, a list another manager added elements to, a field set it cannot match)
// it answers false and Apply asks the server with a dry run.
func provablyUnchanged(desired, live *unstructured.Unstructured, manager string) bool {
	if live == nil || live.GetDeletionTimestamp() != nil {
		return false
	}
	apiVersion, fields, ok := appliedFields(live, manager)
	if !ok || apiVersion != desired.GetAPIVersion() || fields == "" {
		return false
	}
	var set map[string]any
	dec := json.NewDecoder(strings.NewReader(fields))
	dec.UseNumber()
	if err := dec.Decode(&set); err != nil {
		return false
	}
	if !subset(desired.Object, live.Object) {
		return false
	}
	return sameFields(set, desired.Object, live.Object, "")
}

// subset: every value of d is in l (maps: the keys of d, with subset values; lists: the
// same length, subset element by element; scalars: equal). A null in d is never a subset
// (an apply config's null has its own meaning).
func subset(d, l any) bool {
	switch dv := d.(type) {
	case nil:
		return false
	case map[string]any:
		lv, ok := l.(map[string]any)
		if !ok {
			return false
		}
		for k, x := range dv {
			y, ok := lv[k]
			if !ok || !subset(x, y) {
				return false
			}
		}
		return true
	case []any:
		lv, ok := l.([]any)
		if !ok || len(lv) != len(dv) {
			return false
		}
		for i := range dv {
			if !subset(dv[i], lv[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(d, l)
	}
}

// sameFields reports whether the managed field set node (fieldsV1, decoded) is exactly
// the set of fields of desired value d at path; l is the live value at the same place (d
// is a subset of it), which list keys are matched against since they hold defaulted key
// fields ("k:{\"containerPort\":80,\"protocol\":\"TCP\"}" for a port that omits the
// protocol).
func sameFields(node map[string]any, d, l any, path string) bool {
	children := 0
	for k := range node {
		if k != "." {
			children++
		}
	}
	if len(node) == 0 {
		return true // the value is owned whole: a scalar, an atomic list, map or struct
	}
	switch dv := d.(type) {
	case map[string]any:
		lv, _ := l.(map[string]any)
		seen := 0
		for k, x := range dv {
			if (path == "" && (k == "apiVersion" || k == "kind")) ||
				(path == ".metadata" && (k == "name" || k == "namespace")) {
				continue // identity: never in a field set
			}
			sub, ok := node["f:"+k].(map[string]any)
			if !ok {
				return false
			}
			seen++
			if !sameFields(sub, x, lv[k], path+"."+k) {
				return false
			}
		}
		return seen == children
	case []any:
		lv, _ := l.([]any)
		if len(lv) != len(dv) {
			return false
		}
		matched := make([]bool, len(dv))
		for k, sub := range node {
			if k == "." {
				continue
			}
			i := listIndex(k, lv)
			if i < 0 || matched[i] {
				return false
			}
			matched[i] = true
			subNode, ok := sub.(map[string]any)
			if !ok || !sameFields(subNode, dv[i], lv[i], path+"[]") {
				return false
			}
		}
		for _, m := range matched {
			if !m {
				return false
			}
		}
		return true
	default:
		return children == 0
	}
}

// listIndex finds the live list element a field set key names: "k:{…}" by its key
// fields, "v:…" by value, "i:N" by index; -1 when none or several match.
func listIndex(k string, l []any) int {
	switch {
	case strings.HasPrefix(k, "i:"):
		i, err := strconv.Atoi(k[2:])
		if err != nil || i < 0 || i >= len(l) {
			return -1
		}
		return i
	case strings.HasPrefix(k, "v:"):
		return uniqueMatch(l, func(e any) bool { return jsonEqual(e, k[2:]) })
	case strings.HasPrefix(k, "k:"):
		var keyFields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(k[2:]), &keyFields); err != nil {
			return -1
		}
		return uniqueMatch(l, func(e any) bool {
			m, ok := e.(map[string]any)
			if !ok {
				return false
			}
			for f, want := range keyFields {
				v, ok := m[f]
				if !ok || !jsonEqual(v, string(want)) {
					return false
				}
			}
			return true
		})
	}
	return -1
}

func uniqueMatch(l []any, match func(any) bool) int {
	found := -1
	for i, e := range l {
		if match(e) {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}

// jsonEqual compares a decoded value with a JSON text, both re-encoded canonically
// (sorted keys, numbers as JSON numbers).
func jsonEqual(v any, text string) bool {
	var w any
	if err := json.Unmarshal([]byte(text), &w); err != nil {
		return false
	}
	a, err1 := json.Marshal(v)
	b, err2 := json.Marshal(w)
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}
