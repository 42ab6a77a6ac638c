package engine

import (
	"encoding/base64"
	"path"
	"strings"

	"github.com/gobwas/glob"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// Files is the .Files object: a chart's non-template files by name.
type Files map[string][]byte

func newFiles(from []*chart.File) Files {
	f := make(Files, len(from))
	for _, file := range from {
		f[file.Name] = file.Data
	}
	return f
}

// GetBytes returns a file's content, or an empty slice.
func (f Files) GetBytes(name string) []byte {
	if b, ok := f[name]; ok {
		return b
	}
	return []byte{}
}

// Get returns a file's content as a string, or "".
func (f Files) Get(name string) string { return string(f.GetBytes(name)) }

// Glob returns the files whose names match a glob pattern ("config/**", "*.conf");
// '/' separates path elements. A bad pattern matches everything, as in Helm.
func (f Files) Glob(pattern string) Files {
	g, err := glob.Compile(pattern, '/')
	if err != nil {
		g = glob.MustCompile("**")
	}
	out := Files{}
	for name, b := range f {
		if g.Match(name) {
			out[name] = b
		}
	}
	return out
}

// AsConfig renders the files as a YAML map of base name to content, for ConfigMap data.
func (f Files) AsConfig() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string, len(f))
	for name, b := range f {
		m[path.Base(name)] = string(b)
	}
	return toYAML(m)
}

// AsSecrets renders the files as a YAML map of base name to base64 content, for Secret data.
func (f Files) AsSecrets() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string, len(f))
	for name, b := range f {
		m[path.Base(name)] = base64.StdEncoding.EncodeToString(b)
	}
	return toYAML(m)
}

// Lines returns a file's lines, without a final empty line.
func (f Files) Lines(name string) []string {
	b := f[name]
	if len(b) == 0 {
		return []string{}
	}
	s := strings.TrimSuffix(string(b), "\n")
	return strings.Split(s, "\n")
}
