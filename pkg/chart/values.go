package chart

import (
	"bytes"
	"fmt"
	"maps"
	"strings"

	"sigs.k8s.io/yaml"
)

// ParseValues parses a values file the way Helm parses values.yaml: the data may
// hold several YAML documents separated by "---" lines, each a map (or empty); they
// are merged in order, maps recursively, later documents winning. Values are
// decoded through JSON (sigs.k8s.io/yaml), so every number is a float64 and keys
// are strings.
// Empty input gives an empty, non-nil map.
//
// A separator line is "---" at the start of a line followed only by spaces or a
// comment; anything else after "---" is an error, as in Helm.
func ParseValues(data []byte) (map[string]any, error) {
	values := map[string]any{}
	docs, err := splitYAMLDocuments(data)
	if err != nil {
		return nil, fmt.Errorf("error reading yaml document: %w", err)
	}
	for _, doc := range docs {
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, fmt.Errorf("cannot unmarshal yaml document: %w", err)
		}
		values = MergeMaps(values, m)
	}
	return values, nil
}

// splitYAMLDocuments cuts data into YAML documents the way Kubernetes' YAMLReader
// (which Helm uses) does: line by line, line ends normalised to "\n"; a line starting
// with "---" ends the current document and is dropped, unless it is the first line of
// one (the YAML parser reads it as the document start); it may carry only blanks or a
// comment after the dashes. Documents are never empty (but may be blank).
func splitYAMLDocuments(data []byte) ([][]byte, error) {
	var docs [][]byte
	var cur bytes.Buffer
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if rest, ok := bytes.CutPrefix(line, []byte("---")); ok {
			if t := strings.TrimSpace(string(rest)); t != "" && t[0] != '#' {
				return nil, fmt.Errorf("invalid Yaml document separator: %s", t)
			}
			if cur.Len() > 0 {
				docs = append(docs, bytes.Clone(cur.Bytes()))
				cur.Reset()
				continue
			}
		}
		cur.Write(line)
		cur.WriteByte('\n')
	}
	if cur.Len() > 0 {
		docs = append(docs, cur.Bytes())
	}
	return docs, nil
}

// MergeMaps returns a new map with b merged over a, as Helm merges values documents
// and -f files: where both hold a map the maps are merged recursively, otherwise b's
// value (a list, a scalar, a null) replaces a's. Neither argument is modified;
// unmerged values are shared, not copied.
func MergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	maps.Copy(out, a)
	for k, v := range b {
		if vm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = MergeMaps(am, vm)
				continue
			}
		}
		out[k] = v
	}
	return out
}
