package render

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/values"
)

// Options are the inputs of a chart render shared by template, install, upgrade and
// diff.
type Options struct {
	ReleaseName string
	Namespace   string
	Revision    int
	IsUpgrade   bool
	// Values are the user's values, already merged from -f and the --set family.
	Values map[string]any
	// Capabilities default to engine.DefaultCapabilities().
	Capabilities         *engine.Capabilities
	SkipSchemaValidation bool
	// SubNotes includes the NOTES.txt of subcharts.
	SubNotes  bool
	EnableDNS bool
	Lookup    engine.Lookuper
	// Warnings receives Helm's coalescing warnings (e.g. a table overriding a scalar);
	// nil drops them.
	Warnings io.Writer
	// PostRenderer, when set, changes the rendered manifests and hooks (--kustomize,
	// --post-renderer).
	PostRenderer PostRenderer
}

// PostRenderer changes rendered manifests and hooks: a kustomize overlay or an
// executable (pkg/postrender has both). It returns them as new values, in Helm's
// install order, each manifest and hook keeping the template path of the document it
// came from; the inputs are not modified.
type PostRenderer interface {
	Run(ctx context.Context, manifests []engine.Manifest, hooks []*engine.Hook) ([]engine.Manifest, []*engine.Hook, error)
}

// Package is a kustomize package rendered instead of a chart (postrender.Package,
// which wraps a *kpkg.Package).
type Package interface {
	Render(namespace string) ([]engine.Manifest, []*engine.Hook, error)
}

// Rendered is a rendered chart: manifests and hooks in install order, and the notes.
type Rendered struct {
	Manifests []engine.Manifest
	Hooks     []*engine.Hook
	Notes     string
	// CRDs are the files of the chart's (and subcharts') crds/ directories.
	CRDs []chart.CRD
	// Values are the coalesced values the templates saw.
	Values map[string]any
}

// ErrNotInstallable is returned for library charts.
var ErrNotInstallable = errors.New("chart is not installable")

// Chart processes dependencies, coalesces and validates values, and renders the chart
// as Helm's install does (without touching a cluster).
func Chart(ctx context.Context, c *chart.Chart, opts Options) (*Rendered, error) {
	if c.Metadata == nil {
		return nil, errors.New("chart has no metadata")
	}
	if t := c.Metadata.Type; t != "" && t != "application" {
		return nil, fmt.Errorf("%w: chart %q is of type %q; only application charts can be installed", ErrNotInstallable, c.Name(), t)
	}
	if err := CheckDependencies(c); err != nil {
		return nil, err
	}
	var vopts []values.Option
	if opts.Warnings != nil {
		vopts = append(vopts, values.WithWarnings(opts.Warnings))
	}
	if err := values.ProcessDependencies(c, opts.Values, vopts...); err != nil {
		return nil, fmt.Errorf("chart dependencies processing failed: %w", err)
	}
	caps := opts.Capabilities
	if caps == nil {
		caps = engine.DefaultCapabilities()
	}
	coalesced, err := values.Coalesce(c, opts.Values, vopts...)
	if err != nil {
		return nil, err
	}
	if !opts.SkipSchemaValidation {
		if err := values.ValidateAgainstSchemas(c, coalesced, vopts...); err != nil {
			return nil, fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%w", err)
		}
	}
	top := engine.TopValues(c, coalesced, engine.ReleaseOptions{
		Name: opts.ReleaseName, Namespace: opts.Namespace, Revision: opts.Revision,
		IsInstall: !opts.IsUpgrade, IsUpgrade: opts.IsUpgrade,
	}, caps)
	if kv := c.Metadata.KubeVersion; kv != "" && !KubeVersionCompatible(kv, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", kv, caps.KubeVersion.Version)
	}
	files, err := engine.Render(ctx, c, top, engine.Options{EnableDNS: opts.EnableDNS, Lookup: opts.Lookup})
	if err != nil {
		return nil, err
	}
	var notes strings.Builder
	rootNotes := path.Join(c.Name(), "templates", "NOTES.txt")
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if !strings.HasSuffix(name, "NOTES.txt") {
			continue
		}
		if opts.SubNotes || name == rootNotes {
			if notes.Len() > 0 {
				notes.WriteString("\n")
			}
			notes.WriteString(files[name])
		}
		delete(files, name)
	}
	hooks, manifests, err := engine.SortManifests(files, engine.InstallOrder)
	if err != nil {
		return nil, err
	}
	if manifests, hooks, err = postRender(ctx, opts.PostRenderer, manifests, hooks); err != nil {
		return nil, err
	}
	return &Rendered{Manifests: manifests, Hooks: hooks, Notes: notes.String(), CRDs: c.CRDObjects(), Values: coalesced}, nil
}

// KustomizePackage renders a kustomize package as a release's manifests and hooks,
// then runs the post-renderer of opts, if any; of opts only Namespace and
// PostRenderer count.
func KustomizePackage(ctx context.Context, p Package, opts Options) (*Rendered, error) {
	manifests, hooks, err := p.Render(opts.Namespace)
	if err != nil {
		return nil, err
	}
	if manifests, hooks, err = postRender(ctx, opts.PostRenderer, manifests, hooks); err != nil {
		return nil, err
	}
	return &Rendered{Manifests: manifests, Hooks: hooks}, nil
}

func postRender(ctx context.Context, pr PostRenderer, manifests []engine.Manifest, hooks []*engine.Hook) ([]engine.Manifest, []*engine.Hook, error) {
	if pr == nil {
		return manifests, hooks, nil
	}
	m, h, err := pr.Run(ctx, manifests, hooks)
	if err != nil {
		return nil, nil, fmt.Errorf("post-rendering: %w", err)
	}
	// Documents end without a newline, as templates' do, so that the manifest joins
	// them with one.
	for i := range m {
		m[i].Content = strings.TrimRight(m[i].Content, "\n")
	}
	return m, h, nil
}

// CheckDependencies requires every dependency in Chart.yaml to be present in charts/.
func CheckDependencies(c *chart.Chart) error {
	have := map[string]bool{}
	for _, d := range c.Dependencies() {
		have[d.Name()] = true
	}
	var missing []string
	for _, d := range c.Metadata.Dependencies {
		if d != nil && !have[d.Name] {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("found in Chart.yaml, but missing in charts/ directory: %s (run `hoist dependency build`)", strings.Join(missing, ", "))
	}
	return nil
}

// KubeVersionCompatible reports whether version satisfies a Chart.yaml kubeVersion
// constraint (false when either does not parse).
func KubeVersionCompatible(constraint, version string) bool {
	v, err := semver.NewVersion(version)
	if err != nil {
		return false
	}
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return false
	}
	return c.Check(v)
}
