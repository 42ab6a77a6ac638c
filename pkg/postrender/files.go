package postrender

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits on the files of an overlay or package, whether read from a directory, a
// release record or an archive.
const (
	// MaxFiles is the most files an overlay or package may hold.
	MaxFiles = 1000
	// MaxFileSize is the largest file, in bytes.
	MaxFileSize = 1 << 20
	// MaxTotalSize is the largest sum of the files' sizes, in bytes.
	MaxTotalSize = 8 << 20
)

// recordBinaryPrefix marks a recorded file stored in base64, because its content
// is not valid UTF-8 (JSON would mangle it) or starts with this prefix itself.
const recordBinaryPrefix = "base64:"

// budget counts files and bytes against the limits.
type budget struct {
	files int
	bytes int64
}

func (b *budget) add(name string, size int64) error {
	b.files++
	if b.files > MaxFiles {
		return fmt.Errorf("%s: %w: more than %d files", name, ErrLimitExceeded, MaxFiles)
	}
	return b.grow(name, size)
}

// grow counts size more bytes of the file name.
func (b *budget) grow(name string, size int64) error {
	if size > MaxFileSize {
		return fmt.Errorf("%s: %w: file of %d bytes is larger than %d", name, ErrLimitExceeded, size, MaxFileSize)
	}
	b.bytes += size
	if b.bytes > MaxTotalSize {
		return fmt.Errorf("%s: %w: files total more than %d bytes", name, ErrLimitExceeded, MaxTotalSize)
	}
	return nil
}

// readDir reads every regular file under dir into a map keyed by slash paths
// relative to dir. Directories named .git are skipped. Symlinks are followed when
// their target stays inside dir (a target outside is an error, as is a loop);
// irregular files are errors. Errors name the file.
func readDir(dir string) (map[string]string, error) {
	r, err := newDirReader(dir)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(r.root)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	if _, err := r.readAt("."); err != nil {
		return nil, err
	}
	return r.files, nil
}

// newDirReader reads files below dir, which symlinks may not leave.
func newDirReader(dir string) (*dirReader, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return &dirReader{display: dir, root: root, files: map[string]string{}, visiting: map[string]bool{}, done: map[string]bool{}}, nil
}

// readAt reads the file or the files of the directory at the slash path rel
// below the root (once); it reports whether it exists.
func (r *dirReader) readAt(rel string) (bool, error) {
	for d := rel; ; d = path.Dir(d) {
		if r.done[d] {
			_, isFile := r.files[rel]
			return isFile || rel == d || hasPrefixDir(r.files, rel), nil
		}
		if d == "." || d == "/" {
			break
		}
	}
	full := filepath.Join(r.root, filepath.FromSlash(rel))
	real, err := filepath.EvalSymlinks(full)
	if isNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", r.name(rel), err)
	}
	if !within(r.root, real) {
		return false, fmt.Errorf("%s: %w: symlink to %s leaves %s", r.name(rel), ErrUnsafePath, real, r.display)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return false, fmt.Errorf("%s: %w", r.name(rel), err)
	}
	switch {
	case fi.IsDir():
		r.done[rel] = true
		return true, r.walk(real, rel)
	case fi.Mode().IsRegular():
		if _, ok := r.files[rel]; ok {
			return true, nil
		}
		return true, r.read(real, rel)
	}
	return false, fmt.Errorf("%s: %w: %s", r.name(rel), ErrUnsupportedFile, fi.Mode().Type())
}

// hasPrefixDir reports whether some file lies under the slash path dir.
func hasPrefixDir(files map[string]string, dir string) bool {
	if dir == "." {
		return len(files) > 0
	}
	prefix := dir + "/"
	for name := range files {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

type dirReader struct {
	display  string // dir as the caller gave it, for messages
	root     string // dir with symlinks resolved
	files    map[string]string
	visiting map[string]bool // resolved directories on the current path
	done     map[string]bool // directories read (slash paths below the root)
	budget   budget
}

func (r *dirReader) name(rel string) string { return filepath.Join(r.display, filepath.FromSlash(rel)) }

// walk reads the directory real (a resolved path) whose slash path relative to the
// root is rel.
func (r *dirReader) walk(real, rel string) error {
	if r.visiting[real] {
		return fmt.Errorf("%s: %w: symlink loop", r.name(rel), ErrUnsupportedFile)
	}
	r.visiting[real] = true
	defer delete(r.visiting, real)
	entries, err := os.ReadDir(real)
	if err != nil {
		return fmt.Errorf("%s: %w", r.name(rel), err)
	}
	for _, e := range entries {
		childRel := path.Join(rel, e.Name())
		child := filepath.Join(real, e.Name())
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(child)
			if err != nil {
				return fmt.Errorf("%s: %w", r.name(childRel), err)
			}
			if !within(r.root, target) {
				return fmt.Errorf("%s: %w: symlink to %s leaves %s", r.name(childRel), ErrUnsafePath, target, r.display)
			}
			fi, err := os.Stat(target)
			if err != nil {
				return fmt.Errorf("%s: %w", r.name(childRel), err)
			}
			child, mode = target, fi.Mode().Type()
		}
		switch {
		case mode.IsDir():
			if e.Name() == ".git" {
				continue
			}
			if err := r.walk(child, childRel); err != nil {
				return err
			}
		case mode.IsRegular():
			if err := r.read(child, childRel); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: %w: %s", r.name(childRel), ErrUnsupportedFile, mode)
		}
	}
	return nil
}

func (r *dirReader) read(file, rel string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("%s: %w", r.name(rel), err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", r.name(rel), err)
	}
	if err := r.budget.add(r.name(rel), fi.Size()); err != nil {
		return err
	}
	// The file may have grown since Stat: read at most one byte more than allowed.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return fmt.Errorf("%s: %w", r.name(rel), err)
	}
	if n := int64(len(data)); n > fi.Size() {
		if n > MaxFileSize {
			return r.budget.grow(r.name(rel), n)
		}
		if err := r.budget.grow(r.name(rel), n-fi.Size()); err != nil {
			return err
		}
	}
	r.files[rel] = string(data)
	return nil
}

// within reports whether path p is root or below it (both cleaned, absolute).
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// checkFiles validates a file set that did not come from readDir (a release
// record, an archive, a caller's map): every name a clean relative slash path, and
// the limits.
func checkFiles(files map[string]string) error {
	var b budget
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if !fs.ValidPath(name) || name == "." {
			return fmt.Errorf("%q: %w: not a clean relative slash path", name, ErrUnsafePath)
		}
		if err := b.add(name, int64(len(files[name]))); err != nil {
			return err
		}
	}
	return nil
}

// encodeRecord turns a file set into a map that survives JSON: files that are not
// valid UTF-8, or that start with the binary prefix, are stored in base64 after it.
func encodeRecord(files map[string]string) map[string]string {
	if len(files) == 0 {
		return nil
	}
	out := make(map[string]string, len(files))
	for name, data := range files {
		if !utf8.ValidString(data) || strings.HasPrefix(data, recordBinaryPrefix) {
			data = recordBinaryPrefix + base64.StdEncoding.EncodeToString([]byte(data))
		}
		out[name] = data
	}
	return out
}

// decodeRecord reverses encodeRecord.
func decodeRecord(rec map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(rec))
	for name, data := range rec {
		if b64, ok := strings.CutPrefix(data, recordBinaryPrefix); ok {
			raw, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return nil, fmt.Errorf("recorded file %q: %w", name, err)
			}
			data = string(raw)
		}
		out[name] = data
	}
	return out, nil
}

// isNotExist reports whether err is a file-not-found error.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
