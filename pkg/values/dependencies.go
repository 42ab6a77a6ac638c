package values

import (
	"errors"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// ProcessDependencies prepares c and its subcharts for rendering with userValues, as
// Helm v4's install and upgrade do before coalescing (chartutil.ProcessDependencies):
//
//   - Each Chart.yaml dependency takes the first subchart of its name whose version
//     satisfies its version range; an aliased one is a copy renamed to the alias (so
//     one subchart can be used twice). Subcharts that no dependency names (or whose
//     version no dependency accepts) stay as they are; dependencies with no matching
//     subchart are left out.
//   - A dependency is disabled by its tags (all of its tags that are set are false;
//     a single true tag enables it) and, overriding tags, by its condition: the first
//     of its comma-separated paths that holds a boolean decides. Both are read from
//     the values coalesced with userValues; the paths of a subchart's own
//     dependencies are prefixed with the subchart's path ("sub.child.enabled").
//     Disabled subcharts are removed, along with their Chart.yaml entries.
//   - import-values copy a table of an enabled subchart into the parent's values,
//     deepest charts first: "name" imports the child's exports.name at the parent's
//     top level, {child: a.b, parent: c.d} the child's a.b at the parent's c.d. The
//     parent's own values win over imported ones; user values win over both.
//
// c is modified in place: its subcharts are replaced, its Chart.yaml dependencies
// pruned and renamed to their aliases, and the Values of every chart that lists
// dependencies replaced by its values merged with its subcharts' (nulls kept).
// Process a freshly loaded chart, once. userValues is not modified. A chart that
// would become more than MaxChartInstances charts is refused before any copy is
// made (ErrTooManyChartInstances).
func ProcessDependencies(c *chart.Chart, userValues map[string]any, opts ...Option) error {
	if c == nil {
		return errNoChart
	}
	s := newSettings(opts)
	if _, err := countCharts(c, map[*chart.Chart]int{}, true); err != nil {
		return err
	}
	if err := s.processEnabled(c, userValues, ""); err != nil {
		return err
	}
	return s.processImports(c)
}

// processEnabled resolves aliases and removes disabled subcharts of c, then of its
// remaining subcharts. vals are the values c is coalesced with: the user's for the
// root, the parent's coalesced values for a subchart (whose section is at path).
func (s *settings) processEnabled(c *chart.Chart, vals map[string]any, path string) error {
	if c.Metadata == nil || c.Metadata.Dependencies == nil {
		// Helm stops here: subcharts of a chart that lists no dependencies (not even
		// an empty list) are all kept, and their own dependencies are not processed.
		return nil
	}
	reqs := c.Metadata.Dependencies

	var deps []*chart.Chart
	// Subcharts that no dependency claims come first, in load order.
	for _, sub := range c.Dependencies() {
		if !claimed(sub, reqs) {
			deps = append(deps, sub)
		}
	}
	for _, req := range reqs {
		if req == nil {
			continue
		}
		if sub := aliasDependency(c.Dependencies(), req); sub != nil {
			deps = append(deps, sub)
		}
		if req.Alias != "" {
			req.Name = req.Alias
		}
	}
	c.SetDependencies(deps...)

	for _, req := range reqs {
		if req != nil {
			req.Enabled = true
		}
	}
	cvals, err := s.coalesceChart(c, vals, false)
	if err != nil {
		return fmt.Errorf("chart %s: %w", c.ChartPath(), err)
	}
	s.applyTags(reqs, cvals)
	s.applyConditions(reqs, cvals, path)

	disabled := map[string]bool{}
	for _, req := range reqs {
		if req != nil && !req.Enabled {
			disabled[req.Name] = true
		}
	}
	var kept []*chart.Chart
	for _, sub := range deps {
		if !disabled[sub.Name()] {
			kept = append(kept, sub)
		}
	}
	// As in Helm, no dependency left means a nil list, so that import-values
	// processing then leaves the chart's values alone.
	var keptReqs []*chart.Dependency
	for _, req := range reqs {
		if req != nil && !disabled[req.Name] {
			keptReqs = append(keptReqs, req)
		}
	}

	for _, sub := range kept {
		if err := s.processEnabled(sub, cvals, path+sub.Name()+"."); err != nil {
			return err
		}
	}
	c.Metadata.Dependencies = keptReqs
	c.SetDependencies(kept...)
	return nil
}

// MaxChartInstances is how many charts (the root, its subcharts and every copy an
// alias makes, at every level) one chart may become after dependency aliases are
// resolved: aliases multiply level by level, so a few kilobytes of Chart.yaml
// files could otherwise ask for millions of copies.
const MaxChartInstances = 1000

// ErrTooManyChartInstances is returned when resolving a chart's dependency aliases
// would make more than MaxChartInstances charts.
var ErrTooManyChartInstances = errors.New("too many chart instances after dependency aliases")

// countCharts returns how many charts c becomes once processEnabled has copied a
// subchart for each dependency that takes it, before any is disabled, without
// copying anything; with resolve unset, or below a chart that lists no
// dependencies (whose subcharts processEnabled leaves as they are), it counts the
// loaded tree. A subchart's copies all count what the subchart counts, so counts
// are kept per loaded chart (memo) and the work is linear in the loaded charts
// times their dependency entries. It stops at the first chart, deepest first,
// whose count passes MaxChartInstances, and names it.
func countCharts(c *chart.Chart, memo map[*chart.Chart]int, resolve bool) (int, error) {
	if c == nil {
		return 0, nil
	}
	if n, ok := memo[c]; ok && resolve {
		return n, nil
	}
	n := 1
	add := func(sub *chart.Chart) error {
		k, err := countCharts(sub, memo, resolve)
		if err != nil {
			return err
		}
		// Both terms are at most MaxChartInstances, so the sum cannot overflow.
		if n += k; n > MaxChartInstances {
			return fmt.Errorf("chart %s: %w: more than %d (the limit)", c.ChartPath(), ErrTooManyChartInstances, MaxChartInstances)
		}
		return nil
	}
	if !resolve || c.Metadata == nil || c.Metadata.Dependencies == nil {
		resolve = false
		for _, sub := range c.Dependencies() {
			if err := add(sub); err != nil {
				return 0, err
			}
		}
	} else {
		reqs := c.Metadata.Dependencies
		for _, sub := range c.Dependencies() {
			if sub != nil && !claimed(sub, reqs) {
				if err := add(sub); err != nil {
					return 0, err
				}
			}
		}
		for _, req := range reqs {
			if req == nil {
				continue
			}
			if sub := firstTaken(c.Dependencies(), req); sub != nil {
				if err := add(sub); err != nil {
					return 0, err
				}
			}
		}
	}
	if resolve {
		memo[c] = n
	}
	return n, nil
}

// claimed reports whether a dependency of reqs takes sub (same name, version in
// range).
func claimed(sub *chart.Chart, reqs []*chart.Dependency) bool {
	if sub.Metadata == nil {
		return false
	}
	for _, req := range reqs {
		if req != nil && sub.Name() == req.Name && versionInRange(req.Version, sub.Metadata.Version) {
			return true
		}
	}
	return false
}

// aliasDependency returns a copy of the first chart req takes, renamed to req's
// alias if it has one, or nil.
func aliasDependency(charts []*chart.Chart, req *chart.Dependency) *chart.Chart {
	c := firstTaken(charts, req)
	if c == nil {
		return nil
	}
	out := copyTree(c)
	if req.Alias != "" {
		out.Metadata.Name = req.Alias
	}
	return out
}

// firstTaken returns the first chart req takes (same name, version in range), or
// nil.
func firstTaken(charts []*chart.Chart, req *chart.Dependency) *chart.Chart {
	for _, c := range charts {
		if c != nil && c.Metadata != nil && c.Name() == req.Name && versionInRange(req.Version, c.Metadata.Version) {
			return c
		}
	}
	return nil
}

// copyTree copies c and its subcharts, down to their Metadata and dependency
// entries, so that processing one alias of a chart cannot change another. Values,
// templates and files are shared: processing replaces Values, never edits them.
// (Helm copies one level deep only, and shares deeper Metadata between aliases.)
func copyTree(c *chart.Chart) *chart.Chart {
	out := *c
	if c.Metadata != nil {
		md := *c.Metadata
		if md.Dependencies != nil {
			md.Dependencies = make([]*chart.Dependency, len(c.Metadata.Dependencies))
			for i, d := range c.Metadata.Dependencies {
				if d != nil {
					dc := *d
					md.Dependencies[i] = &dc
				}
			}
		}
		out.Metadata = &md
	}
	out.SetDependencies()
	for _, d := range c.Dependencies() {
		out.AddDependency(copyTree(d))
	}
	return &out
}

// versionInRange reports whether version satisfies the range constraint; an
// unparsable (or empty) version or range never does.
func versionInRange(constraint, version string) bool {
	v, err := semver.NewVersion(version)
	if err != nil {
		return false
	}
	cons, err := semver.NewConstraint(constraint)
	if err != nil {
		return false
	}
	return cons.Check(v)
}

// applyTags enables or disables each dependency by the top-level "tags" table: a
// dependency with a true tag is enabled, one whose set tags are all false disabled.
func (s *settings) applyTags(reqs []*chart.Dependency, vals map[string]any) {
	tags, err := table(vals, "tags")
	if err != nil {
		return
	}
	for _, req := range reqs {
		if req == nil {
			continue
		}
		var hasTrue, hasFalse bool
		for _, tag := range req.Tags {
			v, ok := tags[tag]
			if !ok {
				continue
			}
			b, ok := v.(bool)
			if !ok {
				s.warn("warning: tag %q of dependency %q is not a boolean (%v); ignored", tag, req.Name, v)
				continue
			}
			if b {
				hasTrue = true
			} else {
				hasFalse = true
			}
		}
		req.Enabled = hasTrue || !hasFalse
	}
}

// applyConditions sets each dependency with a condition whose first resolvable path
// (prefixed with path) holds a boolean to that boolean.
func (s *settings) applyConditions(reqs []*chart.Dependency, vals map[string]any, path string) {
	for _, req := range reqs {
		if req == nil {
			continue
		}
		// As in Helm, the paths are not trimmed one by one: "a.enabled, b.enabled"
		// has a second path starting with a blank.
		for _, cond := range strings.Split(strings.TrimSpace(req.Condition), ",") {
			if cond == "" {
				continue
			}
			v, ok := pathValue(vals, path+cond)
			if !ok {
				continue
			}
			if b, isBool := v.(bool); isBool {
				req.Enabled = b
				break
			}
			s.warn("warning: condition %q of dependency %q is not a boolean (%v); ignored", path+cond, req.Name, v)
		}
	}
}

// processImports applies import-values, deepest charts first.
func (s *settings) processImports(c *chart.Chart) error {
	for _, sub := range c.Dependencies() {
		if err := s.processImports(sub); err != nil {
			return err
		}
	}
	return s.importValues(c)
}

// importValues replaces c.Values by c's values merged with its subcharts' (nulls
// kept), with the tables its dependencies' import-values name merged under them.
func (s *settings) importValues(c *chart.Chart) error {
	if c.Metadata == nil || c.Metadata.Dependencies == nil {
		return nil
	}
	cvals, err := s.coalesceChart(c, nil, true)
	if err != nil {
		return fmt.Errorf("chart %s: %w", c.ChartPath(), err)
	}
	// Helm collects the imported tables without copying them; a later import into
	// the same place merges into the table of an earlier one. Kept as is.
	imported := map[string]any{}
	for _, req := range c.Metadata.Dependencies {
		if req == nil {
			continue
		}
		var resolved []any
		for _, iv := range req.ImportValues {
			var child, parent string
			switch iv := iv.(type) {
			case map[string]any:
				child, parent = fmt.Sprintf("%v", iv["child"]), fmt.Sprintf("%v", iv["parent"])
			case map[string]string: // the form processing leaves behind
				child, parent = iv["child"], iv["parent"]
			case string:
				child, parent = "exports."+iv, "."
			default:
				continue // Helm ignores (and drops) any other form
			}
			resolved = append(resolved, map[string]string{"child": child, "parent": parent})
			t, err := table(cvals, req.Name+"."+child)
			if err != nil {
				s.warn("warning: import-values of chart %s: dependency %q has no table %q; skipped", c.ChartPath(), req.Name, child)
				continue
			}
			if len(t) == 0 {
				t = map[string]any{} // an empty table is not shared (Helm's Values.AsMap)
			}
			if parent == "." {
				s.coalesceTables(imported, t, "", true)
			} else {
				s.coalesceTables(imported, nestUnder(parent, t), "", true)
			}
		}
		req.ImportValues = resolved
	}
	// The parent's values win over what it imports.
	c.Values = s.coalesceTables(deepCopyMap(cvals), imported, "", true)
	return nil
}

// nestUnder returns {a: {b: v}} for the path "a.b".
func nestUnder(path string, v map[string]any) map[string]any {
	parts := strings.Split(path, ".")
	out := v
	for i := len(parts) - 1; i >= 0; i-- {
		out = map[string]any{parts[i]: out}
	}
	return out
}

// table returns the map at the dotted path, or an error if some step is missing or
// not a map.
func table(vals map[string]any, path string) (map[string]any, error) {
	t := vals
	for _, k := range strings.Split(path, ".") {
		next, ok := t[k].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q is not a table", k)
		}
		t = next
	}
	return t, nil
}

// pathValue returns the value at the dotted path if it is there and is not a map.
func pathValue(vals map[string]any, path string) (any, bool) {
	i := strings.LastIndexByte(path, '.')
	t := vals
	if i >= 0 {
		var err error
		if t, err = table(vals, path[:i]); err != nil {
			return nil, false
		}
	}
	v, ok := t[path[i+1:]]
	if !ok || isTable(v) {
		return nil, false
	}
	return v, true
}
