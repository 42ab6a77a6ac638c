package apply

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

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
}

// ObjectDiff is what an operation does to one object, from its three states: last
// applied (the release record), live (the cluster) and desired (the chart, and the
// server's dry-run result of applying it).
type ObjectDiff struct {
	Object ObjMeta `json:"object"`
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
	// Path is like ".spec.template.spec.containers[name=web].image"; list elements are
	// named by their name field when they have one, else by index.
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
func Diff(obj ObjMeta, action Action, last, desired, live, result *unstructured.Unstructured, opts DiffOptions) ObjectDiff {
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
		leaves := driftedLeaves(last, live) // last has its stringData as data already
		d.DriftedFields = fieldDrifts(leaves, live, opts.manager())
		if !opts.ShowSecrets {
			MaskDrift(obj, d.DriftedFields)
		}
		if result != nil {
			d.Drift = overwrittenDrift(name, last, leaves, result, opts)
		}
	}
	changed := action == ActionConfigured || action == ActionReplaced
	if changed && live != nil && result != nil && (last == nil || (d.Chart == "" && d.Drift == "")) {
		d.Cluster = diffYAML(name+" (live)", name+" (after "+desiredName+")", live, result, opts)
	}
	return d
}

// Drift lists the fields of applied (what hoist applied) whose value in live differs,
// each with the managers that own it in live, sorted by path.
func Drift(applied, live *unstructured.Unstructured, fieldManager string) []FieldDrift {
	if fieldManager == "" {
		fieldManager = DefaultFieldManager
	}
	return fieldDrifts(driftedLeaves(secretData(applied), live), live, fieldManager)
}

// leafDrift is a leaf of an applied object whose live value differs.
type leafDrift struct {
	path          string
	applied, live any
	present       bool // the field exists in the live object (live may be null)
}

// driftedLeaves lists the leaves of applied whose value in live differs, in walk order.
func driftedLeaves(applied, live *unstructured.Unstructured) []leafDrift {
	var out []leafDrift
	walkLeaves(applied.Object, live.Object, "", func(path string, a, l any, present bool) {
		if !present || !sameValue(a, l) {
			out = append(out, leafDrift{path, a, l, present})
		}
	})
	return out
}

