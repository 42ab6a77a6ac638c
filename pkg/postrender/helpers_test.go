package postrender

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/engine"
)

var update = flag.Bool("update", false, "rewrite golden files")

// parseRendered turns Helm-style template output ("---\n# Source: path\n…") into
// manifests and hooks, as engine.SortManifests makes them from templates.
func parseRendered(t testing.TB, text string) ([]engine.Manifest, []*engine.Hook) {
	t.Helper()
	files := map[string]string{}
	for _, d := range engine.SplitDocuments(text) {
		line, body, _ := strings.Cut(d, "\n")
		name, ok := strings.CutPrefix(line, "# Source: ")
		if !ok {
			t.Fatalf("document without # Source: %q", d)
		}
		files[name] += "---\n" + body
	}
	hooks, manifests, err := engine.SortManifests(files, engine.InstallOrder)
	if err != nil {
		t.Fatal(err)
	}
	return manifests, hooks
}

func readRendered(t testing.TB, file string) ([]engine.Manifest, []*engine.Hook) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return parseRendered(t, string(data))
}

// format prints manifests and hooks the way a release records them, hooks with
// their events and weight.
func format(manifests []engine.Manifest, hooks []*engine.Hook) string {
	var b strings.Builder
	b.WriteString("# manifests\n")
	for _, m := range manifests {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s", m.Name, m.Content)
		if !strings.HasSuffix(m.Content, "\n") {
			b.WriteString("\n")
		}
	}
	b.WriteString("# hooks\n")
	for _, h := range hooks {
		fmt.Fprintf(&b, "---\n# Source: %s (hook %s/%s, events %v, weight %d)\n%s", h.Path, h.Kind, h.Name, h.Events, h.Weight, h.Manifest)
		if !strings.HasSuffix(h.Manifest, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// golden compares got with the file, or rewrites it with -update.
func golden(t testing.TB, file, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update to accept):\n%s", file, diff(string(want), got))
	}
}

// diff is a minimal line diff: the first differing line and its neighbourhood.
func diff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			lo := max(0, i-3)
			return fmt.Sprintf("line %d:\n--- want\n%s\n+++ got\n%s", i+1,
				strings.Join(wl[lo:min(len(wl), i+4)], "\n"), strings.Join(gl[lo:min(len(gl), i+4)], "\n"))
		}
	}
	return "(no line differs)"
}

// runOverlay loads the overlay in dir and applies it to the rendered file.
func runOverlay(t testing.TB, dir, rendered string) ([]engine.Manifest, []*engine.Hook, error) {
	t.Helper()
	o, err := LoadOverlay(dir)
	if err != nil {
		return nil, nil, err
	}
	manifests, hooks := readRendered(t, rendered)
	return o.Run(context.Background(), manifests, hooks)
}

// wantError fails unless err wraps target (when not nil) and mentions every part.
func wantError(t testing.TB, err, target error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", parts)
	}
	if target != nil && !errors.Is(err, target) {
		t.Errorf("error %q does not wrap %v", err, target)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}
