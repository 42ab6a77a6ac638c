package oci

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
)

// DefaultCacheDir is ${XDG_CACHE_HOME:-~/.cache}/hoist/oci.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "hoist", "oci"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("locating the OCI cache: %w (set XDG_CACHE_HOME)", err)
	}
	return filepath.Join(home, ".cache", "hoist", "oci"), nil
}

// Cache is a content-addressed store of blobs and manifests on disk, at
// <dir>/blobs/<algorithm>/<hex>. Several processes may share one: writes go to a
// temporary file in the same directory that is renamed into place (atomic on
// POSIX file systems), and reads verify the content against its digest, removing
// a file that does not match. A file left half-written by a crash is therefore
// never used; its temporary name starts with ".tmp-".
type Cache struct {
	dir string
}

// NewCache returns the cache rooted at dir. Nothing is created until Put.
func NewCache(dir string) *Cache { return &Cache{dir: dir} }

// Dir is the cache's root directory.
func (c *Cache) Dir() string { return c.dir }

// Path is where the content of d is (or would be) kept.
func (c *Cache) Path(d digest.Digest) string {
	return filepath.Join(c.dir, "blobs", d.Algorithm().String(), d.Encoded())
}

// Get returns the content of d and its path. ok is false when it is not cached, or
// when the cached file did not match d (it is then removed). An error is returned
// only for a file that exists and cannot be read.
func (c *Cache) Get(d digest.Digest) (data []byte, path string, ok bool, err error) {
	if err := d.Validate(); err != nil {
		return nil, "", false, fmt.Errorf("cache lookup: %w", err)
	}
	path = c.Path(d)
	data, err = os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, path, false, nil
	}
	if err != nil {
		return nil, path, false, fmt.Errorf("reading cached %s: %w", d, err)
	}
	if d.Algorithm().FromBytes(data) != d {
		// Corrupt or tampered with: drop it so it is fetched again. A concurrent
		// writer may have just renamed a good copy over it; then the next read
		// fetches once more, which is harmless.
		_ = os.Remove(path)
		return nil, path, false, nil
	}
	return data, path, true, nil
}

// Put stores data under d, which it must match, and returns its path.
func (c *Cache) Put(d digest.Digest, data []byte) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("cache store: %w", err)
	}
	if got := d.Algorithm().FromBytes(data); got != d {
		return "", newError(ErrDigestMismatch, nil, "cache store: content is %s, not %s", got, d)
	}
	path := c.Path(d)
	if err := writeFileAtomic(path, data, 0o644); err != nil {
		return "", fmt.Errorf("caching %s: %w", d, err)
	}
	return path, nil
}

// writeFileAtomic writes data to a temporary file beside path and renames it to
// path, so that readers see the whole file or none of it. The temporary file is
// removed on failure.
func writeFileAtomic(path string, data []byte, mode os.FileMode) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(mode); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