// fieldDrifts reports drifted leaves with the managers that own them in live, sorted by path.
func fieldDrifts(leaves []leafDrift, live *unstructured.Unstructured, fieldManager string) []FieldDrift {
	if len(leaves) == 0 {
		return nil
	}
	owners := fieldOwners(live, fieldManager)
	out := make([]FieldDrift, 0, len(leaves))
	for _, l := range leaves {
		fd := FieldDrift{Path: l.path, Applied: l.applied}
		if l.present {
			fd.Live = l.live
			fd.Managers = owners.of(l.path)
		}
		out = append(out, fd)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// MaskDrift hides the values of a Secret's drifted data fields.
func MaskDrift(obj ObjMeta, fields []FieldDrift) {
	if obj.Group != "" || obj.Kind != "Secret" {
		return
	}
	for i, f := range fields {
		if strings.HasPrefix(f.Path, ".data") || strings.HasPrefix(f.Path, ".stringData") ||
			strings.HasPrefix(f.Path, ".metadata.annotations"+fieldSeg(maskedAnnotation)) {
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

// ignoredField: what the server maintains, never drift.
func ignoredField(path string) bool {
	switch path {
	case ".status", ".metadata.managedFields", ".metadata.resourceVersion", ".metadata.generation",
		".metadata.uid", ".metadata.creationTimestamp", ".metadata.selfLink", ".metadata.deletionTimestamp",
		".metadata.deletionGracePeriodSeconds":
		return true
	}
	return strings.HasPrefix(path, ".status.")
}

// walkLeaves calls fn for every leaf of a (scalars, empty maps and lists of scalars,
// which compare whole) with the value at the same place in l. List elements are matched
// by name when every element of a has a distinct name, else by index.
func walkLeaves(a, l any, path string, fn func(path string, a, l any, present bool)) {
	if ignoredField(path) {
		return
	}
	switch av := a.(type) {
	case map[string]any:
		lm, ok := l.(map[string]any)
		if len(av) == 0 || !ok {
			fn(path, a, l, l != nil || ok)
			return
		}
		for _, k := range slices.Sorted(maps.Keys(av)) {
			lv, present := lm[k]
			if !present {
				walkMissing(av[k], path+fieldSeg(k), fn)
				continue
			}
			walkLeaves(av[k], lv, path+fieldSeg(k), fn)
		}
	case []any:
		ll, ok := l.([]any)
		if !ok || !mapList(av) {
			fn(path, a, l, l != nil)
			return
		}
		for i, e := range av {
			j := matchElement(av, i, ll)
			if j < 0 {
				walkMissing(e, path+elemSeg(av, i), fn)
				continue
			}
			walkLeaves(e, ll[j], path+elemSeg(ll, j), fn)
		}
	default:
		fn(path, a, l, true)
	}
}

// walkMissing reports the leaves of a subtree missing from the live object.
func walkMissing(a any, path string, fn func(path string, a, l any, present bool)) {
	if ignoredField(path) {
		return
	}
	fn(path, a, nil, false)
}

func mapList(l []any) bool {
	if len(l) == 0 {
		return false
	}
	for _, e := range l {
		if _, ok := e.(map[string]any); !ok {
			return false
		}
	}
	return true
}

// named reports whether every element of a list of maps has a distinct string name.
func named(l []any) bool {
	seen := map[string]bool{}
	for _, e := range l {
		m, ok := e.(map[string]any)
		if !ok {
			return false
		}
		n, ok := m["name"].(string)
		if !ok || seen[n] {
			return false
		}
		seen[n] = true
	}
	return len(l) > 0
}

// matchElement finds the element of l matching a[i]: by name, or by index.
func matchElement(a []any, i int, l []any) int {
	if named(a) {
		want := a[i].(map[string]any)["name"]
		for j, e := range l {
			if m, ok := e.(map[string]any); ok && m["name"] == want {
				return j
			}
		}
		return -1
	}
	if i < len(l) {
		return i
	}
	return -1
}

func fieldSeg(k string) string {
	if k != "" && strings.IndexFunc(k, func(r rune) bool {
		return r != '-' && r != '_' && (r < '0' || r > '9') && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z')
	}) < 0 {
		return "." + k
	}
	return "[" + strconv.Quote(k) + "]"
}

// elemSeg names element i of a list: [name=x] when the list's elements have distinct
// names, [i] otherwise.
func elemSeg(l []any, i int) string {
	if named(l) {
		return "[name=" + l[i].(map[string]any)["name"].(string) + "]"
	}
	return "[" + strconv.Itoa(i) + "]"
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

// owners maps field paths (in walkLeaves' notation) to the managers owning them.
type owners map[string][]string

// of returns the managers of a path, or of its nearest owned ancestor.
func (o owners) of(path string) []string {
	for p := path; p != ""; p = parentPath(p) {
		if m := o[p]; len(m) > 0 {
			return m
		}
	}
	return nil
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	for i > 0 && p[i] == '.' && strings.Count(p[:i], "[") > strings.Count(p[:i], "]") {
		// A dot inside a bracket ("[name=a.b]"): keep looking.
		i = strings.LastIndexAny(p[:i], ".[")
	}
	if i <= 0 {
		return ""
	}
	return p[:i]
}

// fieldOwners reads the managedFields of u into the paths each manager owns, leaving
// out self's Apply entry.
func fieldOwners(u *unstructured.Unstructured, self string) owners {
	out := owners{}
	for _, e := range u.GetManagedFields() {
		if e.FieldsV1 == nil || (e.Manager == self && string(e.Operation) == "Apply" && e.Subresource == "") {
			continue
		}
		label := e.Manager + " (" + string(e.Operation)
		if e.Subresource != "" {
			label += ", " + e.Subresource
		}
		if e.Time != nil {
			label += ", " + e.Time.UTC().Format(time.RFC3339)
		}
		label += ")"
		var set map[string]any
		if err := json.Unmarshal(e.FieldsV1.Raw, &set); err != nil {
			continue
		}
		paths := map[string]bool{}
		ownedPaths(set, u.Object, "", paths)
		for p := range paths {
			out[p] = append(out[p], label)
		}
	}
	for p := range out {
		sort.Strings(out[p])
	}
	return out
}

// ownedPaths walks a FieldsV1 set along the object, adding the paths of its leaves.
func ownedPaths(set map[string]any, obj any, path string, out map[string]bool) {
	for k, v := range set {
		sub, _ := v.(map[string]any)
		switch {
		case k == ".":
			out[path] = true
		case strings.HasPrefix(k, "f:"):
			name := k[2:]
			p := path + fieldSeg(name)
			var child any
			if m, ok := obj.(map[string]any); ok {
				child = m[name]
			}
			if len(sub) == 0 {
				out[p] = true
				continue
			}
			ownedPaths(sub, child, p, out)
		case strings.HasPrefix(k, "k:"):
			l, _ := obj.([]any)
			var keys map[string]any
			if json.Unmarshal([]byte(k[2:]), &keys) != nil {
				continue
			}
			j := -1
			for i, e := range l {
				if m, ok := e.(map[string]any); ok && keysMatch(m, keys) {
					j = i
					break
				}
			}
			if j < 0 {
				continue
			}
			p := path + elemSeg(l, j)
			out[p] = true
			ownedPaths(sub, l[j], p, out)
		case strings.HasPrefix(k, "i:"):
			l, _ := obj.([]any)
			j, err := strconv.Atoi(k[2:])
			if err != nil || j < 0 || j >= len(l) {
				continue
			}
			p := path + elemSeg(l, j)
			out[p] = true
			ownedPaths(sub, l[j], p, out)
		case strings.HasPrefix(k, "v:"):
			// An element of a set of scalars: the list compares whole.
			out[path] = true
		}
	}
}

func keysMatch(m, keys map[string]any) bool {
	for k, v := range keys {
		if !sameValue(m[k], v) {
			return false
		}
	}
	return true
}

// overwrittenDrift is the unified diff, over the fields of last, of the drifted fields
// the operation changes: the live value before, the result after. The other fields of
// last are the context.
func overwrittenDrift(name string, last *unstructured.Unstructured, leaves []leafDrift, result *unstructured.Unstructured, opts DiffOptions) string {
	type change struct {
		before, after   any
		hasBef, hasAftr bool
	}
	if len(leaves) == 0 {
		return ""
	}
	changes := make(map[string]change, len(leaves))
	for _, l := range leaves {
		changes[l.path] = change{before: l.live, hasBef: l.present}
	}
	walkLeaves(last.Object, result.Object, "", func(path string, a, r any, present bool) {
		c, ok := changes[path]
		if !ok {
			return
		}
		if c.hasBef == present && (!present || sameValue(c.before, r)) {
			delete(changes, path) // the operation leaves the drift as it is
			return
		}
		c.after, c.hasAftr = r, present
		changes[path] = c
	})
	if len(changes) == 0 {
		return ""
	}
	before := rebuild(last.Object, "", func(path string, v any) (any, bool) {
		if c, ok := changes[path]; ok {
			return c.before, c.hasBef
		}
		return v, true
	})
	after := rebuild(last.Object, "", func(path string, v any) (any, bool) {
		if c, ok := changes[path]; ok {
			return c.after, c.hasAftr
		}
		return v, true
	})
	b, a := &unstructured.Unstructured{Object: before.(map[string]any)}, &unstructured.Unstructured{Object: after.(map[string]any)}
	return diffYAML(name+" (live)", name+" (after "+opts.DesiredName+")", b, a, opts)
}

// rebuild copies v, replacing each leaf (in walkLeaves' sense, with list elements
// named as in v) by what leaf returns, or dropping it.
func rebuild(v any, path string, leaf func(path string, v any) (any, bool)) any {
	if ignoredField(path) {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			r, _ := leaf(path, v)
			return r
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			if r, ok := rebuildChild(e, path+fieldSeg(k), leaf); ok {
				out[k] = r
			}
		}
		return out
	case []any:
		if !mapList(x) {
			r, _ := leaf(path, v)
			return r
		}
		out := make([]any, 0, len(x))
		for i, e := range x {
			if r, ok := rebuildChild(e, path+elemSeg(x, i), leaf); ok {
				out = append(out, r)
			}
		}
		return out
	}
	r, _ := leaf(path, v)
	return r
}

func rebuildChild(e any, path string, leaf func(path string, v any) (any, bool)) (any, bool) {
	switch x := e.(type) {
	case map[string]any:
		if len(x) > 0 && !ignoredField(path) {
			return rebuild(e, path, leaf), true
		}
	case []any:
		if mapList(x) && !ignoredField(path) {
			return rebuild(e, path, leaf), true
		}
	}
	if ignoredField(path) {
		return e, true
	}
	return leaf(path, e)
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
