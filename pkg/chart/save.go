package chart

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"time"

	"sigs.k8s.io/yaml"
)

// SaveOptions configures Save and Write.
type SaveOptions struct {
	// ModTime is the time written on every archive entry. The zero value writes the
	// Unix epoch, so the same chart always gives the same bytes; set it from
	// SOURCE_DATE_EPOCH to follow reproducible-builds conventions.
	ModTime time.Time
}

// SourceDateEpoch parses a value of the SOURCE_DATE_EPOCH environment variable
// (reproducible-builds.org: whole seconds since the Unix epoch) as a time in UTC;
// the zero time for "". The caller reads the environment.
func SourceDateEpoch(value string) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since the epoch", value)
	}
	return time.Unix(n, 0).UTC(), nil
}

// Save writes c as <name>-<version>.tgz in dir and returns the file's path. The
// archive is written to a temporary file and renamed, so a failure leaves nothing.
func Save(c *Chart, dir string, opts SaveOptions) (string, error) {
	if c.Metadata == nil {
		return "", errors.New("chart has no metadata")
	}
	if err := c.Metadata.Validate(); err != nil {
		return "", fmt.Errorf("chart %s: %w", c.Name(), err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	name := filepath.Join(dir, fmt.Sprintf("%s-%s.tgz", c.Name(), c.Metadata.Version))
	tmp, err := os.CreateTemp(dir, ".hoist-package-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if err := Write(tmp, c, opts); err != nil {
		tmp.Close()
		return "", fmt.Errorf("packaging %s: %w", c.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return "", err
	}
	return name, nil
}

// Write writes c as a gzipped tar archive with a top-level folder named after the
// chart, entries in a fixed order with fixed metadata: the same chart gives the same
// bytes. Helm reads what it writes and the other way round.
func Write(w io.Writer, c *Chart, opts SaveOptions) error {
	mod := opts.ModTime
	if mod.IsZero() {
		mod = time.Unix(0, 0)
	}
	mod = mod.UTC().Truncate(time.Second)
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	zw.ModTime = mod
	tw := tar.NewWriter(zw)
	if err := writeChart(tw, c, "", mod); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

func writeChart(tw *tar.Writer, c *Chart, prefix string, mod time.Time) error {
	if c.Metadata == nil || c.Name() == "" {
		return errors.New("a chart without a name cannot be packaged")
	}
	base := path.Join(prefix, c.Name())
	meta := *c.Metadata
	if meta.APIVersion == APIVersionV1 {
		meta.Dependencies = nil // v1 charts keep them in requirements.yaml
	}
	cy, err := yaml.Marshal(&meta)
	if err != nil {
		return err
	}
	put := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{
			Name: path.Join(base, name), Mode: 0o644, Size: int64(len(data)),
			ModTime: mod, Typeflag: tar.TypeReg, Format: tar.FormatPAX,
		}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := put("Chart.yaml", cy); err != nil {
		return err
	}
	if c.Lock != nil && meta.APIVersion != APIVersionV1 {
		ly, err := yaml.Marshal(c.Lock)
		if err != nil {
			return err
		}
		if err := put("Chart.lock", ly); err != nil {
			return err
		}
	}
	if c.RawValues != nil {
		if err := put("values.yaml", c.RawValues); err != nil {
			return err
		}
	}
	if c.Schema != nil {
		if !json.Valid(c.Schema) {
			return fmt.Errorf("%s: values.schema.json is not valid JSON", base)
		}
		if err := put("values.schema.json", c.Schema); err != nil {
			return err
		}
	}
	for _, f := range c.Templates {
		if err := put(f.Name, f.Data); err != nil {
			return err
		}
	}
	for _, f := range c.Files {
		if err := put(f.Name, f.Data); err != nil {
			return err
		}
	}
	for _, d := range c.Dependencies() {
		if err := writeChart(tw, d, path.Join(base, "charts"), mod); err != nil {
			return err
		}
	}
	return nil
}
