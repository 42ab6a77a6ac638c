package action

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/render"
	"github.com/hoist-dev/hoist/pkg/values"
)

// Severity of a lint message.
type Severity int

// Severities, least severe first.
const (
	SeverityInfo Severity = iota
	SeverityWarning
	SeverityError
)

func (s Severity) String() string {
	switch s {
	case SeverityInfo:
		return "INFO"
	case SeverityWarning:
		return "WARNING"
	}
	return "ERROR"
}

// LintMessage is one finding, about a file of the chart ("Chart.yaml",
// "templates/deployment.yaml") and, where known, a line ("templates/x.yaml:12").
type LintMessage struct {
	Severity Severity `json:"severity"`
	Path     string   `json:"path"`
	Message  string   `json:"message"`
}

// LintOptions configure Lint.Run.
type LintOptions struct {
	// Charts are the chart directories or archives to lint.
	Charts []string `json:"charts"`
	// Values are the user's values (-f, --set…), applied over the chart's defaults.
	Values    map[string]any `json:"values,omitempty"`
	Namespace string         `json:"namespace,omitempty"`
	// KubeVersion overrides the default Kubernetes version.
	KubeVersion *engine.KubeVersion `json:"kubeVersion,omitempty"`
	// Strict fails on warnings and makes templates fail on missing keys.
	Strict bool `json:"strict,omitempty"`
	// WithSubcharts lints every subchart too.
	WithSubcharts        bool `json:"withSubcharts,omitempty"`
	SkipSchemaValidation bool `json:"skipSchemaValidation,omitempty"`
}

// LintReport is the findings for one chart.
type LintReport struct {
	Chart    string        `json:"chart"`
	Messages []LintMessage `json:"messages"`
}

// LintResult is the reports of every chart linted (subcharts after their parent),
// and how many failed.
type LintResult struct {
	Reports []LintReport `json:"reports"`
	// Failed counts the reports with errors (with Strict, also warnings).
	Failed int `json:"failed"`
}

// Failed reports whether the report counts as a failed lint (errors; with strict,
// also warnings).
func (r LintReport) Failed(strict bool) bool {
	for _, m := range r.Messages {
		if m.Severity == SeverityError || (strict && m.Severity == SeverityWarning) {
			return true
		}
	}
	return false
}

// Lint checks charts: Chart.yaml, values and their schema, dependencies, that every
// template renders, and that each rendered document is valid YAML with a valid name;
// CRDs under crds/ must be CustomResourceDefinitions.
type Lint struct{}

// Run lints every chart of opts.Charts. What is wrong with a chart is in its report,
// not an error: a chart that does not load is a failed report.
func (Lint) Run(ctx context.Context, opts LintOptions) (LintResult, error) {
	res := LintResult{Reports: []LintReport{}}
	for _, ref := range opts.Charts {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		res.Reports = append(res.Reports, lintRef(ctx, ref, opts)...)
	}
	for _, r := range res.Reports {
		if r.Failed(opts.Strict) {
			res.Failed++
		}
	}
	return res, nil
}

// lintRef lints the chart ref names and, with WithSubcharts, its subcharts.
func lintRef(ctx context.Context, ref string, opts LintOptions) []LintReport {
	c, err := chart.Load(ref)
	if err != nil {
		return []LintReport{{Chart: ref, Messages: []LintMessage{{SeverityError, "Chart.yaml", err.Error()}}}}
	}
	results := []LintReport{lintChart(ctx, ref, c, opts)}
	if opts.WithSubcharts {
		var walk func(parent string, c *chart.Chart)
		walk = func(parent string, c *chart.Chart) {
			for _, d := range c.Dependencies() {
				p := path.Join(parent, "charts", d.Name())
				sub := opts
				sub.Values = subValues(opts.Values, d.Name())
				results = append(results, lintChart(ctx, p, d, sub))
				walk(p, d)
			}
		}
		walk(ref, c)
	}
	return results
}

