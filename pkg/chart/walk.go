package chart

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// chartTree is a chart's directory tree, on disk or in an fs.FS. Names are
// slash-separated and relative to the chart's root ("." is the root); every name
// given to a chartTree has no symlink among its parent directories.
type chartTree interface {
	// lstat describes name without following it if it is a symlink.
	lstat(name string) (fs.FileInfo, error)
	// readDir lists the directory name, sorted.
	readDir(name string) ([]string, error)
	// readFile reads the regular file name, refusing more than max bytes; size is
	// what lstat said of it (a hint for the buffer, -1 when unknown).
	readFile(name string, size, max int64) ([]byte, error)
	// follow resolves the symlink name to the symlink-free name of its target and
	// describes the target. A target outside the chart is errOutside (with the
	// target's description when it is known).
	follow(name string) (string, fs.FileInfo, error)
}

// errOutside: a symlink's target is not inside the chart.
var errOutside = errors.New("outside the chart")

// maxLinks is how many symlinks one path may go through.
const maxLinks = 255

// walk reads the files of a chart tree as Helm's directory loader does (see
// Loader.LoadDir).
func (st *loadState) walk(t chartTree) ([]*File, error) {
	// Refuse a directory that is not a chart before reading anything else in it.
	if _, err := t.lstat(chartYAML); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrChartYAMLMissing
		}
		return nil, err
	}
	rules, err := st.readIgnoreRules(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", IgnoreFileName, err)
	}
	rules.AddDefaults()
	w := &walker{st: st, tree: t, rules: rules, ancestors: map[string]bool{".": true}}
	if err := w.dir("", ".", 0); err != nil {
		return nil, err
	}
	return w.files, nil
}

// readIgnoreRules parses the chart's .helmignore, if it has one.
func (st *loadState) readIgnoreRules(t chartTree) (*IgnoreRules, error) {
	fi, err := t.lstat(IgnoreFileName)
	if errors.Is(err, fs.ErrNotExist) {
		return &IgnoreRules{}, nil
	}
	if err != nil {
		return nil, err
	}
	name := IgnoreFileName
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, tfi, err := t.follow(name)
		if err != nil {
			return nil, linkError(IgnoreFileName, err)
		}
		name, fi = target, tfi
	}
	if err := checkRegular(fi); err != nil {
		return nil, err
	}
	data, err := t.readFile(name, fi.Size(), st.limits.MaxFileSize)
	if err != nil {
		return nil, err
	}
	return ParseIgnore(bytes.NewReader(data))
}

type walker struct {
	st    *loadState
	tree  chartTree
	rules *IgnoreRules
	files []*File
	// ancestors are the real names of the directories being walked, to detect
	// symlink loops.
	ancestors map[string]bool
}

