package render

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/engine"
)

// Template renders a chart locally, as `helm template` does.
type Template struct{}

// TemplateOptions configures Template.Run.
type TemplateOptions struct {
	Render Options
	// IncludeCRDs puts the crds/ files first in the output.
	IncludeCRDs bool
	// NoHooks leaves hooks out; SkipTests leaves out test hooks only.
	NoHooks   bool
	SkipTests bool
	// ShowOnly keeps the documents of the templates matching these globs
	// ("templates/deployment.yaml", "charts/sub/templates/*.yaml").
	ShowOnly []string
	// OutputDir writes each template's documents to OutputDir/<chart path> instead of
	// returning them; with UseReleaseName under OutputDir/<release>/.
	OutputDir      string
	UseReleaseName bool
	// Package, when set, is a kustomize package rendered instead of the chart.
	Package Package
}

// TemplateResult is the output of Template.Run.
type TemplateResult struct {
	// Output is what `helm template` prints.
	Output string
	// Written lists each write under OutputDir, in order (a file appears again when
	// a later document is appended to it).
	Written  []string
	Rendered *Rendered
}

// Run renders the chart.
func (Template) Run(ctx context.Context, c *chart.Chart, opts TemplateOptions) (*TemplateResult, error) {
	var r *Rendered
	var err error
	if opts.Package != nil {
		r, err = KustomizePackage(ctx, opts.Package, opts.Render)
	} else {
		r, err = Chart(ctx, c, opts.Render)
	}
	if err != nil {
		return nil, err
	}
	res := &TemplateResult{Rendered: r}
	out := &fileWriter{dir: opts.OutputDir, written: map[string]bool{}}
	if opts.OutputDir != "" && opts.UseReleaseName {
		out.dir = filepath.Join(opts.OutputDir, opts.Render.ReleaseName)
	}
	var manifest strings.Builder
	if opts.IncludeCRDs {
		for _, crd := range r.CRDs {
			if err := out.write(&manifest, crd.Filename, string(crd.File.Data)); err != nil {
				return nil, err
			}
		}
	}
	for _, m := range r.Manifests {
		if err := out.write(&manifest, m.Name, m.Content); err != nil {
			return nil, err
		}
	}
	var full strings.Builder
	full.WriteString(strings.TrimSpace(manifest.String()))
	full.WriteString("\n")
	if !opts.NoHooks {
		for _, h := range r.Hooks {
			if opts.SkipTests && h.HasEvent(engine.Test) {
				continue
			}
			if err := out.write(&full, h.Path, h.Manifest); err != nil {
				return nil, err
			}
		}
	}
	res.Written = out.order
	if len(opts.ShowOnly) == 0 {
		res.Output = full.String()
		return res, nil
	}
	shown, err := showOnly(full.String(), opts.ShowOnly)
	if err != nil {
		return nil, err
	}
	res.Output = shown
	return res, nil
}

// fileWriter writes documents to a buffer, or under dir when set.
type fileWriter struct {
	dir     string
	written map[string]bool
	order   []string
}

func (w *fileWriter) write(buf *strings.Builder, name, content string) error {
	if w.dir == "" {
		fmt.Fprintf(buf, "---\n# Source: %s\n%s\n", name, content)
		return nil
	}
	file := filepath.Join(w.dir, filepath.FromSlash(name))
	if rel, err := filepath.Rel(w.dir, file); err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("template %s would be written outside %s", name, w.dir)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if w.written[name] {
		flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(file, flag, 0o644)
	if err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	_, err = fmt.Fprintf(f, "---\n# Source: %s\n%s\n", name, content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	w.order = append(w.order, file)
	w.written[name] = true
	return nil
}

var sourceRE = regexp.MustCompile(`# Source: [^/]+/(.+)`)

// showOnly keeps the documents whose source template (the path after the chart name)
// matches one of the patterns, in output order per pattern.
func showOnly(output string, patterns []string) (string, error) {
	docs := engine.SplitDocuments(output)
	var b strings.Builder
	for _, p := range patterns {
		p = filepath.ToSlash(p)
		found := false
		for _, d := range docs {
			m := sourceRE.FindStringSubmatch(d)
			if m == nil {
				continue
			}
			if ok, _ := filepath.Match(p, m[1]); ok {
				fmt.Fprintf(&b, "---\n%s\n", d)
				found = true
			}
		}
		if !found {
			return "", fmt.Errorf("could not find template %s in chart", p)
		}
	}
	return b.String(), nil
}
