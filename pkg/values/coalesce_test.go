package values

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/chart"
)

func TestCoalesce(t *testing.T) {
	for _, tc := range []struct {
		name     string
		defaults string
		user     string
		want     string
	}{
		{
			name:     "user values over defaults, maps merged, lists replaced",
			defaults: "a: 1\nm: {x: 1, z: {deep: 1}}\nl: [1, 2]\ns: keep",
			user:     "a: 2\nm: {x: 2, w: 3, z: {other: 2}}\nl: [9]",
			want:     "a: 2\nm: {x: 2, w: 3, z: {deep: 1, other: 2}}\nl: [9]\ns: keep",
		},
		{
			name:     "user null deletes a default",
			defaults: "a: 1\nm: {x: 1, y: 2}\nt: {x: 1}",
			user:     "a: null\nm: {x: null}\nt: null",
			want:     "m: {y: 2}",
		},
		{
			name:     "null defaults are dropped (v4)",
			defaults: "a: null\nm: {x: null, y: 1, n: {z: null}}\nr: {limits: null, requests: {cpu: 1m}}",
			user:     "r: {requests: {memory: 1Mi}}",
			want:     "m: {y: 1, n: {}}\nr: {requests: {cpu: 1m, memory: 1Mi}}",
		},
		{
			name:     "a user null over nothing stays null",
			defaults: "m: {x: 1}\nr: {limits: null}",
			user:     "new: null\nm: {other: null}\nr: {limits: null}",
			want:     "new: null\nm: {x: 1, other: null}\nr: {limits: null}",
		},
		{
			name:     "a user scalar over a default table wins silently",
			defaults: "m: {x: 1}",
			user:     "m: flat",
			want:     "m: flat",
		},
		{
			name:     "a user table over a default scalar is kept",
			defaults: "m: flat",
			user:     "m: {x: 1}",
			want:     "m: {x: 1}",
		},
		{
			name:     "nil user values",
			defaults: "a: 1",
			want:     "a: 1",
		},
		{
			name:     "lists are not merged and keep their nulls",
			defaults: "l: [{a: 1, b: null}]",
			user:     "o: [null, {x: null}]",
			want:     "l: [{a: 1, b: null}]\no: [null, {x: null}]",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mkChart(t, "root", "1.0.0", tc.defaults)
			var user map[string]any
			if tc.user != "" {
				user = y(t, tc.user)
			}
			got, err := Coalesce(c, user)
			if err != nil {
				t.Fatal(err)
			}
			assertValues(t, got, tc.want)
		})
	}
}

// The case of podinfo-multi-values: two -f files, the second nulling keys of the first.
func TestCoalesceMultipleFilesNull(t *testing.T) {
	c := mkChart(t, "podinfo", "6.0.0", `
replicaCount: 1
podAnnotations: {}
resources:
  limits:
  requests: {cpu: 1m, memory: 16Mi}
`)
	files := fakeFiles(map[string]string{
		"values.yaml": "podAnnotations: {team: web, tier: frontend}\nresources: {limits: {cpu: 500m}, requests: {cpu: 100m}}\n",
		"prod.yaml":   "podAnnotations: {tier: null, env: prod}\nresources: {limits: null, requests: {memory: 128Mi}}\n",
	})
	user, err := Options{ValueFiles: []string{"values.yaml", "prod.yaml"}, Values: []string{"replicaCount=5"}}.Merge(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Coalesce(c, user)
	if err != nil {
		t.Fatal(err)
	}
	assertValues(t, got, `
replicaCount: 5
podAnnotations: {team: web, tier: null, env: prod}
resources: {limits: null, requests: {cpu: 100m, memory: 128Mi}}
`)
}

func TestCoalesceSubcharts(t *testing.T) {
	root := mkChart(t, "root", "1.0.0", `
global: {region: eu, labels: {team: a}}
sub: {x: from-parent, n: {a: 1}}
own: 1
`)
	sub := mkChart(t, "sub", "1.0.0", `
global: {region: us, labels: {app: s}, subOnly: 1}
x: default
y: default
n: {a: 0, b: 0}
`)
	leaf := mkChart(t, "leaf", "1.0.0", "global: {leafOnly: true}\nz: 1")
	sub.AddDependency(leaf)
	other := mkChart(t, "other", "1.0.0", "k: v")
	root.AddDependency(sub, other)

	got, err := Coalesce(root, y(t, "sub: {y: from-user, leaf: {z: 2}}\nglobal: {user: 1}"))
	if err != nil {
		t.Fatal(err)
	}
	assertValues(t, got, `
global: {region: eu, labels: {team: a}, user: 1}
own: 1
sub:
  global: {region: eu, labels: {team: a, app: s}, subOnly: 1, user: 1}
  x: from-parent
  y: from-user
  n: {a: 1, b: 0}
  leaf:
    global: {region: eu, labels: {team: a, app: s}, subOnly: 1, user: 1, leafOnly: true}
    z: 2
other:
  global: {region: eu, labels: {team: a}, user: 1}
  k: v
`)
}

// A null the parent (or the user) gives for a subchart's key deletes the subchart's
// default, while the subchart's own null defaults are dropped.
func TestCoalesceSubchartNulls(t *testing.T) {
	root := mkChart(t, "root", "1.0.0", "sub: {a: null}")
	sub := mkChart(t, "sub", "1.0.0", "a: 1\nb: 2\nc: null\nd: {e: null, f: 1}")
	root.AddDependency(sub)
	got, err := Coalesce(root, y(t, "sub: {b: null, new: null}"))
	if err != nil {
		t.Fatal(err)
	}
	assertValues(t, got, "sub: {global: {}, new: null, d: {f: 1}}")
}

func TestCoalesceDoesNotModifyInputs(t *testing.T) {
	root := mkChart(t, "root", "1.0.0", "m: {a: 1, n: null}\nl: [1]\nsub: {x: 1}")
	sub := mkChart(t, "sub", "1.0.0", "x: 0\nm: {b: 2}\nglobal: {g: {h: 1}}")
	root.AddDependency(sub)
	user := y(t, "m: {a: null, c: 3}\nsub: {m: {b: null}}\nglobal: {g: {i: 2}}")
	before := []string{dump(root.Values), dump(sub.Values), dump(user)}
	got, err := Coalesce(root, user)
	if err != nil {
		t.Fatal(err)
	}
	after := []string{dump(root.Values), dump(sub.Values), dump(user)}
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("input %d modified:\n%s\n%s", i, before[i], after[i])
		}
	}
	// And the result shares nothing with them.
	got["m"].(map[string]any)["zz"] = 1
	got["sub"].(map[string]any)["global"].(map[string]any)["g"].(map[string]any)["zz"] = 1
	if dump(root.Values) != before[0] || dump(sub.Values) != before[1] || dump(user) != before[2] {
		t.Error("result shares maps with the inputs")
	}
}

