package values

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// Options are the values a user gives on the command line: -f files and the --set
// family, each in the order given.
type Options struct {
	ValueFiles    []string // -f/--values: YAML files, "-" for stdin
	Values        []string // --set
	StringValues  []string // --set-string
	FileValues    []string // --set-file
	JSONValues    []string // --set-json
	LiteralValues []string // --set-literal
}

// Merge merges the options into one map in Helm's order: the -f files, each over the
// ones before it (maps merged, everything else replaced, a null kept as null), then
// --set-json, --set, --set-string, --set-file and --set-literal, each argument in
// turn. Files, and the paths of --set-file, are read with readFile (ReadFile when
// nil; relative paths are then relative to the current directory), except "-", which
// reads stdin, at most MaxFileSize bytes of it. Errors name the file or the flag.
func (o Options) Merge(readFile func(string) ([]byte, error), stdin io.Reader) (map[string]any, error) {
	if readFile == nil {
		readFile = ReadFile
	}
	read := func(path string) ([]byte, error) {
		if strings.TrimSpace(path) == "-" {
			if stdin == nil {
				return nil, errors.New("no standard input to read - from")
			}
			data, err := io.ReadAll(io.LimitReader(stdin, MaxFileSize+1))
			if err != nil {
				return nil, fmt.Errorf("reading standard input: %w", err)
			}
			if len(data) > MaxFileSize {
				return nil, fmt.Errorf("standard input: %w: more than the maximum size %d", chart.ErrLimitExceeded, MaxFileSize)
			}
			return data, nil
		}
		return readFile(path)
	}

	base := map[string]any{}
	for _, path := range o.ValueFiles {
		data, err := read(path)
		if err != nil {
			return nil, fmt.Errorf("values file %s: %w", path, err)
		}
		vals, err := ReadValues(data)
		if err != nil {
			return nil, fmt.Errorf("failed to parse %s: %w", path, err)
		}
		base = MergeMaps(base, vals)
	}
	for _, s := range o.JSONValues {
		if err := ParseSetJSON(s, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set-json data: %w", err)
		}
	}
	for _, s := range o.Values {
		if err := ParseSet(s, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set data: %w", err)
		}
	}
	for _, s := range o.StringValues {
		if err := ParseSetString(s, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set-string data: %w", err)
		}
	}
	for _, s := range o.FileValues {
		if err := ParseSetFile(s, base, read); err != nil {
			return nil, fmt.Errorf("failed parsing --set-file data: %w", err)
		}
	}
	for _, s := range o.LiteralValues {
		if err := ParseSetLiteral(s, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set-literal data: %w", err)
		}
	}
	return base, nil
}

// MaxFileSize is the largest values file (-f) or --set-file file read, as for a
// file of a chart (chart.DefaultMaxFileSize).
const MaxFileSize = chart.DefaultMaxFileSize

// ReadFile reads a values file from disk, of at most MaxFileSize bytes (more is
// chart.ErrLimitExceeded): a regular file or a pipe (as -f <(sops -d x.yaml)
// gives). Anything else, a device such as /dev/zero, a socket, a directory, is
// refused before it is read (chart.ErrUnsupportedFile).
func ReadFile(path string) ([]byte, error) {
	if fi, err := os.Stat(path); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		return chart.ReadFile(path, MaxFileSize)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: more than the maximum size %d", chart.ErrLimitExceeded, MaxFileSize)
	}
	return data, nil
}

// ReadValues parses a values file as Helm does: a stream of YAML documents separated
// by "---" lines, each a map, merged in order with MergeMaps. Numbers become float64
// (sigs.k8s.io/yaml). An empty file gives an empty map. It is the parsing the chart
// loader applies to values.yaml (chart.ParseValues).
func ReadValues(data []byte) (map[string]any, error) { return chart.ParseValues(data) }

// MergeMaps returns a new map with b merged over a, as Helm merges -f files (see
// chart.MergeMaps).
func MergeMaps(a, b map[string]any) map[string]any { return chart.MergeMaps(a, b) }

// mergeInto merges src over dest in place with MergeMaps' rules.
func mergeInto(dest, src map[string]any) {
	for k, v := range src {
		if vm, ok := v.(map[string]any); ok {
			if dm, ok := dest[k].(map[string]any); ok {
				dest[k] = MergeMaps(dm, vm)
				continue
			}
		}
		dest[k] = v
	}
}
