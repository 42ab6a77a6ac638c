package postrender

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// TestOverlayErrors applies each bad overlay under testdata/overlay-errors to the
// shared rendered chart: each error wraps its sentinel and names the file (and the
// patch) at fault. Every message is also kept in errors.golden.
func TestOverlayErrors(t *testing.T) {
	const dir = "testdata/overlay-errors"
	k := func(c string) string { return filepath.Join(dir, c, "kustomization.yaml") }
	cases := []struct {
		name   string
		target error
		parts  []string
	}{
		{"no-kustomization", ErrNoKustomization, []string{filepath.Join(dir, "no-kustomization"), "kustomization.yaml"}},
		{"invalid-yaml", ErrInvalidKustomization, []string{k("invalid-yaml")}},
		{"unknown-field", ErrInvalidKustomization, []string{k("unknown-field"), "patchez"}},
		{"two-kustomizations", ErrInvalidKustomization, []string{k("two-kustomizations"), "kustomization.yml"}},
		{"root-component", ErrInvalidKustomization, []string{k("root-component"), "Component"}},
		{"target-typo", ErrPatchTarget, []string{k("target-typo"), "patches[0] (path: replicas.yaml)", "name=mychart-web"}},
		{"target-label-nothing", ErrPatchTarget, []string{k("target-label-nothing"), "patches[0]", "labelSelector=tier=db"}},
		{"json6902-nothing", ErrPatchTarget, []string{k("json6902-nothing"), "patchesJson6902[0]", "name=mychart-typo"}},
		{"target-only-hooks", ErrPatchTarget, []string{k("target-only-hooks"), "patches[0]", "only hooks", "target.name"}},
		{"component-target-nothing", ErrPatchTarget, []string{filepath.Join(dir, "component-target-nothing", "comp", "kustomization.yaml"), "patches[0]", "kind=StatefulSet"}},
		{"sm-no-match", nil, []string{k("sm-no-match"), "nope"}},
		{"generator-collision", ErrInvalidKustomization, []string{k("generator-collision"), "configMapGenerator[0]", "mychart-config", "mychart/templates/configmap.yaml"}},
		{"generator-twice", ErrInvalidKustomization, []string{k("generator-twice"), "configMapGenerator[1]", "settings"}},
		{"parent-base", ErrUnsafePath, []string{k("parent-base"), `resources[0] "../base"`, "leaves the directory"}},
		{"parent-patch", ErrUnsafePath, []string{k("parent-patch"), "../../secrets/patch.yaml"}},
		{"absolute-path", ErrUnsafePath, []string{k("absolute-path"), "/etc/passwd", "absolute"}},
		{"remote-https", ErrRemoteBase, []string{k("remote-https"), "https://github.com/kubernetes-sigs/kustomize"}},
		{"remote-git", ErrRemoteBase, []string{k("remote-git"), "components[0]", "git::"}},
		{"remote-github", ErrRemoteBase, []string{k("remote-github"), "github.com/org/repo"}},
		{"remote-scp", ErrRemoteBase, []string{k("remote-scp"), "git@gitlab.com"}},
		{"remote-host", ErrRemoteBase, []string{k("remote-host"), "gitlab.com/org/repo/deploy", "looks like a remote"}},
		{"remote-file", ErrRemoteBase, []string{k("remote-file"), "patches[0].path"}},
		{"remote-nested", ErrRemoteBase, []string{filepath.Join(dir, "remote-nested", "base", "kustomization.yaml"), "https://example.com/all.yaml"}},
		{"missing-file", fs.ErrNotExist, []string{k("missing-file"), "not-there.yaml"}},
		{"helm-charts", ErrInvalidKustomization, []string{k("helm-charts"), "helmCharts"}},
		{"openapi", ErrInvalidKustomization, []string{k("openapi"), "openapi"}},
		{"bad-patch", nil, []string{k("bad-patch")}},
		{"bad-name", ErrUnsafePath, []string{k("bad-name"), "extra objects.yaml"}},
		{"plugin", nil, []string{k("plugin")}},
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	var all strings.Builder
	for _, c := range cases {
		covered[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			_, _, err := runOverlay(t, filepath.Join(dir, c.name), "testdata/overlay/rendered.yaml")
			wantError(t, err, c.target, c.parts...)
			if err != nil {
				fmt.Fprintf(&all, "%s:\n\t%s\n", c.name, strings.ReplaceAll(err.Error(), "\n", "\n\t"))
			}
		})
	}
	for _, e := range entries {
		if e.IsDir() && !covered[e.Name()] {
			t.Errorf("case %s has no expectation", e.Name())
		}
	}
	golden(t, filepath.Join(dir, "errors.golden"), all.String())
}

// TestKustomizePanic: kustomize panics on a rendered object whose
// internal.config.kubernetes.io/previousNames disagrees with its other previous-id
// annotations (in a namePrefix transformer, or selecting a patch's target); the run
// returns an error naming the overlay or package instead of crashing.
func TestKustomizePanic(t *testing.T) {
	rendered := "---\n# Source: c/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    internal.config.kubernetes.io/previousNames: a,b\n"
	for name, kust := range map[string]string{
		"namePrefix": "namePrefix: x-\n",
		"patch":      "patches:\n- target: {kind: ConfigMap, labelSelector: app=x}\n  patch: '[]'\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "kustomization.yaml", kust)
			o, err := LoadOverlay(dir)
			if err != nil {
				t.Fatal(err)
			}
			m, h := parseRendered(t, rendered)
			outM, outH, err := o.Run(context.Background(), m, h)
			wantError(t, err, ErrKustomizePanic, "kustomize overlay: "+filepath.Join(dir, "kustomization.yaml"), "previous")
			if outM != nil || outH != nil {
				t.Error("results returned with the error")
			}
		})
	}
	p := Package{&kpkg.Package{Name: "p", Version: "0.0.0", Files: map[string]string{
		"kustomization.yaml": "namePrefix: x-\nresources:\n- cm.yaml\n",
		"cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    internal.config.kubernetes.io/previousNames: a,b\n",
	}}}
	_, _, err := p.Render("ns")
	wantError(t, err, ErrKustomizePanic, "kustomize package: p/kustomization.yaml")
}
