package postrender

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// laughs is a billion-laughs mapping, indented by indent: nine levels of nine
// aliases to the level below, 9^9 (387 million) strings once expanded, in
// under 1 KB.
func laughs(indent string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%sl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n", indent)
	for i := 1; i <= 9; i++ {
		a := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "%sl%d: &l%d [%s]\n", indent, i, i, strings.Repeat(a+", ", 8)+a)
	}
	return b.String()
}

// bombPatch is a strategic-merge patch of the rendered Deployment mychart with a
// billion laughs in an annotation.
var bombPatch = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: mychart
spec:
  template:
    metadata:
      labels:
` + laughs("        ")

// bombObject is a ConfigMap with a billion laughs in its data.
var bombObject = `apiVersion: v1
kind: ConfigMap
metadata:
  name: lol
data:
` + laughs("  ")

const aliasTime, aliasAlloc = 5 * time.Second, 256 << 20

// TestAliasBombOverlay: a billion laughs anywhere in an overlay fails its loading
// fast, with an error naming the file and the limit, before kyaml expands it.
func TestAliasBombOverlay(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		parts []string
	}{
		{"patch file", map[string]string{
			"kustomization.yaml": "patches:\n- path: patch.yaml\n",
			"patch.yaml":         bombPatch,
		}, []string{"patch.yaml", "alias *l"}},
		{"patch with target", map[string]string{
			"kustomization.yaml": "patches:\n- path: patch.yaml\n  target: {kind: Deployment, name: mychart}\n",
			"patch.yaml":         bombPatch,
		}, []string{"patch.yaml"}},
		{"strategic merge file", map[string]string{
			"kustomization.yaml": "patchesStrategicMerge:\n- patch.yaml\n",
			"patch.yaml":         bombPatch,
		}, []string{"patch.yaml"}},
		{"inline patch", map[string]string{
			"kustomization.yaml": "patches:\n- patch: |\n" + indent(bombPatch, "    "),
		}, []string{"kustomization.yaml: patches[0]"}},
		{"resource", map[string]string{
			"kustomization.yaml": "resources:\n- lol.yaml\n",
			"lol.yaml":           bombObject,
		}, []string{"lol.yaml"}},
		{"second document of a resource", map[string]string{
			"kustomization.yaml": "resources:\n- lol.yaml\n",
			"lol.yaml":           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n---\n" + bombObject,
		}, []string{"lol.yaml", "alias *l5 at line 17"}},
		{"base", map[string]string{
			"kustomization.yaml":      "resources:\n- base\n",
			"base/kustomization.yaml": "resources:\n- lol.yaml\n",
			"base/lol.yaml":           bombObject,
		}, []string{filepath.Join("base", "lol.yaml")}},
		{"file no kustomization names", map[string]string{
			"kustomization.yaml": "resources: []\n",
			"unused.yaml":        bombObject,
		}, []string{"unused.yaml"}},
		{"kustomization", map[string]string{
			"kustomization.yaml": "metadata:\n  annotations:\n" + laughs("    "),
		}, []string{"kustomization.yaml"}},
		{"alias to its own anchor", map[string]string{
			"kustomization.yaml": "resources:\n- loop.yaml\n",
			"loop.yaml":          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: loop\ndata: &d\n  self: *d\n",
		}, []string{"loop.yaml", "alias *d at line 6", "holds it"}},
	}
	manifests, hooks := readRendered(t, "testdata/overlay/rendered.yaml")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for n, content := range c.files {
				write(t, dir, n, content)
			}
			// The first part is the file at fault, in dir.
			parts := append([]string{"kustomize overlay", filepath.Join(dir, c.parts[0])}, c.parts[1:]...)
			bounded(t, aliasTime, aliasAlloc, func(context.Context) {
				_, err := LoadOverlay(dir)
				wantError(t, err, ErrLimitExceeded, parts...)
				if !strings.Contains(c.name, "own anchor") {
					wantError(t, err, nil, fmt.Sprintf("the limit is %d nodes", MaxAliasNodes))
				}
			})
			// A recorded overlay gets the same error when it runs.
			bounded(t, aliasTime, aliasAlloc, func(ctx context.Context) {
				_, _, err := (&Overlay{Files: c.files}).Run(ctx, manifests, hooks)
				wantError(t, err, ErrLimitExceeded, "kustomize overlay")
			})
		})
	}
}

func indent(text, prefix string) string {
	var b strings.Builder
	for line := range strings.Lines(text) {
		b.WriteString(prefix + line)
	}
	return b.String()
}

// TestAliasBombRendered: a chart's rendered manifest with a billion laughs fails
// the overlay that it would go through, naming the template.
func TestAliasBombRendered(t *testing.T) {
	o := &Overlay{Files: map[string]string{"kustomization.yaml": "commonLabels: {team: a}\n"}}
	manifests := []engine.Manifest{{Name: "mychart/templates/lol.yaml", Content: bombObject}}
	bounded(t, aliasTime, aliasAlloc, func(ctx context.Context) {
		_, _, err := o.Run(ctx, manifests, nil)
		wantError(t, err, ErrLimitExceeded, "kustomize overlay", "rendered mychart/templates/lol.yaml", "alias *l")
	})
}

// TestAliasBombPackage: a billion laughs in a kustomize package fails its loading
// (from a directory, an archive or a Git checkout) and its rendering fast.
func TestAliasBombPackage(t *testing.T) {
	files := map[string]string{
		"kustomization.yaml": "resources:\n- lol.yaml\n",
		"lol.yaml":           bombObject,
	}
	dir := t.TempDir()
	for n, content := range files {
		write(t, filepath.Join(dir, "pkg"), n, content)
	}
	bounded(t, aliasTime, aliasAlloc, func(context.Context) {
		_, err := LoadPackage(filepath.Join(dir, "pkg"))
		wantError(t, err, ErrLimitExceeded, "kustomize package", filepath.Join(dir, "pkg", "lol.yaml"), "alias *l")
	})
	bounded(t, aliasTime, aliasAlloc, func(context.Context) {
		p := &kpkg.Package{Name: "pkg", Files: files}
		data, err := p.Archive()
		if err != nil {
			t.Fatal(err)
		}
		_, err = LoadArchive(data)
		wantError(t, err, ErrLimitExceeded, "kustomize package archive", filepath.Join("pkg", "lol.yaml"))
	})
	bounded(t, aliasTime, aliasAlloc, func(context.Context) {
		_, _, err := (Package{&kpkg.Package{Name: "pkg", Files: files}}).Render("default")
		wantError(t, err, ErrLimitExceeded, "kustomize package", filepath.Join("pkg", "lol.yaml"))
	})
	// From a checkout: the bomb is in a base outside the package's directory,
	// read only because the kustomization refers to it.
	write(t, dir, "app/kustomization.yaml", "resources:\n- ../pkg\n")
	bounded(t, aliasTime, aliasAlloc, func(context.Context) {
		_, err := LoadPackageIn(dir, "app")
		wantError(t, err, ErrLimitExceeded, "kustomize package", filepath.Join(dir, "pkg", "lol.yaml"))
	})
}

// TestAliasesAllowed: anchors and aliases as people use them (a shared block, a
// merge key) go through an overlay and come out expanded.
func TestAliasesAllowed(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "kustomization.yaml", "resources:\n- extra.yaml\npatches:\n- path: patch.yaml\n")
	write(t, dir, "extra.yaml", `apiVersion: v1
