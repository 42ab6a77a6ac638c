package release

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxDecodedSize bounds a record's JSON once decompressed (gzip bombs in a tampered
// Secret). A record holds the manifest, values, hooks and notes, not the chart, so real
// ones are a few MiB; decoding one costs about twice its size in memory.
const MaxDecodedSize = 128 << 20

// ErrFormat is wrapped by decoding errors.
var ErrFormat = errors.New("invalid release record")

// Encode serialises a record as gzip-compressed JSON.
func Encode(r *Release) ([]byte, error) {
	if r.Format == "" {
		r.Format = FormatV1
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	cw := &countingWriter{w: zw}
	enc := json.NewEncoder(cw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encoding release %s: %w", r.Key(), err)
	}
	// Never store a record that Decode would refuse.
	if cw.n > MaxDecodedSize {
		return nil, fmt.Errorf("encoding release %s: %d bytes of JSON, more than the %s a record may have", r.Key(), cw.n, Size(MaxDecodedSize))
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decode reads a record written by Encode and checks its format and identity.
func Decode(data []byte) (*Release, error) {
	body, err := Gunzip(data, MaxDecodedSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	var r Release
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if r.Format != FormatV1 {
		return nil, fmt.Errorf("%w: format %q is not %q", ErrFormat, r.Format, FormatV1)
	}
	if r.Name == "" || r.Revision <= 0 || !r.Status.Valid() {
		return nil, fmt.Errorf("%w: missing name, revision or status", ErrFormat)
	}
	return &r, nil
}

// ErrTooLarge is wrapped by Gunzip when data decompresses to more than its limit.
var ErrTooLarge = errors.New("larger than the limit")

// Gunzip decompresses gzip data of at most limit bytes once decompressed, or fails
// wrapping ErrTooLarge without holding more than the limit in memory. It decompresses
// twice: first only counting, so a bomb costs time in proportion to the limit and no
// memory, then into a buffer of the exact size.
func Gunzip(data []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, gzipError(err)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, gzipError(err)
	}
	if n > limit {
		return nil, fmt.Errorf("%w of %s once decompressed", ErrTooLarge, Size(limit))
	}
	if err := zr.Reset(bytes.NewReader(data)); err != nil {
		return nil, gzipError(err)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(zr, body); err != nil {
		return nil, gzipError(err)
	}
	return body, nil
}

// gzipError says an error came from gzip, once (compress/gzip's own errors say so).
func gzipError(err error) error {
	if strings.HasPrefix(err.Error(), "gzip: ") {
		return err
	}
	return fmt.Errorf("gzip: %w", err)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Size formats a limit for an error message: whole MiB when it is that, else bytes.
func Size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