func TestCoalesceWarnings(t *testing.T) {
	root := mkChart(t, "root", "1.0.0", `
boat: flat
spear: {tip: {sharp: true}, sail: true}
global: {g: {x: 1}, s: 1}
`)
	sub := mkChart(t, "sub", "1.0.0", "global: {g: 1}")
	root.AddDependency(sub)
	var w bytes.Buffer
	_, err := Coalesce(root, y(t, "boat: {x: 1}\nspear: {tip: true, sail: {cotton: true}}\nsub: {global: {g: scalar, s: {t: 1}}}"), WithWarnings(&w))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"warning: skipped value for root.boat: Not a table.",
		"warning: cannot overwrite table with non table for root.spear.tip (map[sharp:true])",
		"warning: destination for root.spear.sail is a table. Ignoring non-table value (true)",
		`Conflict: cannot merge map onto non-map for "g". Skipping.`,
		"key s is table. Skipping",
	}
	for _, line := range want {
		if !strings.Contains(w.String(), line+"\n") {
			t.Errorf("missing warning %q in:\n%s", line, w.String())
		}
	}
	// Without WithWarnings nothing is written anywhere.
	if _, err := Coalesce(root, y(t, "boat: {x: 1}")); err != nil {
		t.Fatal(err)
	}
}

func TestCoalesceGlobalsNotTables(t *testing.T) {
	root := mkChart(t, "root", "1.0.0", "global: flat")
	sub := mkChart(t, "sub", "1.0.0", "global: {a: 1}")
	root.AddDependency(sub)
	var w bytes.Buffer
	got, err := Coalesce(root, nil, WithWarnings(&w))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.String(), "warning: skipping globals because source global is not a table.") {
		t.Errorf("warnings: %q", w.String())
	}
	assertValues(t, got, "global: flat\nsub: {global: {a: 1}}")
}

func TestCoalesceSubchartTypeMismatch(t *testing.T) {
	root := mkChart(t, "root", "1.0.0", "")
	root.AddDependency(mkChart(t, "sub", "1.0.0", "a: 1"))
	for _, user := range []string{"sub: text", "sub: null", "sub: [1]"} {
		_, err := Coalesce(root, y(t, user))
		if err == nil || !strings.Contains(err.Error(), "type mismatch on root.sub") {
			t.Errorf("%s: got %v", user, err)
		}
	}
	// A null for a subchart the parent has defaults for deletes them instead.
	root.Values = y(t, "sub: {a: 2}")
	got, err := Coalesce(root, y(t, "sub: null"))
	if err != nil {
		t.Fatal(err)
	}
	assertValues(t, got, "sub: {a: 1, global: {}}")
}

func TestCoalesceNilValuesAndMetadata(t *testing.T) {
	c := &chart.Chart{Metadata: &chart.Metadata{Name: "bare"}}
	got, err := Coalesce(c, nil)
	if err != nil || len(got) != 0 || got == nil {
		t.Errorf("got %v, %v", got, err)
	}
}
