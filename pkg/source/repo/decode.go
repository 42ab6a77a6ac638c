package repo

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// firstByte is the first byte of br that is not white space (without consuming it).
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return 0, errors.New("empty")
		}
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, br.UnreadByte()
	}
}

// decodeJSONIndex decodes one JSON document that is all of r, or returns nil (not
// JSON: the caller reads it as YAML, as LoadIndex always has).
func decodeJSONIndex(r io.Reader) *IndexFile {
	dec := json.NewDecoder(r)
	i := &IndexFile{}
	if err := dec.Decode(i); err != nil {
		return nil
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil
	}
	return i
}

// The YAML form of the index. chart.Metadata has JSON tags only, so the YAML decoder
// fills these mirrors and toIndex moves their fields over (strings and slices are
// shared, not copied). One Decode call covers the whole document, so the decoder's
// alias-expansion limit applies to all of it.
type yamlIndex struct {
	APIVersion  string                    `yaml:"apiVersion"`
	Generated   time.Time                 `yaml:"generated"`
	Entries     map[string][]*yamlVersion `yaml:"entries"`
	PublicKeys  []string                  `yaml:"publicKeys"`
	Annotations map[string]string         `yaml:"annotations"`
}

type yamlVersion struct {
	Name         string            `yaml:"name"`
	Home         string            `yaml:"home"`
	Sources      []string          `yaml:"sources"`
	Version      string            `yaml:"version"`
	Description  string            `yaml:"description"`
	Keywords     []string          `yaml:"keywords"`
	Maintainers  []*yamlMaintainer `yaml:"maintainers"`
	Icon         string            `yaml:"icon"`
	APIVersion   string            `yaml:"apiVersion"`
	Condition    string            `yaml:"condition"`
	Tags         string            `yaml:"tags"`
	AppVersion   string            `yaml:"appVersion"`
	Deprecated   bool              `yaml:"deprecated"`
	Annotations  map[string]string `yaml:"annotations"`
	KubeVersion  string            `yaml:"kubeVersion"`
	Dependencies []*yamlDependency `yaml:"dependencies"`
	Type         string            `yaml:"type"`

	URLs    []string  `yaml:"urls"`
	Created time.Time `yaml:"created"`
	Removed bool      `yaml:"removed"`
	Digest  string    `yaml:"digest"`
}

type yamlMaintainer struct {
	Name  string `yaml:"name"`
	Email string `yaml:"email"`
	URL   string `yaml:"url"`
}

type yamlDependency struct {
	Name         string   `yaml:"name"`
	Version      string   `yaml:"version"`
	Repository   string   `yaml:"repository"`
	Condition    string   `yaml:"condition"`
	Tags         []string `yaml:"tags"`
	Enabled      bool     `yaml:"enabled"`
	ImportValues []any    `yaml:"import-values"`
	Alias        string   `yaml:"alias"`
}

func decodeYAMLIndex(r io.Reader) (*IndexFile, error) {
	var y yamlIndex
	if err := yaml.NewDecoder(r).Decode(&y); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty")
		}
		return nil, err
	}
	i := &IndexFile{
		APIVersion:  y.APIVersion,
		Generated:   y.Generated,
		PublicKeys:  y.PublicKeys,
		Annotations: y.Annotations,
	}
	if y.Entries != nil {
		i.Entries = make(map[string]ChartVersions, len(y.Entries))
	}
	for name, yvs := range y.Entries {
		vs := make(ChartVersions, len(yvs))
		for j, yv := range yvs {
			if yv != nil {
				vs[j] = yv.toChartVersion()
			}
		}
		i.Entries[name] = vs
		delete(y.Entries, name) // let the mirrors go as we go
	}
	return i, nil
}

func (y *yamlVersion) toChartVersion() *ChartVersion {
	m := &chart.Metadata{
		Name: y.Name, Home: y.Home, Sources: y.Sources, Version: y.Version,
		Description: y.Description, Keywords: y.Keywords, Icon: y.Icon,
		APIVersion: y.APIVersion, Condition: y.Condition, Tags: y.Tags,
		AppVersion: y.AppVersion, Deprecated: y.Deprecated, Annotations: y.Annotations,
		KubeVersion: y.KubeVersion, Type: y.Type,
	}
	if y.Maintainers != nil {
		m.Maintainers = make([]*chart.Maintainer, len(y.Maintainers))
		for k, ym := range y.Maintainers {
			if ym != nil {
				m.Maintainers[k] = &chart.Maintainer{Name: ym.Name, Email: ym.Email, URL: ym.URL}
			}
		}
	}
	if y.Dependencies != nil {
		m.Dependencies = make([]*chart.Dependency, len(y.Dependencies))
		for k, yd := range y.Dependencies {
			if yd != nil {
				m.Dependencies[k] = &chart.Dependency{
					Name: yd.Name, Version: yd.Version, Repository: yd.Repository,
					Condition: yd.Condition, Tags: yd.Tags, Enabled: yd.Enabled,
					ImportValues: yd.ImportValues, Alias: yd.Alias,
				}
			}
		}
	}
	return &ChartVersion{Metadata: m, URLs: y.URLs, Created: y.Created, Removed: y.Removed, Digest: y.Digest}
}
