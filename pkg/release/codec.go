package release

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxDecodedSize bounds a decoded record (gzip bombs in a tampered Secret).
const MaxDecodedSize = 256 << 20

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
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encoding release %s: %w", r.Key(), err)
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decode reads a record written by Encode and checks its format and identity.
func Decode(data []byte) (*Release, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	body, err := io.ReadAll(io.LimitReader(zr, MaxDecodedSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if len(body) > MaxDecodedSize {
		return nil, fmt.Errorf("%w: larger than %d bytes once decompressed", ErrFormat, MaxDecodedSize)
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
