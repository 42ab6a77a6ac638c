package kpkg

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ReadDir reads every regular file under dir into a map keyed by slash paths
// relative to dir, within the limits. Directories named .git are skipped.
// Symlinks are followed when their target stays inside dir (a target outside is
// an error, as is a loop); irregular files are errors. Errors name the file.
func ReadDir(dir string) (map[string]string, error) {
	r, err := NewDirReader(dir)
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
	if _, err := r.ReadAt("."); err != nil {
		return nil, err
	}
	return r.files, nil
}

// DirReader reads files and directories below a root on demand, with ReadDir's
// rules, counting them all against one set of limits. It lets a package in a
// repository checkout read only the parts of the repository it uses.
type DirReader struct {
	display  string // dir as the caller gave it, for messages
	root     string // dir with symlinks resolved
	files    map[string]string
	visiting map[string]bool // resolved directories on the current path
	done     map[string]bool // directories read (slash paths below the root)
	budget   budget
}

// NewDirReader reads files below dir, which symlinks may not leave.
func NewDirReader(dir string) (*DirReader, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return &DirReader{display: dir, root: root, files: map[string]string{}, visiting: map[string]bool{}, done: map[string]bool{}}, nil
}

// Files is what has been read so far, keyed by slash paths relative to the
// root. The map is the reader's own: later reads add to it.
func (r *DirReader) Files() map[string]string { return r.files }

// Name is the slash path rel below the root as a file name for messages.
func (r *DirReader) Name(rel string) string {
	return filepath.Join(r.display, filepath.FromSlash(rel))
}

// ReadAt reads the file or the files of the directory at the slash path rel
// below the root (once); it reports whether it exists.
func (r *DirReader) ReadAt(rel string) (bool, error) {
	for d := rel; ; d = path.Dir(d) {
		if r.done[d] {
			_, isFile := r.files[rel]
			return isFile || rel == d || HasDir(r.files, rel), nil
		}
		if d == "." || d == "/" {
			break
		}
	}
	full := filepath.Join(r.root, filepath.FromSlash(rel))
	real, err := filepath.EvalSymlinks(full)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", r.Name(rel), err)
	}
	if !within(r.root, real) {
		return false, fmt.Errorf("%s: %w: symlink to %s leaves %s", r.Name(rel), ErrUnsafePath, real, r.display)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return false, fmt.Errorf("%s: %w", r.Name(rel), err)
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
	return false, fmt.Errorf("%s: %w: %s", r.Name(rel), ErrUnsupportedFile, fi.Mode().Type())
}

// HasDir reports whether some file of files lies under the slash path dir (any
// file, for ".").
func HasDir(files map[string]string, dir string) bool {
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

// walk reads the directory real (a resolved path) whose slash path relative to the
// root is rel.
func (r *DirReader) walk(real, rel string) error {
	if r.visiting[real] {
		return fmt.Errorf("%s: %w: symlink loop", r.Name(rel), ErrUnsupportedFile)
	}
	r.visiting[real] = true
	defer delete(r.visiting, real)
	entries, err := os.ReadDir(real)
	if err != nil {
		return fmt.Errorf("%s: %w", r.Name(rel), err)
	}
	for _, e := range entries {
		childRel := path.Join(rel, e.Name())
		child := filepath.Join(real, e.Name())
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(child)
			if err != nil {
				return fmt.Errorf("%s: %w", r.Name(childRel), err)
			}
			if !within(r.root, target) {
				return fmt.Errorf("%s: %w: symlink to %s leaves %s", r.Name(childRel), ErrUnsafePath, target, r.display)
			}
			fi, err := os.Stat(target)
			if err != nil {
				return fmt.Errorf("%s: %w", r.Name(childRel), err)
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
			return fmt.Errorf("%s: %w: %s", r.Name(childRel), ErrUnsupportedFile, mode)
		}
	}
	return nil
}

func (r *DirReader) read(file, rel string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("%s: %w", r.Name(rel), err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", r.Name(rel), err)
	}
	if err := r.budget.add(r.Name(rel), fi.Size()); err != nil {
		return err
	}
	// The file may have grown since Stat: read at most one byte more than allowed.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return fmt.Errorf("%s: %w", r.Name(rel), err)
	}
	if n := int64(len(data)); n > fi.Size() {
		if n > MaxFileSize {
			return r.budget.grow(r.Name(rel), n)
		}
		if err := r.budget.grow(r.Name(rel), n-fi.Size()); err != nil {
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