// dir walks the directory known as name in the chart (as it will be named in the
// chart) and as real in the tree (without symlinks), depth directories below the
// root. Each entry costs the same at any depth (for an osTree too), so the walk
// is linear in the size of the tree.
func (w *walker) dir(name, real string, depth int) error {
	entries, err := w.tree.readDir(real)
	if err != nil {
		return fmt.Errorf("error reading directory %q: %w", displayName(name), err)
	}
	for _, e := range entries {
		cname := joinName(name, e)
		creal := cname // the same string, unless a symlink led here
		if real != displayName(name) {
			creal = joinName(real, e)
		}
		fi, err := w.tree.lstat(creal)
		if err != nil {
			return fmt.Errorf("error reading %q: %w", cname, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, tfi, err := w.tree.follow(creal)
			if errors.Is(err, errOutside) {
				// A link .helmignore skips is never read, so it may point anywhere.
				// When what it points to is unknown, either kind may be skipped.
				if tfi != nil && w.rules.Ignore(cname, tfi.IsDir()) ||
					tfi == nil && (w.rules.Ignore(cname, true) || w.rules.Ignore(cname, false)) {
					continue
				}
			}
			if err != nil {
				return linkError(cname, err)
			}
			w.st.log.Info("found symbolic link in path; contents of linked file included and used", "path", cname, "resolved", target)
			creal, fi = target, tfi
		}
		if fi.IsDir() {
			if w.rules.Ignore(cname, true) {
				continue
			}
			if w.ancestors[creal] {
				return fmt.Errorf("symlink %q: %w: it points to %q, a directory containing it (a loop)", cname, ErrUnsupportedFile, displayName(creal))
			}
			// Checked before the directory is read, so that a tree thousands of
			// levels deep costs no more than one the limit deep.
			if depth+1 > w.st.limits.MaxDirDepth {
				return fmt.Errorf("%q: %w: directories nested more than %d deep", cname, ErrLimitExceeded, w.st.limits.MaxDirDepth)
			}
			if err := w.st.addEntry(cname); err != nil {
				return err
			}
			w.ancestors[creal] = true
			err := w.dir(cname, creal, depth+1)
			delete(w.ancestors, creal)
			if err != nil {
				return err
			}
			continue
		}
		if w.rules.Ignore(cname, false) {
			continue
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%q: %w: cannot load irregular file (%s)", cname, ErrUnsupportedFile, fileKind(fi.Mode()))
		}
		if err := w.st.checkSize(cname, fi.Size()); err != nil {
			return err
		}
		data, err := w.tree.readFile(creal, fi.Size(), w.st.limits.MaxFileSize)
		if errors.Is(err, errTooLarge) {
			// The file grew since it was described.
			return fmt.Errorf("%q: %w: the file is larger than the maximum file size %d", cname, ErrLimitExceeded, w.st.limits.MaxFileSize)
		}
		if err != nil {
			return fmt.Errorf("error reading %q: %w", cname, err)
		}
		if err := w.st.addFile(cname, int64(len(data))); err != nil {
			return err
		}
		w.files = append(w.files, &File{Name: cname, Data: bytes.TrimPrefix(data, utf8BOM)})
	}
	return nil
}

func linkError(name string, err error) error {
	if errors.Is(err, errOutside) {
		return fmt.Errorf("symlink %q: %w: %w", name, ErrUnsafePath, err)
	}
	return fmt.Errorf("error evaluating symlink %q: %w", name, err)
}

func joinName(dir, name string) string {
	if dir == "" || dir == "." {
		return name
	}
	return dir + "/" + name
}

func displayName(name string) string {
	if name == "" {
		return "."
	}
	return name
}

var errTooLarge = fmt.Errorf("%w: the file is larger than the maximum file size", ErrLimitExceeded)

// readLimited reads r, refusing more than max bytes. size is the expected size
// (-1 when unknown): with it the data is read into one buffer of the right size
// instead of one grown by doubling, which for the large files some charts carry
// (changelogs, schemas) cost more in zeroed memory than the read itself.
func readLimited(r io.Reader, size, max int64) ([]byte, error) {
	if size < 0 || size > max {
		size = 512
	}
	// One byte more than expected, so a file read to its end needs no second buffer
	// to see io.EOF.
	data := make([]byte, 0, size+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if int64(len(data)) > max {
			return nil, errTooLarge
		}
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// osTree is a chart directory on disk. Files are opened through an os.Root, so
// nothing outside the directory is ever opened, even if the tree changes while it
// is read.
//
// os.Root resolves a name one element at a time, so reaching a file n directories
// deep from the top costs n system calls: a walk doing that for every entry is
// quadratic in the depth. osTree keeps open the directories on the path to the last
// name it was given (a stack, as the walk goes down and up; at most maxOpenDirs of
// its deepest ones) and reaches each name from the deepest of them containing it.
type osTree struct {
	realDir string // the directory, absolute and without symlinks
	// open[0] is the chart's root ("."); open[1:] are directories each inside the
	// one before.
	open []openDir
}

type openDir struct {
	name string // relative to the chart's root, slash-separated
	root *os.Root
}

// maxOpenDirs bounds the directories an osTree keeps open (the depth a walk goes
// down to is bounded by Limits.MaxDirDepth, which may be raised).
const maxOpenDirs = 256

func openOSTree(dir string) (*osTree, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(real)
	if err != nil {
		return nil, err
	}
	return &osTree{realDir: real, open: []openDir{{name: ".", root: root}}}, nil
}

func (t *osTree) close() {
	for _, d := range t.open {
		_ = d.root.Close()
	}
	t.open = nil
}

// at returns an open directory and the name of name relative to it: name's parent
// directory, opened from the nearest open ancestor when it can be.
func (t *osTree) at(name string) (*os.Root, string) {
	dir := path.Dir(name)
	// Close what is not on the path to dir.
	for len(t.open) > 1 {
		top := t.open[len(t.open)-1].name
		if dir == top || strings.HasPrefix(dir, top+"/") {
			break
		}
		_ = t.open[len(t.open)-1].root.Close()
		t.open = t.open[:len(t.open)-1]
	}
	for {
		top := t.open[len(t.open)-1]
		rest := name
		if top.name != "." {
			rest = name[len(top.name)+1:]
		}
		if top.name == dir {
			return top.root, rest
		}
		elem, _, _ := strings.Cut(rest, "/")
		if n := strings.Count(dir, "/") + 1; len(t.open) == 1 && n > maxOpenDirs {
			// Nothing on the long path to dir is open (any more): open all but
			// its last levels in one go, and those one by one.
			elem = firstElems(dir, n-maxOpenDirs/2)
		}
		sub, err := top.root.OpenRoot(filepath.FromSlash(elem))
		if err != nil {
			// Let the operation itself fail, with its own error.
			return top.root, rest
		}
		if len(t.open) > maxOpenDirs {
			_ = t.open[1].root.Close()
			t.open = slices.Delete(t.open, 1, 2)
		}
		t.open = append(t.open, openDir{name: joinName(top.name, elem), root: sub})
	}
}

// firstElems is the path of the first n elements of name.
func firstElems(name string, n int) string {
	i := 0
	for ; n > 0; n-- {
		j := strings.IndexByte(name[i:], '/')
		if j < 0 {
			return name
		}
		i += j + 1
	}
	return name[:i-1]
}

func (t *osTree) lstat(name string) (fs.FileInfo, error) {
	root, rel := t.at(name)
	return root.Lstat(filepath.FromSlash(rel))
}

func (t *osTree) readDir(name string) ([]string, error) {
	// Opened as "name/.", so that name is the open directory its entries are
	// reached from next.
	root, rel := t.open[0].root, "."
	if name != "." {
		root, rel = t.at(name + "/.")
	}
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	return names, nil
}

func (t *osTree) readFile(name string, size, max int64) ([]byte, error) {
	root, rel := t.at(name)
	// Without blocking: lstat said it was a regular file, but it may have been
	// replaced by a FIFO since, which a plain open would wait on.
	f, err := root.OpenFile(filepath.FromSlash(rel), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if err := checkRegular(fi); err != nil {
		return nil, err
	}
	return readLimited(f, size, max)
}

func (t *osTree) follow(name string) (string, fs.FileInfo, error) {
	resolved, err := filepath.EvalSymlinks(filepath.Join(t.realDir, filepath.FromSlash(name)))
	if err != nil {
		return "", nil, err
	}
	rel, err := filepath.Rel(t.realDir, resolved)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		fi, _ := os.Stat(resolved)
		return "", fi, fmt.Errorf("it points to %s, %w", resolved, errOutside)
	}
	rel = filepath.ToSlash(rel)
	fi, err := t.lstat(rel)
	if err != nil {
		return "", nil, err
	}
	return rel, fi, nil
}

// fsTree is a chart in an fs.FS.
type fsTree struct {
	fsys fs.FS
}

func (t fsTree) lstat(name string) (fs.FileInfo, error) { return fs.Lstat(t.fsys, name) }

func (t fsTree) readDir(name string) ([]string, error) {
	entries, err := fs.ReadDir(t.fsys, name)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	slices.Sort(names)
	return names, nil
}

func (t fsTree) readFile(name string, size, max int64) ([]byte, error) {
	f, err := t.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, size, max)
}

// follow resolves name one element at a time, reading links with fs.ReadLink. An
// absolute target, or ".." at the root, leaves the chart.
func (t fsTree) follow(name string) (string, fs.FileInfo, error) {
	dest, rest, links := ".", name, 0
	for rest != "" {
		var elem string
		elem, rest, _ = strings.Cut(rest, "/")
		switch elem {
		case "", ".":
			continue
		case "..":
			if dest == "." {
				return "", nil, fmt.Errorf("its target climbs above the root, %w", errOutside)
			}
			dest = path.Dir(dest)
			continue
		}
		next := joinName(dest, elem)
		fi, err := fs.Lstat(t.fsys, next)
		if err != nil {
			return "", nil, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if rest != "" && !fi.IsDir() {
				return "", nil, fmt.Errorf("%s: not a directory", next)
			}
			dest = next
			continue
		}
		if links++; links > maxLinks {
			return "", nil, errors.New("too many links")
		}
		target, err := fs.ReadLink(t.fsys, next)
		if err != nil {
			return "", nil, err
		}
		if path.IsAbs(target) {
			return "", nil, fmt.Errorf("it points to the absolute path %s, %w", target, errOutside)
		}
		if rest != "" {
			target += "/" + rest
		}
		rest = target
	}
	fi, err := fs.Lstat(t.fsys, dest)
	if err != nil {
		return "", nil, err
	}
	return dest, fi, nil
}
