package repo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// APIVersionV1 is the apiVersion of repositories files and indexes.
const APIVersionV1 = "v1"

// Entry is a repository in the repositories file. Field names are Helm's, so the
// file reads the same in both tools. Passwords are stored as given (the file is
// written with mode 0600).
type Entry struct {
	Name                  string `json:"name"`
	URL                   string `json:"url"`
	Username              string `json:"username"`
	Password              string `json:"password"`
	CertFile              string `json:"certFile"`
	KeyFile               string `json:"keyFile"`
	CAFile                string `json:"caFile"`
	InsecureSkipTLSVerify bool   `json:"insecure_skip_tls_verify"`
	// PassCredentialsAll sends the credentials to every host the index's chart URLs
	// name, not only to the repository's own scheme, host and port.
	PassCredentialsAll bool `json:"pass_credentials_all"`
}

// File is the repositories file (repositories.yaml).
type File struct {
	APIVersion   string    `json:"apiVersion"`
	Generated    time.Time `json:"generated"`
	Repositories []*Entry  `json:"repositories"`
}

// nameRE is what a repository name may be: the first part of a repo/chart reference.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ValidateName reports whether name can name a repository.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("repository name %q: use letters, digits, '.', '_' and '-', starting with a letter or digit (it is the REPO in REPO/CHART)", name)
	}
	return nil
}

// LoadFile reads a repositories file; a missing file is an empty one.
func LoadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{APIVersion: APIVersionV1}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading repositories file: %w", err)
	}
	f := &File{}
	if err := yaml.Unmarshal(b, f); err != nil {
		return nil, fmt.Errorf("repositories file %s: %w", path, err)
	}
	if f.APIVersion == "" {
		f.APIVersion = APIVersionV1
	}
	out := f.Repositories[:0]
	for _, e := range f.Repositories {
		if e != nil {
			out = append(out, e)
		}
	}
	f.Repositories = out
	return f, nil
}

// Get returns the entry named name, or nil.
func (f *File) Get(name string) *Entry {
	for _, e := range f.Repositories {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// Update replaces the entry of the same name, or appends e.
func (f *File) Update(e *Entry) {
	for i, x := range f.Repositories {
		if x.Name == e.Name {
			f.Repositories[i] = e
			return
		}
	}
	f.Repositories = append(f.Repositories, e)
}

// Remove deletes the entry named name and reports whether there was one.
func (f *File) Remove(name string) bool {
	for i, x := range f.Repositories {
		if x.Name == name {
			f.Repositories = append(f.Repositories[:i], f.Repositories[i+1:]...)
			return true
		}
	}
	return false
}

// WriteFile writes the file atomically (a temporary file renamed over it), mode 0600.
func (f *File) WriteFile(path string) error {
	f.Generated = time.Now().UTC()
	if f.APIVersion == "" {
		f.APIVersion = APIVersionV1
	}
	if f.Repositories == nil {
		f.Repositories = []*Entry{}
	}
	b, err := yaml.Marshal(f)
	if err != nil {
		return err
	}
	return atomicWrite(path, b, 0o600)
}

// atomicWrite writes b to path through a temporary file in the same directory, synced
// and renamed, so readers see the old content or the new, never a part.
func atomicWrite(path string, b []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// lockPath is Helm's: repositories.yaml is locked through repositories.lock.
func lockPath(path string) string {
	if ext := filepath.Ext(path); ext != "" && len(ext) < len(path) {
		return strings.TrimSuffix(path, ext) + ".lock"
	}
	return path + ".lock"
}

// EditFile changes the repositories file under an exclusive lock, so concurrent
// `repo add`s and `repo remove`s (in any process) do not lose each other's changes:
// it locks, reads, calls edit, and writes the file back when edit returns nil.
func EditFile(ctx context.Context, path string, edit func(*File) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	unlock, err := lockFile(ctx, lockPath(path))
	if err != nil {
		return fmt.Errorf("locking repositories file %s: %w", path, err)
	}
	defer unlock()
	f, err := LoadFile(path)
	if err != nil {
		return err
	}
	if err := edit(f); err != nil {
		return err
	}
	if err := f.WriteFile(path); err != nil {
		return fmt.Errorf("writing repositories file %s: %w", path, err)
	}
	return nil
}
