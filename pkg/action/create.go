package action

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

//go:embed all:starter
var starter embed.FS

var chartNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Create writes a new chart named after the last element of a directory: a
// Deployment, Service, ServiceAccount, optional Ingress and HPA, NOTES.txt and a test
// hook, that lints clean.
type Create struct{}

// CreateOptions configure Create.Run.
type CreateOptions struct {
	// Dir is the directory to create; its last element is the chart's name.
	Dir string `json:"dir"`
}

// CreateResult is the chart created.
type CreateResult struct {
	Name string `json:"name"`
	Dir  string `json:"dir"`
}

// Run writes the chart. It refuses to write into an existing non-empty directory.
func (Create) Run(_ context.Context, opts CreateOptions) (CreateResult, error) {
	name, err := create(opts.Dir)
	if err != nil {
		return CreateResult{}, err
	}
	return CreateResult{Name: name, Dir: opts.Dir}, nil
}

func create(dir string) (string, error) {
	name := filepath.Base(filepath.Clean(dir))
	if !chartNameRE.MatchString(name) || len(name) > 53 {
		return "", fmt.Errorf("chart name %q: use lower-case letters, digits and '-', at most 53 characters", name)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return "", fmt.Errorf("%s already exists and is not empty", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	err := fs.WalkDir(starter, "starter", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, "starter"), "/")
		target := filepath.Join(dir, filepath.FromSlash(rel))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := starter.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, []byte(strings.ReplaceAll(string(b), "<CHARTNAME>", name)), 0o644)
	})
	if err != nil {
		return "", fmt.Errorf("creating chart %s: %w", dir, err)
	}
	return name, nil
}
