package repo

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
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

// decodeYAMLIndex decodes the whole document at once: its YAML nodes, several times
// the size of the text, are all alive until the end.
func decodeYAMLIndex(r io.ReadSeeker) (*IndexFile, error) {
	var y yamlIndex
	if err := decodeYAML(r, &y); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty")
		}
		return nil, err
	}
	i := y.index()
	if y.Entries != nil {
		i.Entries = make(map[string]ChartVersions, len(y.Entries))
	}
	if err := y.moveEntries(i.Entries); err != nil {
		return nil, err
	}
	return i, nil
}

func (y *yamlIndex) index() *IndexFile {
	return &IndexFile{APIVersion: y.APIVersion, Generated: y.Generated, PublicKeys: y.PublicKeys, Annotations: y.Annotations}
}

// moveEntries converts y's entries into into, dropping each mirror once converted.
func (y *yamlIndex) moveEntries(into map[string]ChartVersions) error {
	for name, yvs := range y.Entries {
		vs := make(ChartVersions, len(yvs))
		for j, yv := range yvs {
			if yv != nil {
				vs[j] = yv.toChartVersion()
			}
		}
		into[name] = vs
		delete(y.Entries, name)
	}
	return nil
}

var errNotChunkable = errors.New("not in the block layout decodeYAMLChunked reads")

// decodeYAMLChunked decodes an index in the block layout Helm and other repository
// tools write ("entries:" at the top level, then one key per chart, each more
// indented) one chart at a time, so only one chart's YAML nodes are alive at once.
// Each chart is decoded from its own lines exactly as they are, after "entries:\n".
// Any other layout (flow style, tabs, several documents, anchors used across charts…)
// or any error returns an error, and the caller decodes the whole document instead:
// this is only ever a cheaper way to the same result.
func decodeYAMLChunked(r io.Reader) (*IndexFile, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		rest       bytes.Buffer // the top level without the entries
		chunk      bytes.Buffer // one chart's lines
		inEntries  bool
		sawEntries bool
		started    bool // a line other than blanks, comments and a first "---"
		topKey     bool // a line at column 0 of the top level
		keyIndent  = -1 // the chart keys' indentation
		entries    = map[string]ChartVersions{}
	)
	flush := func() error {
		if chunk.Len() == 0 {
			return nil
		}
		var y yamlIndex
		doc := append([]byte("entries:\n"), chunk.Bytes()...)
		if err := decodeYAML(bytes.NewReader(doc), &y); err != nil {
			return err
		}
		chunk.Reset()
		if len(y.Entries) != 1 || y.APIVersion != "" {
			return errNotChunkable
		}
		return y.moveEntries(entries)
	}
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			ind := 0
			for ind < len(line) && line[ind] == ' ' {
				ind++
			}
			content := bytes.TrimRight(line[ind:], " \t\r\n")
			blank := len(content) == 0
			comment := !blank && content[0] == '#'
			tab := !blank && content[0] == '\t'
			seq := !blank && content[0] == '-' && (len(content) == 1 || content[1] == ' ')
			switch {
			case blank || comment:
				if inEntries {
					if chunk.Len() > 0 {
						chunk.Write(line)
					}
				} else {
					rest.Write(line)
				}
				goto next
			case ind == 0 && (tab || bytes.HasPrefix(content, []byte("%")) || bytes.HasPrefix(content, []byte("..."))):
				return nil, errNotChunkable
			case ind == 0 && bytes.HasPrefix(content, []byte("---")):
				if started || len(content) > 3 {
					return nil, errNotChunkable
				}
				started = true
				goto next
			}
			started = true
			if inEntries {
				switch {
				case ind == 0 && !seq:
					if err := flush(); err != nil {
						return nil, err
					}
					inEntries = false // and read the line at the top level, below
				case ind == 0, tab && ind <= keyIndent:
					return nil, errNotChunkable
				case keyIndent < 0:
					if seq || tab {
						return nil, errNotChunkable
					}
					keyIndent = ind
					chunk.Write(line)
					goto next
				case ind < keyIndent:
					return nil, errNotChunkable
				case ind == keyIndent && !seq:
					if err := flush(); err != nil {
						return nil, err
					}
					chunk.Write(line)
					goto next
				default:
					chunk.Write(line)
					goto next
				}
			}
			// The top level is a block mapping whose keys start at column 0.
			if ind == 0 && (seq || content[0] == '?') || ind > 0 && !topKey {
				return nil, errNotChunkable
			}
			topKey = true
			if ind == 0 && isEntriesKey(content) {
				if sawEntries {
					return nil, errNotChunkable
				}
				sawEntries, inEntries = true, true
				goto next
			}
			rest.Write(line)
		}
	next:
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	var y yamlIndex
	if err := decodeYAML(bytes.NewReader(rest.Bytes()), &y); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if err := y.moveEntries(entries); err != nil {
		return nil, err
	}
	if !sawEntries && len(entries) == 0 && y.Entries == nil {
		return nil, errNotChunkable // let the whole-document decoder say what is wrong
	}
	i := y.index()
	i.Entries = entries
	return i, nil
}

// decodeYAML decodes the first document of r into out. A key given twice in a
// mapping, which yaml.v3 refuses, is read as Helm reads it (through
// sigs.k8s.io/yaml): the last one wins.
func decodeYAML(r io.ReadSeeker, out any) error {
	err := yaml.NewDecoder(r).Decode(out)
	var te *yaml.TypeError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "already defined at line") {
		return err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	var n yaml.Node
	if err := yaml.NewDecoder(r).Decode(&n); err != nil {
		return err
	}
	lastKeyWins(&n)
	reset := reflect.ValueOf(out).Elem()
	reset.Set(reflect.Zero(reset.Type()))
	return n.Decode(out)
}

// lastKeyWins drops every mapping pair whose key comes again later in its mapping.
func lastKeyWins(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		last := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.ScalarNode {
				last[k.Value] = i
			}
		}
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind != yaml.ScalarNode || last[k.Value] == i {
				kept = append(kept, n.Content[i], n.Content[i+1])
			}
		}
		n.Content = kept
	}
	for _, c := range n.Content {
		lastKeyWins(c)
	}
}

// isEntriesKey reports whether a top-level line is "entries:" with nothing after it
// but a comment.
func isEntriesKey(content []byte) bool {
	after, ok := bytes.CutPrefix(content, []byte("entries:"))
	if !ok {
		return false
	}
	if len(after) == 0 {
		return true
	}
	if after[0] != ' ' && after[0] != '\t' {
		return false // "entries:x" is another key
	}
	after = bytes.TrimLeft(after, " \t")
	return len(after) == 0 || after[0] == '#'
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