kind: ConfigMap
metadata:
  name: extra
  labels: &labels
    app: extra
    tier: web
  annotations:
    <<: *labels
    note: merged
data:
  first: &v "shared value"
  second: *v
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: extra-list
data: {a: &one "1", b: *one}
`)
	write(t, dir, "patch.yaml", `apiVersion: apps/v1
kind: Deployment
metadata:
  name: mychart
spec:
  template:
    metadata:
      labels: &l
        patched: "yes"
      annotations: *l
`)
	m, _, err := runOverlay(t, dir, "testdata/overlay/rendered.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := format(m, nil)
	for _, want := range []string{"second: \"shared value\"", "b: \"1\"", "annotations:\n    app: extra\n    note: merged", "note: merged", "tier: web", "patched: \"yes\""} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "*") {
		t.Errorf("an alias is left in the output:\n%s", out)
	}
}

// TestAliasBudget: the count of nodes that aliases add, up to the limit.
func TestAliasBudget(t *testing.T) {
	// n copies of a 1,001-node sequence: n*1,000 nodes added.
	doc := func(n int) string {
		return "a: &a [" + strings.Repeat("x, ", 999) + "x]\nb: [" + strings.Repeat("*a, ", n-1) + "*a]\n"
	}
	var b aliasBudget
	if err := b.check(doc(50)); err != nil {
		t.Fatal(err)
	}
	if b.added != 50*1000 {
		t.Errorf("added %d nodes, want %d", b.added, 50*1000)
	}
	// The budget is shared by the documents of a build.
	if err := b.check(doc(49)); err != nil {
		t.Fatal(err)
	}
	wantError(t, b.check(doc(2)), ErrLimitExceeded, "alias *a at line 2 expands to more than 1000 nodes")
	// Many small aliases: 600 copies of a 3-node sequence.
	small := "a: &a [x, y]\nb: [" + strings.Repeat("*a, ", 599) + "*a]\n"
	wantError(t, b.check("---\n"+small), ErrLimitExceeded, "document at line 2", "add more than 1000 nodes")
	// Text that is not YAML, or has no alias, is not counted.
	for _, text := range []string{"a: *b &c\n  - [", "verbs: ['*']\nurl: http://x/?a=1&b=2\nx: *\n", "KEY=*value&\n"} {
		if err := (&aliasBudget{}).check(text); err != nil {
			t.Errorf("%q: %v", text, err)
		}
	}
}
