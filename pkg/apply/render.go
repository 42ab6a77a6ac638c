package apply

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/release"
)

// This file renders objects for diffs: normalised, as YAML, with Secrets masked.

// MaskDrift hides the values of a Secret's drifted data fields.
func MaskDrift(obj release.ObjectRef, fields []FieldDrift) {
	if obj.Group != "" || obj.Kind != "Secret" {
		return
	}
	for i, f := range fields {
		if strings.HasPrefix(f.Path, ".data") || strings.HasPrefix(f.Path, ".stringData") ||
			strings.HasPrefix(f.Path, ".metadata.annotations."+maskedAnnotation) {
			if f.Applied != nil {
				fields[i].Applied = "(hidden)"
			}
			if f.Live != nil {
				fields[i].Live = "(hidden)"
			}
		}
	}
}

// secretData returns a Secret with its stringData merged into data, base64-encoded, as
// the API server stores it (so that it compares with the live Secret); other objects
// as they are.
func secretData(u *unstructured.Unstructured) *unstructured.Unstructured {
	if u == nil || u.GetAPIVersion() != "v1" || u.GetKind() != "Secret" {
		return u
	}
	sd, ok := u.Object["stringData"].(map[string]any)
	if !ok {
		return u
	}
	c := u.DeepCopy()
	delete(c.Object, "stringData")
	data, _ := c.Object["data"].(map[string]any)
	if data == nil {
		data = map[string]any{}
	}
	for k, v := range sd {
		if s, ok := v.(string); ok {
			data[k] = base64.StdEncoding.EncodeToString([]byte(s))
		}
	}
	c.Object["data"] = data
	return c
}

// diffYAML is the unified diff of two objects as YAML, without the fields the server
// maintains, Secrets masked unless opts.ShowSecrets. A nil object is empty.
func diffYAML(fromName, toName string, a, b *unstructured.Unstructured, opts DiffOptions) string {
	na, nb := Normalize(a), Normalize(b)
	if !opts.ShowSecrets {
		na, nb = MaskSecrets(na, nb)
	}
	return UnifiedDiff(fromName, toName, toYAML(na), toYAML(nb), opts.Context)
}

func toYAML(m map[string]any) string {
	if m == nil {
		return ""
	}
	b, err := yaml.Marshal(m)
	if err != nil {
		return fmt.Sprintf("# cannot show the object: %v\n", err)
	}
	return string(b)
}

// Normalize returns a deep copy of the object without what the server maintains
// (status, managedFields, resourceVersion, generation, uid, timestamps, selfLink);
// nil for nil.
func Normalize(u *unstructured.Unstructured) map[string]any {
	if u == nil {
		return nil
	}
	c := u.DeepCopy().Object
	delete(c, "status")
	if md, ok := c["metadata"].(map[string]any); ok {
		for _, k := range []string{"managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"} {
			delete(md, k)
		}
		if a, ok := md["annotations"].(map[string]any); ok && len(a) == 0 {
			delete(md, "annotations")
		}
	}
	return c
}

// maskedAnnotation is kubectl's copy of the last applied object, which holds a Secret's data.
const maskedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// MaskSecrets replaces the values of two versions of a Secret (normalised objects,
// either nil) by markers that say only whether each value changed: "(hidden)" where it
// is the same or only on one side, "(hidden, before)" and "(hidden, changed)" where it
// differs. Keys stay visible. Objects that are not Secrets are returned as they are.
func MaskSecrets(a, b map[string]any) (map[string]any, map[string]any) {
	if !isSecret(a) && !isSecret(b) {
		return a, b
	}
	for _, field := range []string{"data", "stringData"} {
		da, _ := a[field].(map[string]any)
		db, _ := b[field].(map[string]any)
		for k, va := range da {
			if vb, ok := db[k]; ok && !reflect.DeepEqual(va, vb) {
				da[k], db[k] = "(hidden, before)", "(hidden, changed)"
				continue
			}
			da[k] = "(hidden)"
			if _, ok := db[k]; ok {
				db[k] = "(hidden)"
			}
		}
		for k := range db {
			if _, ok := da[k]; !ok {
				db[k] = "(hidden)"
			}
		}
	}
	for _, m := range []map[string]any{a, b} {
		if md, ok := m["metadata"].(map[string]any); ok {
			if an, ok := md["annotations"].(map[string]any); ok {
				if _, ok := an[maskedAnnotation]; ok {
					an[maskedAnnotation] = "(hidden)"
				}
			}
		}
	}
	return a, b
}

func isSecret(m map[string]any) bool {
	return m != nil && m["kind"] == "Secret" && (m["apiVersion"] == "v1")
}
