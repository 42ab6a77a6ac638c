package engine

import (
	"strings"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// Values is the type of .Values (and of the top-level object): a map with Helm's helper
// methods, which some charts call.
type Values map[string]any

// AsMap returns the values as a plain map (never nil).
func (v Values) AsMap() map[string]any {
	if len(v) == 0 {
		return map[string]any{}
	}
	return v
}

// YAML renders the values as YAML.
func (v Values) YAML() (string, error) {
	return toYAML(map[string]any(v)) + "\n", nil
}

// Table returns the map at a dotted path ("a.b"), or an error if something on the path
// is missing or not a map.
func (v Values) Table(name string) (Values, error) {
	t := v
	for _, key := range strings.Split(name, ".") {
		next, ok := t[key]
		if !ok {
			return t, &NoTableError{Name: key}
		}
		switch m := next.(type) {
		case map[string]any:
			t = m
		case Values:
			t = m
		default:
			return Values{}, &NoTableError{Name: key}
		}
	}
	return t, nil
}

// PathValue returns the non-map value at a dotted path.
func (v Values) PathValue(path string) (any, error) {
	if path == "" {
		return nil, &NoValueError{Key: path}
	}
	keys := strings.Split(path, ".")
	last := keys[len(keys)-1]
	t := v
	if len(keys) > 1 {
		var err error
		if t, err = v.Table(strings.Join(keys[:len(keys)-1], ".")); err != nil {
			return nil, &NoValueError{Key: last}
		}
	}
	val, ok := t[last]
	if _, isMap := val.(map[string]any); !ok || isMap {
		return nil, &NoValueError{Key: last}
	}
	return val, nil
}

// NoTableError reports a path element that is missing or not a map.
type NoTableError struct{ Name string }

func (e *NoTableError) Error() string { return "no table named \"" + e.Name + "\"" }

// NoValueError reports a missing value.
type NoValueError struct{ Key string }

func (e *NoValueError) Error() string { return "no value for key \"" + e.Key + "\"" }

// ReleaseOptions is the .Release object's input.
type ReleaseOptions struct {
	Name      string
	Namespace string
	Revision  int
	IsInstall bool
	IsUpgrade bool
}

// TopValues builds the object the root chart's templates see as ".": Chart, Capabilities,
// Release and Values (the coalesced values). Subcharts get theirs from it during Render.
func TopValues(c *chart.Chart, values map[string]any, rel ReleaseOptions, caps *Capabilities) Values {
	if caps == nil {
		caps = DefaultCapabilities()
	}
	if values == nil {
		values = map[string]any{}
	}
	return Values{
		"Chart":        metadataMap(c.Metadata),
		"Capabilities": caps,
		"Release": map[string]any{
			"Name":      rel.Name,
			"Namespace": rel.Namespace,
			"IsUpgrade": rel.IsUpgrade,
			"IsInstall": rel.IsInstall,
			"Revision":  rel.Revision,
			"Service":   "Helm",
		},
		"Values": Values(values),
	}
}

// metadataMap is .Chart: Chart.yaml's fields keyed by their Go names (.Chart.Name,
// .Chart.AppVersion), lists as []any and nested structs as maps, like Helm v4.
func metadataMap(m *chart.Metadata) map[string]any {
	if m == nil {
		return nil
	}
	strs := func(s []string) []any {
		out := make([]any, len(s))
		for i, x := range s {
			out[i] = x
		}
		return out
	}
	maintainers := make([]any, len(m.Maintainers))
	for i, mt := range m.Maintainers {
		if mt == nil {
			maintainers[i] = nil
			continue
		}
		maintainers[i] = map[string]any{"Name": mt.Name, "Email": mt.Email, "URL": mt.URL}
	}
	deps := make([]any, len(m.Dependencies))
	for i, d := range m.Dependencies {
		if d == nil {
			deps[i] = nil
			continue
		}
		imports := make([]any, len(d.ImportValues))
		copy(imports, d.ImportValues)
		deps[i] = map[string]any{
			"Name": d.Name, "Version": d.Version, "Repository": d.Repository,
			"Condition": d.Condition, "Tags": strs(d.Tags), "Enabled": d.Enabled,
			"ImportValues": imports, "Alias": d.Alias,
		}
	}
	return map[string]any{
		"Name":         m.Name,
		"Home":         m.Home,
		"Sources":      strs(m.Sources),
		"Version":      m.Version,
		"Description":  m.Description,
		"Keywords":     strs(m.Keywords),
		"Maintainers":  maintainers,
		"Icon":         m.Icon,
		"APIVersion":   m.APIVersion,
		"Condition":    m.Condition,
		"Tags":         m.Tags,
		"AppVersion":   m.AppVersion,
		"Deprecated":   m.Deprecated,
		"Annotations":  m.Annotations,
		"KubeVersion":  m.KubeVersion,
		"Dependencies": deps,
		"Type":         m.Type,
	}
}
