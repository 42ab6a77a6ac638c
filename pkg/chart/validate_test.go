package chart

import (
	"errors"
	"testing"
)

func TestMetadataValidate(t *testing.T) {
	valid := func() *Metadata { return &Metadata{APIVersion: "v2", Name: "c", Version: "1.0.0"} }
	with := func(edit func(*Metadata)) *Metadata { md := valid(); edit(md); return md }
	tests := []struct {
		name string
		md   *Metadata
		want error // nil or the ValidationError
	}{
		{"valid", valid(), nil},
		{"nil", nil, ValidationError("chart.metadata is required")},
		{"no apiVersion", with(func(m *Metadata) { m.APIVersion = "" }), ValidationError("chart.metadata.apiVersion is required")},
		{"any apiVersion", with(func(m *Metadata) { m.APIVersion = "v7" }), nil},
		{"no name", with(func(m *Metadata) { m.Name = "" }), ValidationError("chart.metadata.name is required")},
		{"name made of control characters", with(func(m *Metadata) { m.Name = "\x00\x01" }), ValidationError("chart.metadata.name is required")},
		{"name .", with(func(m *Metadata) { m.Name = "." }), ValidationError(`chart.metadata.name "." is not allowed`)},
		{"name ..", with(func(m *Metadata) { m.Name = ".." }), ValidationError(`chart.metadata.name ".." is not allowed`)},
		{"name with a slash", with(func(m *Metadata) { m.Name = "../../test" }), ValidationError(`chart.metadata.name "../../test" is invalid`)},
		{"name ending in a slash", with(func(m *Metadata) { m.Name = "c/" }), ValidationError(`chart.metadata.name "c/" is invalid`)},
		{"no version", with(func(m *Metadata) { m.Version = "" }), ValidationError("chart.metadata.version is required")},
		{"version not semver", with(func(m *Metadata) { m.Version = "1.2.3.4" }), ValidationError(`chart.metadata.version "1.2.3.4" is invalid`)},
		{"version with a v", with(func(m *Metadata) { m.Version = "v1.2.3" }), nil},
		{"version short", with(func(m *Metadata) { m.Version = "1.2" }), nil},
		{"version prerelease and build", with(func(m *Metadata) { m.Version = "1.2.3-rc.1+build.5" }), nil},
		{"version words", with(func(m *Metadata) { m.Version = "latest" }), ValidationError(`chart.metadata.version "latest" is invalid`)},
		{"type application", with(func(m *Metadata) { m.Type = "application" }), nil},
		{"type library", with(func(m *Metadata) { m.Type = "library" }), nil},
		{"type other", with(func(m *Metadata) { m.Type = "Library" }), ValidationError("chart.metadata.type must be application or library")},
		{"null maintainer", with(func(m *Metadata) { m.Maintainers = []*Maintainer{{Name: "a"}, nil} }), ValidationError("maintainers must not contain empty or null nodes")},
		{"null dependency", with(func(m *Metadata) { m.Dependencies = []*Dependency{nil} }), ValidationError("dependencies must not contain empty or null nodes")},
		{"alias with a dot", with(func(m *Metadata) { m.Dependencies = []*Dependency{{Name: "bad", Alias: "a.b"}} }), ValidationError(`dependency "bad" has disallowed characters in the alias`)},
		{"alias ok", with(func(m *Metadata) { m.Dependencies = []*Dependency{{Name: "d", Alias: "a_B-9"}} }), nil},
		{"duplicate names", with(func(m *Metadata) { m.Dependencies = []*Dependency{{Name: "foo"}, {Name: "foo"}} }), ValidationError(`more than one dependency with name or alias "foo"`)},
		{"alias equal to a name", with(func(m *Metadata) { m.Dependencies = []*Dependency{{Name: "foo"}, {Name: "bar", Alias: "foo"}} }), ValidationError(`more than one dependency with name or alias "foo"`)},
		{"same name, different aliases", with(func(m *Metadata) {
			m.Dependencies = []*Dependency{{Name: "foo", Alias: "a"}, {Name: "foo", Alias: "b"}}
		}), nil},
		{"duplicate aliases", with(func(m *Metadata) {
			m.Dependencies = []*Dependency{{Name: "x", Alias: "foo"}, {Name: "y", Alias: "foo"}}
		}), ValidationError(`more than one dependency with name or alias "foo"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.md.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Validate() = %v, want %v", err, tt.want)
			}
			var ve, want ValidationError
			if !errors.As(err, &ve) || !errors.As(tt.want, &want) || err.Error() != "validation: "+string(want) {
				t.Errorf("error %q is not Helm's", err)
			}
		})
	}
}

func TestMetadataValidateSanitizes(t *testing.T) {
	md := &Metadata{
		APIVersion: "v2", Name: "c\u200b", Version: "1.0.0",
		Description: "line one\nline\ttwo\x07", Home: "h\r", Icon: "i\x00", Condition: "c\x1b", Tags: "t\u00a0",
		AppVersion: "1.0\n", KubeVersion: ">=1.20\x7f", Sources: []string{"s\x01"}, Keywords: []string{"k\x02"},
		Maintainers:  []*Maintainer{{Name: "n\x03", Email: "e\n", URL: "u\x04"}},
		Dependencies: []*Dependency{{Name: "d\x05", Version: "1\t", Repository: "r\x06", Condition: "c\x0e", Tags: []string{"t\x0f"}}},
	}
	if err := md.Validate(); err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]string{
		"name":          {md.Name, "c"}, // U+200B is not printable
		"description":   {md.Description, "line one line two"},
		"home":          {md.Home, "h "},
		"icon":          {md.Icon, "i"},
		"condition":     {md.Condition, "c"},
		"tags":          {md.Tags, "t "},
		"appVersion":    {md.AppVersion, "1.0 "},
		"kubeVersion":   {md.KubeVersion, ">=1.20"},
		"source":        {md.Sources[0], "s"},
		"keyword":       {md.Keywords[0], "k"},
		"maintainer":    {md.Maintainers[0].Name + md.Maintainers[0].Email + md.Maintainers[0].URL, "ne u"},
		"dependency":    {md.Dependencies[0].Name + md.Dependencies[0].Version + md.Dependencies[0].Repository, "d1 r"},
		"dep condition": {md.Dependencies[0].Condition + md.Dependencies[0].Tags[0], "ct"},
	}
	for field, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", field, c[0], c[1])
		}
	}
}