func subValues(v map[string]any, name string) map[string]any {
	if m, ok := v[name].(map[string]any); ok {
		return m
	}
	return map[string]any{}
}

type linter struct {
	res LintReport
}

func (l *linter) add(s Severity, p, format string, args ...any) {
	l.res.Messages = append(l.res.Messages, LintMessage{Severity: s, Path: p, Message: fmt.Sprintf(format, args...)})
}

func lintChart(ctx context.Context, ref string, c *chart.Chart, opts LintOptions) LintReport {
	l := &linter{res: LintReport{Chart: ref}}
	lintMetadata(l, c)
	if len(c.Templates) == 0 {
		l.add(SeverityWarning, "templates/", "directory does not exist or holds no templates")
	}
	if err := render.CheckDependencies(c); err != nil {
		l.add(SeverityError, "Chart.yaml", "%v", err)
	}
	lintCRDs(l, c)
	if c.IsLibrary() {
		return l.res
	}
	// Render a copy, so dependency processing does not change the caller's chart.
	userVals := opts.Values
	if userVals == nil {
		userVals = map[string]any{}
	}
	if err := values.ProcessDependencies(c, userVals); err != nil {
		l.add(SeverityError, "Chart.yaml", "dependencies: %v", err)
		return l.res
	}
	coalesced, err := values.Coalesce(c, userVals)
	if err != nil {
		l.add(SeverityError, "values.yaml", "%v", err)
		return l.res
	}
	if !opts.SkipSchemaValidation {
		if err := values.ValidateAgainstSchemas(c, coalesced); err != nil {
			l.add(SeverityError, "values.yaml", "%v", err)
		}
	}
	caps := engine.DefaultCapabilities()
	if opts.KubeVersion != nil {
		caps.KubeVersion = *opts.KubeVersion
	}
	if kv := c.Metadata.KubeVersion; kv != "" && !render.KubeVersionCompatible(kv, caps.KubeVersion.String()) {
		l.add(SeverityError, "Chart.yaml", "chart requires kubeVersion: %s which is incompatible with Kubernetes %s", kv, caps.KubeVersion.Version)
	}
	ns := opts.Namespace
	if ns == "" {
		ns = "default"
	}
	top := engine.TopValues(c, coalesced, engine.ReleaseOptions{Name: "release-name", Namespace: ns, Revision: 1, IsInstall: true}, caps)
	files, err := engine.Render(ctx, c, top, engine.Options{
		Strict: opts.Strict, LintMode: true,
		Warn: func(m string) { l.add(SeverityInfo, "templates/", "%s", m) },
	})
	if err != nil {
		l.add(SeverityError, "templates/", "%v", err)
		return l.res
	}
	prefix := c.Name() + "/"
	for _, name := range slices.Sorted(maps.Keys(files)) {
		rel := strings.TrimPrefix(name, prefix)
		if strings.Contains(rel, "charts/") && !strings.HasPrefix(rel, "templates/") {
			continue // subcharts are linted on their own with --with-subcharts
		}
		switch strings.ToLower(path.Ext(rel)) {
		case ".yaml", ".yml", ".tpl", ".txt":
		default:
			l.add(SeverityError, rel, "file extension %q not valid: use .yaml, .yml, .tpl or .txt", path.Ext(rel))
		}
		if path.Base(rel) == "NOTES.txt" || strings.TrimSpace(files[name]) == "" {
			continue
		}
		for _, doc := range engine.SplitDocuments(files[name]) {
			lintDocument(l, rel, doc)
		}
	}
	return l.res
}

