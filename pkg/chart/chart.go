package chart

import (
	"path"
	"strings"
)

// File is a file of a chart. Name is slash-separated and relative to the chart's root
// ("templates/deployment.yaml", "crds/crd.yaml", "README.md").
type File struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
}

// Chart is a loaded chart and, through Dependencies, its subcharts.
type Chart struct {
	// Metadata is Chart.yaml (for apiVersion v1 charts, with requirements.yaml's
	// dependencies merged in).
	Metadata *Metadata `json:"metadata"`
	// Lock is Chart.lock (or requirements.lock), when present.
	Lock *Lock `json:"lock,omitempty"`
	// Templates are the files under templates/, in the order they were loaded, as in
	// Helm: for a directory, a walk in lexical order within each directory; for an
	// archive, the archive's order. (The engine sorts them itself.)
	Templates []*File `json:"templates"`
	// Values are the chart's default values (values.yaml); never nil.
	Values map[string]any `json:"values"`
	// RawValues is values.yaml as written, comments and all (`hoist show values`).
	RawValues []byte `json:"-"`
	// Schema is values.schema.json, when present.
	Schema []byte `json:"schema,omitempty"`
	// Files are the chart's other files that .helmignore keeps (README, LICENSE,
	// crds/…, config files read through .Files, .helmignore itself), in the order
	// they were loaded. Chart.yaml, values.yaml, values.schema.json, Chart.lock,
	// templates/ and charts/ are not among them, except .prov files under charts/;
	// requirements.yaml and requirements.lock are among them for apiVersion v1
	// charts only (as in Helm).
	Files []*File `json:"files"`

	parent       *Chart
	dependencies []*Chart
}

// Name is the chart's name from Chart.yaml (for an aliased subchart, the alias once
// dependencies have been processed).
func (c *Chart) Name() string {
	if c.Metadata == nil {
		return ""
	}
	return c.Metadata.Name
}

// Parent is the chart this one is a subchart of, or nil for the root.
func (c *Chart) Parent() *Chart { return c.parent }

// IsRoot reports whether the chart is the top-level chart.
func (c *Chart) IsRoot() bool { return c.parent == nil }

// Root returns the top-level chart.
func (c *Chart) Root() *Chart {
	for c.parent != nil {
		c = c.parent
	}
	return c
}

// Dependencies are the subcharts (from charts/), in the order they were loaded.
func (c *Chart) Dependencies() []*Chart { return c.dependencies }

// SetDependencies replaces the subcharts.
func (c *Chart) SetDependencies(deps ...*Chart) {
	c.dependencies = nil
	c.AddDependency(deps...)
}

// AddDependency appends subcharts and makes c their parent.
func (c *Chart) AddDependency(deps ...*Chart) {
	for _, d := range deps {
		d.parent = c
		c.dependencies = append(c.dependencies, d)
	}
}

// ChartPath is the chart's path in dot notation from the root ("parent.sub").
func (c *Chart) ChartPath() string {
	if c.parent != nil {
		return c.parent.ChartPath() + "." + c.Name()
	}
	return c.Name()
}

// ChartFullPath is the chart's path as template names see it ("parent/charts/sub").
func (c *Chart) ChartFullPath() string {
	if c.parent != nil {
		return c.parent.ChartFullPath() + "/charts/" + c.Name()
	}
	return c.Name()
}

// IsLibrary reports whether the chart is of type library (its templates are never
// rendered as manifests, only used through include and define).
func (c *Chart) IsLibrary() bool {
	return c.Metadata != nil && c.Metadata.Type == "library"
}

// AppVersion is Chart.yaml's appVersion.
func (c *Chart) AppVersion() string {
	if c.Metadata == nil {
		return ""
	}
	return c.Metadata.AppVersion
}

// CRD is a file from a crds/ directory of the chart or one of its subcharts.
type CRD struct {
	// Name is the file's name within its chart ("crds/foo.yaml").
	Name string
	// Filename includes the chart's full path ("parent/charts/sub/crds/foo.yaml").
	Filename string
	File     *File
}

// CRDObjects returns the manifest files (.yaml, .yml, .json) of the crds/ directories
// of the chart and its subcharts, parent first.
func (c *Chart) CRDObjects() []CRD {
	var out []CRD
	for _, f := range c.Files {
		if strings.HasPrefix(f.Name, "crds/") && isManifest(f.Name) {
			out = append(out, CRD{Name: f.Name, Filename: path.Join(c.ChartFullPath(), f.Name), File: f})
		}
	}
	for _, d := range c.dependencies {
		out = append(out, d.CRDObjects()...)
	}
	return out
}

func isManifest(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}
