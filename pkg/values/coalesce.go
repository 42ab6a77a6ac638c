package values

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// errNoChart is returned for a nil chart (a caller's bug).
var errNoChart = errors.New("no chart")

// GlobalKey is the values key whose contents every subchart sees as well.
const GlobalKey = "global"

// Coalesce returns the .Values the templates of c see: userValues over c's defaults,
// and under each subchart's name that subchart's values, coalesced the same way with
// the parent's section for it winning over the subchart's defaults, recursively.
// Maps are merged and everything else replaced. "global" flows down to every
// subchart, the parent's globals winning over the subchart's. A null in userValues
// (or in a parent's values for a subchart) deletes the default it overrides. As in
// Helm v4, keys whose chart default is null are dropped, while a null that overrides
// nothing stays null. Neither userValues nor the charts' Values are modified.
//
// c is normally the root chart after ProcessDependencies.
func Coalesce(c *chart.Chart, userValues map[string]any, opts ...Option) (map[string]any, error) {
	if c == nil {
		return nil, errNoChart
	}
	return newSettings(opts).coalesceChart(c, userValues, false)
}

// coalesceChart is Helm's CoalesceValues (merge false) and MergeValues (merge true,
// which keeps every null: ProcessDependencies coalesces that way).
func (s *settings) coalesceChart(c *chart.Chart, vals map[string]any, merge bool) (map[string]any, error) {
	dest := deepCopyMap(vals)
	return s.coalesce(c, dest, "", merge)
}

func (s *settings) coalesce(c *chart.Chart, dest map[string]any, prefix string, merge bool) (map[string]any, error) {
	s.coalesceValues(c, dest, prefix, merge)
	return s.coalesceDeps(c, dest, prefix, merge)
}

// coalesceDeps coalesces each subchart's section of dest with the subchart.
func (s *settings) coalesceDeps(c *chart.Chart, dest map[string]any, prefix string, merge bool) (map[string]any, error) {
	subPrefix := joinKey(prefix, c.Name())
	for _, sub := range c.Dependencies() {
		name := sub.Name()
		section, ok := dest[name]
		if !ok {
			section = map[string]any{}
			dest[name] = section
		}
		sm, ok := section.(map[string]any)
		if !ok {
			return dest, fmt.Errorf("type mismatch on %s: the values of a subchart must be a map, not %s", joinKey(subPrefix, name), describe(section))
		}
		s.coalesceGlobals(sm, dest, subPrefix)
		out, err := s.coalesce(sub, sm, subPrefix, merge)
		dest[name] = out
		if err != nil {
			return dest, err
		}
	}
	return dest, nil
}

// coalesceGlobals merges the globals of src (a parent's values) into those of dest
// (its section for a subchart), src winning. As in Helm, the maps of src's globals
// are copied one level deep only.
func (s *settings) coalesceGlobals(dest, src map[string]any, prefix string) {
	var dg, sg map[string]any
	if g, ok := dest[GlobalKey]; !ok {
		dg = map[string]any{}
	} else if dg, ok = g.(map[string]any); !ok {
		s.warn("warning: skipping globals because destination %s is not a table.", GlobalKey)
		return
	}
	if g, ok := src[GlobalKey]; !ok {
		sg = map[string]any{}
	} else if sg, ok = g.(map[string]any); !ok {
		s.warn("warning: skipping globals because source %s is not a table.", GlobalKey)
		return
	}
	// Keys in order, here and below, so that warnings come out the same every time.
	for _, key := range slices.Sorted(maps.Keys(sg)) {
		val := sg[key]
		if vm, ok := val.(map[string]any); ok {
			vv := make(map[string]any, len(vm))
			for k, x := range vm {
				vv[k] = x
			}
			dv, ok := dg[key]
			if !ok {
				dg[key] = vv
				continue
			}
			dm, ok := dv.(map[string]any)
			if !ok {
				s.warn("Conflict: cannot merge map onto non-map for %q. Skipping.", key)
				continue
			}
			// The parent's global table wins over the subchart's. Nulls are kept
			// here; coalescing the subchart removes them afterwards.
			s.coalesceTables(vv, dm, joinKey(prefix, key), true)
			dg[key] = vv
		} else if dv, ok := dg[key]; ok && isTable(dv) {
			s.warn("key %s is table. Skipping", key)
		} else {
			dg[key] = val
		}
	}
	dest[GlobalKey] = dg
}