func lintMetadata(l *linter, c *chart.Chart) {
	m := c.Metadata
	switch {
	case m.APIVersion == "":
		l.add(SeverityError, "Chart.yaml", "apiVersion is required (v2 for new charts)")
	case m.APIVersion != chart.APIVersionV1 && m.APIVersion != chart.APIVersionV2:
		l.add(SeverityError, "Chart.yaml", "apiVersion %q is not valid: want v1 or v2", m.APIVersion)
	}
	if m.Name == "" {
		l.add(SeverityError, "Chart.yaml", "name is required")
	} else if !chartNameRE.MatchString(m.Name) {
		l.add(SeverityWarning, "Chart.yaml", "name %q should be lower-case letters, digits and '-'", m.Name)
	}
	if m.Version == "" {
		l.add(SeverityError, "Chart.yaml", "version is required")
	} else if _, err := semver.StrictNewVersion(strings.TrimPrefix(m.Version, "v")); err != nil {
		l.add(SeverityError, "Chart.yaml", "version %q is not a valid SemVer 2 version: %v", m.Version, err)
	}
	if t := m.Type; t != "" && t != "application" && t != "library" {
		l.add(SeverityError, "Chart.yaml", "type %q is not valid: want application or library", t)
	}
	if m.Icon == "" {
		l.add(SeverityInfo, "Chart.yaml", "icon is recommended")
	}
	if m.KubeVersion != "" {
		if _, err := semver.NewConstraint(m.KubeVersion); err != nil {
			l.add(SeverityError, "Chart.yaml", "kubeVersion %q is not a valid SemVer constraint: %v", m.KubeVersion, err)
		}
	}
	for _, mt := range m.Maintainers {
		if mt == nil || mt.Name == "" {
			l.add(SeverityError, "Chart.yaml", "each maintainer needs a name")
		}
	}
	if m.Deprecated {
		l.add(SeverityWarning, "Chart.yaml", "chart is deprecated")
	}
}

func lintCRDs(l *linter, c *chart.Chart) {
	for _, crd := range c.CRDObjects() {
		if crd.Filename != path.Join(c.ChartFullPath(), crd.Name) {
			continue // a subchart's, linted with --with-subcharts
		}
		for _, doc := range engine.SplitDocuments(string(crd.File.Data)) {
			var head engine.Head
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				l.add(SeverityError, crd.Name, "unable to parse YAML: %v", err)
				continue
			}
			if !strings.HasPrefix(head.APIVersion, "apiextensions.k8s.io/") || head.Kind != "CustomResourceDefinition" {
				l.add(SeverityError, crd.Name, "crds/ may hold only CustomResourceDefinitions (apiextensions.k8s.io), found %s %s", head.APIVersion, head.Kind)
			}
		}
	}
}

type lintObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name         string `json:"name"`
		GenerateName string `json:"generateName"`
		Namespace    string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		Selector *struct {
			MatchLabels      map[string]any `json:"matchLabels"`
			MatchExpressions []any          `json:"matchExpressions"`
		} `json:"selector"`
	} `json:"spec"`
}

var dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

func lintDocument(l *linter, file, doc string) {
	if first := firstContentLine(doc); first != "" && (first[0] == ' ' || first[0] == '\t') {
		l.add(SeverityWarning, file, "document starts with an illegal indent: %q, which may cause parsing problems", first)
	}
	var obj lintObject
	if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
		l.add(SeverityError, file, "unable to parse YAML: %v", errors.Unwrap(err))
		return
	}
	if obj.Kind == "" && obj.APIVersion == "" {
		return // a comment-only or data-only document
	}
	if obj.APIVersion == "" {
		l.add(SeverityError, file, "%s has no apiVersion", obj.Kind)
	}
	if obj.Kind == "" {
		l.add(SeverityError, file, "document with apiVersion %s has no kind", obj.APIVersion)
	}
	if n := obj.Metadata.Name; n != "" && (len(n) > 253 || !dnsSubdomain.MatchString(n)) {
		l.add(SeverityWarning, file, "object name does not conform to Kubernetes naming requirements: %q", n)
	}
	switch obj.Kind {
	case "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet":
		if s := obj.Spec.Selector; s == nil || (len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0) {
			l.add(SeverityError, file, "a %s must contain matchLabels or matchExpressions, and %q does not", obj.Kind, obj.Metadata.Name)
		}
	}
}

func firstContentLine(doc string) string {
	for _, line := range strings.Split(doc, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		return line
	}
	return ""
}
