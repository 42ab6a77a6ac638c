package values

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/chart"
)

func dep(name, version string, mods ...func(*chart.Dependency)) *chart.Dependency {
	d := &chart.Dependency{Name: name, Version: version, Repository: "file://charts/" + name}
	for _, m := range mods {
		m(d)
	}
	return d
}

func alias(a string) func(*chart.Dependency) { return func(d *chart.Dependency) { d.Alias = a } }
func cond(c string) func(*chart.Dependency)  { return func(d *chart.Dependency) { d.Condition = c } }
func tags(t ...string) func(*chart.Dependency) {
	return func(d *chart.Dependency) { d.Tags = t }
}
func imports(iv ...any) func(*chart.Dependency) {
	return func(d *chart.Dependency) { d.ImportValues = iv }
}

// process runs ProcessDependencies then Coalesce, as rendering does.
func process(t *testing.T, c *chart.Chart, user string, opts ...Option) map[string]any {
	t.Helper()
	uv := y(t, user)
	if err := ProcessDependencies(c, uv, opts...); err != nil {
		t.Fatal(err)
	}
	vals, err := Coalesce(c, uv, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

func TestAliases(t *testing.T) {
	root := mkChart(t, "root", "1.0.0", "first: {port: 1}",
		dep("db", "~1.2.0", alias("first")),
		dep("db", "1.x", alias("second")),
		dep("db", ">=1"))
	db := mkChart(t, "db", "1.2.3", "port: 0\nname: db")
	db.AddDependency(mkChart(t, "common", "2.0.0", ""))
	root.AddDependency(db)

	vals := process(t, root, "second: {port: 2}")
	if got := names(root); got != "root[first[common],second[common],db[common]]" {
		t.Fatalf("tree %s", got)
	}
	for _, sub := range root.Dependencies() {
		if sub.Parent() != root || sub.Dependencies()[0].Parent() != sub {
			t.Errorf("%s: parent pointers not updated", sub.Name())
		}
		if sub == db || sub.Metadata == db.Metadata {
			t.Errorf("%s shares the original chart", sub.Name())
		}
	}
	if got := root.Dependencies()[1].Dependencies()[0].ChartFullPath(); got != "root/charts/second/charts/common" {
		t.Errorf("full path %s", got)
	}
	if db.Name() != "db" || db.Dependencies()[0].Parent() != db {
		t.Error("original subchart modified")
	}
	var reqNames []string
	for _, r := range root.Metadata.Dependencies {
		reqNames = append(reqNames, r.Name)
	}
	if got := strings.Join(reqNames, ","); got != "first,second,db" {
		t.Errorf("dependency names %s", got)
	}
	if vals["first"].(map[string]any)["port"] != float64(1) || vals["second"].(map[string]any)["port"] != float64(2) || vals["db"].(map[string]any)["port"] != float64(0) {
		t.Errorf("values %s", dump(vals))
	}
}

func TestDependencyMatching(t *testing.T) {
	for _, tc := range []struct {
		name string
		deps []*chart.Dependency
		subs []*chart.Chart
		want string
	}{
		{
			name: "subcharts no dependency names are kept, first",
			deps: []*chart.Dependency{dep("b", "1.0.0")},
			subs: []*chart.Chart{{Metadata: &chart.Metadata{Name: "b", Version: "1.0.0"}}, {Metadata: &chart.Metadata{Name: "extra", Version: "1.0.0"}}},
			want: "root[extra,b]",
		},
		{
			name: "a version out of range leaves the subchart as it is",
			deps: []*chart.Dependency{dep("b", "^2.0.0", alias("renamed"))},
			subs: []*chart.Chart{{Metadata: &chart.Metadata{Name: "b", Version: "1.0.0"}}},
			want: "root[b]",
		},
		{
			name: "an empty version matches nothing",
			deps: []*chart.Dependency{dep("b", "", alias("renamed"))},
			subs: []*chart.Chart{{Metadata: &chart.Metadata{Name: "b", Version: "1.0.0"}}},
			want: "root[b]",
		},
		{
			name: "a dependency without a subchart is dropped",
			deps: []*chart.Dependency{dep("missing", "1.0.0"), dep("b", "*")},
			subs: []*chart.Chart{{Metadata: &chart.Metadata{Name: "b", Version: "1.0.0"}}},
			want: "root[b]",
		},
		{
			name: "the first subchart in range is taken",
			deps: []*chart.Dependency{dep("b", ">=1.5.0")},
			subs: []*chart.Chart{{Metadata: &chart.Metadata{Name: "b", Version: "1.0.0"}, Values: map[string]any{"v": "1.0"}}, {Metadata: &chart.Metadata{Name: "b", Version: "2.0.0"}, Values: map[string]any{"v": "2.0"}}},
			want: "root[b,b]", // 1.0.0 unclaimed first, then the 2.0.0 copy
		},
		{
			name: "no dependency list: nothing is processed",
			subs: []*chart.Chart{{Metadata: &chart.Metadata{Name: "b", Version: "1.0.0"}}},
			want: "root[b]",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := mkChart(t, "root", "1.0.0", "", tc.deps...)
			root.AddDependency(tc.subs...)
			process(t, root, "")
			if got := names(root); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestConditionsAndTags(t *testing.T) {
	for _, tc := range []struct {
		name     string
		defaults string
		dep      *chart.Dependency
		user     string
		enabled  bool
		warning  string
	}{
		{name: "no condition", dep: dep("sub", "*"), enabled: true},
		{name: "condition from chart defaults", defaults: "sub: {enabled: false}", dep: dep("sub", "*", cond("sub.enabled")), enabled: false},
		{name: "condition from user values", defaults: "sub: {enabled: false}", dep: dep("sub", "*", cond("sub.enabled")), user: "sub: {enabled: true}", enabled: true},
		{name: "condition from subchart defaults", dep: dep("sub", "*", cond("sub.enabled")), enabled: false}, // sub's own values say enabled: false
		{name: "unresolvable condition keeps it", dep: dep("sub", "*", cond("nowhere.enabled")), enabled: true},
		{name: "first resolvable path wins", defaults: "b: {ok: false}\nc: {ok: true}", dep: dep("sub", "*", cond("a.ok,b.ok,c.ok")), enabled: false},
		{name: "non-boolean path is skipped", defaults: "a: {ok: 'yes'}\nb: {ok: false}", dep: dep("sub", "*", cond("a.ok,b.ok")), enabled: false, warning: `condition "a.ok" of dependency "sub" is not a boolean (yes)`},
		{name: "table path is not a value", defaults: "a: {ok: {x: 1}}\nb: {ok: false}", dep: dep("sub", "*", cond("a.ok,b.ok")), enabled: false},
		{name: "a null user value deletes the default", defaults: "a: {ok: false}", dep: dep("sub", "*", cond("a.ok")), user: "a: {ok: null}", enabled: true},
		{name: "paths are not trimmed", defaults: "b: {ok: false}", dep: dep("sub", "*", cond("a.ok, b.ok")), enabled: true},
		{name: "global path", defaults: "global: {sub: false}", dep: dep("sub", "*", cond("global.sub")), enabled: false},
		{name: "false tag disables", defaults: "tags: {front: false}", dep: dep("sub", "*", tags("front")), enabled: false},
		{name: "a true tag wins over false ones", defaults: "tags: {front: false, back: true}", dep: dep("sub", "*", tags("front", "back")), enabled: true},
		{name: "unset tags keep it", defaults: "tags: {other: false}", dep: dep("sub", "*", tags("front")), enabled: true},
		{name: "user enables a tag", defaults: "tags: {front: false}", dep: dep("sub", "*", tags("front")), user: "tags: {front: true}", enabled: true},
		{name: "non-boolean tag ignored", defaults: "tags: {front: 1}", dep: dep("sub", "*", tags("front")), enabled: true, warning: `tag "front" of dependency "sub" is not a boolean (1)`},
		{name: "tags not a table", defaults: "tags: [front]", dep: dep("sub", "*", tags("front")), enabled: true},
		{name: "condition overrides tag (enable)", defaults: "tags: {front: false}\nx: true", dep: dep("sub", "*", tags("front"), cond("x")), enabled: true},
		{name: "condition overrides tag (disable)", defaults: "tags: {front: true}\nx: false", dep: dep("sub", "*", tags("front"), cond("x")), enabled: false},
		{name: "unresolvable condition leaves the tag's verdict", defaults: "tags: {front: false}", dep: dep("sub", "*", tags("front"), cond("x")), enabled: false},
		{name: "aliased: condition and values under the alias", defaults: "other: {enabled: false}", dep: dep("sub", "*", alias("other"), cond("other.enabled")), enabled: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := mkChart(t, "root", "1.0.0", tc.defaults, tc.dep)
			subVals := ""
			if tc.name == "condition from subchart defaults" {
				subVals = "enabled: false"
			}
			root.AddDependency(mkChart(t, "sub", "1.0.0", subVals))
			var w bytes.Buffer
			process(t, root, tc.user, WithWarnings(&w))
			enabled := len(root.Dependencies()) == 1
			if enabled != tc.enabled {
				t.Errorf("enabled = %v, want %v", enabled, tc.enabled)
			}
			if len(root.Metadata.Dependencies) != len(root.Dependencies()) {
				t.Errorf("%d dependency entries for %d subcharts", len(root.Metadata.Dependencies), len(root.Dependencies()))
			}
			if tc.warning != "" && !strings.Contains(w.String(), tc.warning) {
				t.Errorf("warnings %q lack %q", w.String(), tc.warning)
			}
		})
	}
}

// Conditions of a subchart's own dependencies are read at the subchart's path.
func TestNestedConditions(t *testing.T) {
	build := func() *chart.Chart {
		root := mkChart(t, "root", "1.0.0", "", dep("mid", "*", alias("middle")), dep("other", "*"))
		mid := mkChart(t, "mid", "1.0.0", "leaf: {enabled: true}\ncache: {ok: true}",
			dep("leaf", "*", cond("leaf.enabled")), dep("cache", "*", cond("cache.ok")), dep("tagged", "*", tags("t")))
		mid.AddDependency(mkChart(t, "leaf", "1.0.0", ""), mkChart(t, "cache", "1.0.0", ""), mkChart(t, "tagged", "1.0.0", ""))
		other := mkChart(t, "other", "1.0.0", "") // lists no dependencies: its subcharts stay
		other.AddDependency(mkChart(t, "deep", "1.0.0", ""))
		root.AddDependency(mid, other)
		return root
	}
	for _, tc := range []struct{ user, want string }{
		{"", "root[middle[leaf,cache,tagged],other[deep]]"},
		{"middle: {leaf: {enabled: false}}", "root[middle[cache,tagged],other[deep]]"},
		{"mid: {leaf: {enabled: false}}\nleaf: {enabled: false}", "root[middle[leaf,cache,tagged],other[deep]]"},
		{"middle: {cache: {ok: false}, leaf: {enabled: false}}", "root[middle[tagged],other[deep]]"},
		// tags are read at the top level, whatever the depth
		{"tags: {t: false}", "root[middle[leaf,cache],other[deep]]"},
		{"middle: {tags: {t: false}}", "root[middle[leaf,cache,tagged],other[deep]]"},
	} {
		root := build()
		process(t, root, tc.user)
		if got := names(root); got != tc.want {
			t.Errorf("user %q: got %s, want %s", tc.user, got, tc.want)
		}
	}
}

func TestImportValues(t *testing.T) {
	build := func(rootVals string, ivs ...any) *chart.Chart {
		root := mkChart(t, "root", "1.0.0", rootVals, dep("child", "*", imports(ivs...)))
		child := mkChart(t, "child", "1.0.0", `
exports:
  data: {shared: from-child, both: from-child}
  scalar: 1
settings: {port: 80, host: child}
global: {fromChild: true}
`)
		root.AddDependency(child)
		return root
	}
	for _, tc := range []struct {
		name     string
		rootVals string
		user     string
		ivs      []any
		want     string // the root's values, without the child's section
	}{
		{name: "exports form", ivs: []any{"data"}, want: "shared: from-child\nboth: from-child"},
		{name: "child/parent form", ivs: []any{map[string]any{"child": "settings", "parent": "conf.net"}}, want: "conf: {net: {port: 80, host: child}}"},
		{name: "child/parent form at the top", ivs: []any{map[string]any{"child": "settings", "parent": "."}}, want: "port: 80\nhost: child"},
		{name: "parent values win over imported", rootVals: "both: from-parent\nconf: {net: {port: 8080}}", ivs: []any{"data", map[string]any{"child": "settings", "parent": "conf.net"}}, want: "shared: from-child\nboth: from-parent\nconf: {net: {port: 8080, host: child}}"},
		{name: "user values win over both", rootVals: "both: from-parent", user: "both: from-user\nshared: from-user", ivs: []any{"data"}, want: "shared: from-user\nboth: from-user"},
		{name: "missing table is skipped", ivs: []any{"nothing", map[string]any{"child": "exports.scalar", "parent": "x"}, "data"}, want: "shared: from-child\nboth: from-child"},
		{name: "later imports do not override earlier ones", ivs: []any{map[string]any{"child": "exports.data", "parent": "."}, map[string]any{"child": "settings", "parent": "."}}, want: "shared: from-child\nboth: from-child\nport: 80\nhost: child"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := build(tc.rootVals, tc.ivs...)
			var w bytes.Buffer
			vals := process(t, root, tc.user, WithWarnings(&w))
			delete(vals, "child")
			assertValues(t, vals, tc.want)
		})
	}
	t.Run("warning for a missing table", func(t *testing.T) {
		var w bytes.Buffer
		process(t, build("", "nothing"), "", WithWarnings(&w))
		if !strings.Contains(w.String(), `import-values of chart root: dependency "child" has no table "exports.nothing"`) {
			t.Errorf("warnings: %q", w.String())
		}
	})
	t.Run("import-values are rewritten to child/parent pairs", func(t *testing.T) {
		root := build("", "data", map[string]any{"child": "settings", "parent": "s"}, 42)
		process(t, root, "")
		got := dump(root.Metadata.Dependencies[0].ImportValues)
		want := `[map[string]string(map[child:exports.data parent:.]), map[string]string(map[child:settings parent:s])]`
		if got != want {
			t.Errorf("got %s", got)
		}
		// Processing the rewritten form again gives the same values.
		if err := ProcessDependencies(root, nil); err != nil {
			t.Fatal(err)
		}
		vals, _ := Coalesce(root, nil)
		if vals["shared"] != "from-child" || vals["s"] == nil {
			t.Errorf("second run: %s", dump(vals))
		}
	})
}

// Imports climb one level per chart, deepest first: the root can import what its
// child imported from the grandchild.
func TestImportValuesChain(t *testing.T) {
	root := mkChart(t, "root", "1.0.0", "", dep("app", "*", imports(map[string]any{"child": "service", "parent": "appService"})))
	app := mkChart(t, "app", "1.0.0", "service: {name: app}", dep("lib", "*", imports(map[string]any{"child": "defaults", "parent": "service"})))
	lib := mkChart(t, "lib", "1.0.0", "defaults: {port: 9090, name: lib}")
	app.AddDependency(lib)
	root.AddDependency(app)
	vals := process(t, root, "")
	assertValues(t, map[string]any{"appService": vals["appService"]}, "appService: {name: app, port: 9090}")
	if got := dump(vals["app"].(map[string]any)["service"]); got != `{"name": "app", "port": float64(9090)}` {
		t.Errorf("app service %s", got)
	}
}

func TestImportValuesFromDisabled(t *testing.T) {
	root := mkChart(t, "root", "1.0.0", "child: {enabled: false}", dep("child", "*", cond("child.enabled"), imports("data")))
	root.AddDependency(mkChart(t, "child", "1.0.0", "exports: {data: {x: 1}}"))
	vals := process(t, root, "")
	if _, ok := vals["x"]; ok || len(root.Dependencies()) != 0 {
		t.Errorf("disabled child imported: %s", dump(vals))
	}
}

func TestProcessDependenciesKeepsUserValues(t *testing.T) {
	root := mkChart(t, "root", "1.0.0", "sub: {enabled: true}", dep("sub", "*", cond("sub.enabled")))
	root.AddDependency(mkChart(t, "sub", "1.0.0", "a: 1"))
	user := y(t, "sub: {enabled: false, a: null}")
	before := dump(user)
	if err := ProcessDependencies(root, user); err != nil {
		t.Fatal(err)
	}
	if dump(user) != before {
		t.Errorf("user values modified: %s", dump(user))
	}
}

func TestProcessDependenciesTypeMismatch(t *testing.T) {
	root := mkChart(t, "root", "1.0.0", "", dep("sub", "*"))
	root.AddDependency(mkChart(t, "sub", "1.0.0", ""))
	err := ProcessDependencies(root, y(t, "sub: [1]"))
	if err == nil || !strings.Contains(err.Error(), "chart root: type mismatch on root.sub") {
		t.Errorf("got %v", err)
	}
}

// An umbrella chart using every feature at once; testdata/umbrella.golden records
// the resulting chart tree and the .Values the templates see.
func TestUmbrellaGolden(t *testing.T) {
	root := mkChart(t, "shop", "1.0.0", `
global: {imageRegistry: registry.example.test, labels: {team: shop}}
tags: {monitoring: false}
frontend: {replicas: 2}
orders-db: {enabled: true, auth: {username: orders}}
cache: {enabled: false}
config: {featureFlags: {beta: false}}
`,
		dep("web", "^1.0.0", alias("frontend"), imports(map[string]any{"child": "service", "parent": "frontendService"})),
		dep("postgresql", "12.x", alias("orders-db"), cond("orders-db.enabled")),
		dep("postgresql", "12.x", alias("billing-db"), cond("billing-db.enabled,global.databases")),
		dep("redis", "*", cond("cache.enabled")),
		dep("exporter", "*", tags("monitoring")),
		dep("lib", "*", imports("defaults")),
	)
	web := mkChart(t, "web", "1.4.0", `
replicas: 1
image: {repository: web, tag: null}
service: {type: ClusterIP, port: 80}
global: {labels: {tier: frontend}}
`, dep("sidecar", "*", cond("sidecar.enabled")))
	web.AddDependency(mkChart(t, "sidecar", "0.1.0", "enabled: false\nimage: sidecar"))
	pg := mkChart(t, "postgresql", "12.5.0", `
enabled: true
auth: {username: postgres, password: null}
primary: {persistence: {size: 8Gi}}
`)
	pg.AddDependency(mkChart(t, "common", "2.0.0", "exports: {x: 1}"))
	redis := mkChart(t, "redis", "18.0.0", "architecture: replication")
	exporter := mkChart(t, "exporter", "1.0.0", "port: 9100")
	lib := mkChart(t, "lib", "1.0.0", "exports: {defaults: {config: {featureFlags: {beta: true, gamma: true}}, logLevel: info}}")
	root.AddDependency(web, pg, redis, exporter, lib)

	user, err := Options{
		Values:       []string{"billing-db.enabled=true", "frontend.image.tag=v1.2.3", "global.labels.env=prod"},
		StringValues: []string{"orders-db.primary.persistence.size=20Gi"},
		JSONValues:   []string{`orders-db.auth={"password":"s3cret"}`},
	}.Merge(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var w bytes.Buffer
	if err := ProcessDependencies(root, user, WithWarnings(&w)); err != nil {
		t.Fatal(err)
	}
	vals, err := Coalesce(root, user, WithWarnings(&w))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		fmt.Fprintf(&b, "# %s (%s %s)\n", c.ChartFullPath(), c.Metadata.Name, c.Metadata.Version)
		for _, d := range c.Dependencies() {
			walk(d)
		}
	}
	walk(root)
	out, err := yaml.Marshal(vals)
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString("# warnings:\n")
	for _, line := range strings.Split(strings.TrimSpace(w.String()), "\n") {
		if line != "" {
			b.WriteString("#   " + line + "\n")
		}
	}
	b.Write(out)
	golden(t, "umbrella", b.String())
}