// coalesceValues merges the defaults of c into v (v winning).
func (s *settings) coalesceValues(c *chart.Chart, v map[string]any, prefix string, merge bool) {
	subPrefix := joinKey(prefix, c.Name())
	// Work on a copy: the chart's own values are never modified.
	defaults := deepCopyMap(c.Values)
	for _, key := range slices.Sorted(maps.Keys(defaults)) {
		def := defaults[key]
		value, ok := v[key]
		if !ok {
			if !merge {
				// Helm v4: a null default is dropped, and so are the nulls
				// nested in a default table.
				if def == nil {
					continue
				}
				if dm, ok := def.(map[string]any); ok {
					cleanNils(dm)
				}
			}
			v[key] = def
			continue
		}
		if value == nil && !merge {
			// A null given for a key with a default deletes the key.
			delete(v, key)
			continue
		}
		vm, ok := value.(map[string]any)
		if !ok {
			continue // the given scalar or list wins
		}
		dm, ok := def.(map[string]any)
		if !ok {
			if def != nil {
				s.warn("warning: skipped value for %s.%s: Not a table.", subPrefix, key)
			}
			continue
		}
		// A subchart's section keeps its nulls until the subchart is coalesced.
		m := merge || isDependencyName(c, key)
		if !m {
			cleanNils(dm)
		}
		s.coalesceTables(vm, dm, joinKey(subPrefix, key), m)
	}
}

// coalesceTables merges src into dst, dst winning, and returns dst. When not
// merging, a null in dst over a non-null in src deletes the key, while a null over
// nothing (or over a null) stays. src is modified (it is always a scratch copy).
func (s *settings) coalesceTables(dst, src map[string]any, prefix string, merge bool) map[string]any {
	if src == nil {
		return dst
	}
	if dst == nil {
		return src
	}
	srcNonNil := make(map[string]bool, len(src))
	for k, v := range src {
		if v != nil {
			srcNonNil[k] = true
		}
	}
	for k, v := range dst {
		if v == nil {
			src[k] = nil
		}
	}
	for _, key := range slices.Sorted(maps.Keys(src)) {
		val := src[key]
		full := joinKey(prefix, key)
		dv, ok := dst[key]
		switch {
		case ok && !merge && dv == nil && srcNonNil[key]:
			delete(dst, key)
		case !ok:
			dst[key] = val
		case isTable(val):
			if dm, ok := dv.(map[string]any); ok {
				s.coalesceTables(dm, val.(map[string]any), full, merge)
			} else {
				s.warn("warning: cannot overwrite table with non table for %s (%v)", full, val)
			}
		case isTable(dv) && val != nil:
			s.warn("warning: destination for %s is a table. Ignoring non-table value (%v)", full, val)
		}
	}
	return dst
}

// cleanNils deletes the null entries of m and of the maps nested in it (not of
// lists).
func cleanNils(m map[string]any) {
	for k, v := range m {
		if v == nil {
			delete(m, k)
		} else if sub, ok := v.(map[string]any); ok {
			cleanNils(sub)
		}
	}
}

func isDependencyName(c *chart.Chart, key string) bool {
	for _, d := range c.Dependencies() {
		if d.Name() == key {
			return true
		}
	}
	return false
}

func isTable(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

func joinKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// deepCopyMap copies the maps and lists of m (a nil m gives an empty map); other
// values are immutable or shared.
func deepCopyMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return deepCopy(m).(map[string]any)
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if t == nil {
			return t
		}
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		if t == nil {
			return t
		}
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = deepCopy(x)
		}
		return out
	default:
		return v
	}
}
