package git

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// The cache holds, for each repository, one directory per commit with the commit's
// files: <CacheDir>/<host_path>-<12 hex of sha256(URL)>/<commit>/. A commit directory is
// written under a temporary name and renamed into place, so it is either complete or
// absent, and concurrent processes that fetch the same commit both succeed (the second
// rename loses and its copy is dropped).

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// repoCacheDir is the directory of the repository at u (userinfo, query and a trailing
// slash do not count; scheme, host, port and path do).
func (g *Getter) repoCacheDir(u *url.URL) string {
	key := strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimSuffix(u.Path, "/")
	sum := sha256.Sum256([]byte(key))
	name := unsafeChars.ReplaceAllString(u.Host+strings.TrimSuffix(u.Path, "/"), "_")
	name = strings.Trim(name, "_.")
	if len(name) > 60 {
		name = name[len(name)-60:]
	}
	return filepath.Join(g.opts.CacheDir, name+"-"+hex.EncodeToString(sum[:6]))
}

// cachedCommit returns the directory of commit when the cache has it.
func cachedCommit(repoDir, commit string) (string, bool) {
	d := filepath.Join(repoDir, commit)
	fi, err := os.Stat(d)
	return d, err == nil && fi.IsDir()
}

// cachedPrefix finds the one cached commit of the repository starting with prefix.
func cachedPrefix(repoDir, prefix string) (string, bool) {
	entries, err := os.ReadDir(repoDir)
	if err != nil {
		return "", false
	}
	var found string
	for _, e := range entries {
		if e.IsDir() && len(e.Name()) == 40 && strings.HasPrefix(e.Name(), prefix) {
			if found != "" {
				return "", false // ambiguous: let the remote decide
			}
			found = e.Name()
		}
	}
	return found, found != ""
}

// install writes commit's tree from s into the cache and returns its directory.
// A refused commit leaves nothing behind, not even the repository's directory when
// it was the first.
func install(s storer.EncodedObjectStorer, repoDir string, commit plumbing.Hash, lim Limits) (dir string, err error) {
	if err := os.MkdirAll(repoDir, 0o700); err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(repoDir) // only if empty: other commits stay
		}
	}()
	sweepStale(repoDir)
	final := filepath.Join(repoDir, commit.String())
	tmp, err := os.MkdirTemp(repoDir, ".tmp-"+commit.String()[:12]+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	c, err := object.GetCommit(s, commit)
	if err != nil {
		return "", fmt.Errorf("reading commit %s: %w", commit, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return "", fmt.Errorf("reading the tree of commit %s: %w", commit, err)
	}
	if err := writeTree(s, tree, tmp, "", &checkoutBudget{lim: lim}); err != nil {
		return "", fmt.Errorf("checking out commit %s: %w", commit, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		if _, ok := cachedCommit(repoDir, commit.String()); ok {
			return final, nil // another process installed it first
		}
		return "", err
	}
	return final, nil
}

// sweepStale removes temporary directories left by killed processes.
func sweepStale(repoDir string) {
	entries, err := os.ReadDir(repoDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".tmp-") {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > time.Hour {
			_ = os.RemoveAll(filepath.Join(repoDir, e.Name()))
		}
	}
}

var errUnsafeName = errors.New("unsafe file name in the repository")

// writeTree writes tree under dir; rel is its path in the repository, for errors.
// Submodules become empty directories (their content is another repository), as in
// a checkout without --recurse-submodules. Symlinks are written as they are; the chart
// loader refuses those that leave the chart.
func writeTree(s storer.EncodedObjectStorer, tree *object.Tree, dir, rel string, b *checkoutBudget) error {
	for _, e := range tree.Entries {
		name := e.Name
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") ||
			strings.EqualFold(name, ".git") || filepath.Base(name) != name {
			return fmt.Errorf("%w: %q in %q", errUnsafeName, name, rel)
		}
		p := filepath.Join(dir, name)
		rp := joinRel(rel, name)
		switch e.Mode {
		case filemode.Dir:
			sub, err := object.GetTree(s, e.Hash)
			if err != nil {
				return fmt.Errorf("reading directory %s: %w", rp, err)
			}
			if err := os.Mkdir(p, 0o755); err != nil {
				return err
			}
			if err := writeTree(s, sub, p, rp, b); err != nil {
				return err
			}
		case filemode.Submodule:
			if err := os.Mkdir(p, 0o755); err != nil {
				return err
			}
		case filemode.Symlink:
			target, err := readBlob(s, e.Hash, rp, b)
			if err != nil {
				return err
			}
			if err := os.Symlink(string(target), p); err != nil {
				return err
			}
		case filemode.Regular, filemode.Executable, filemode.Deprecated:
			mode := os.FileMode(0o644)
			if e.Mode == filemode.Executable {
				mode = 0o755
			}
			if err := writeBlob(s, e.Hash, p, rp, mode, b); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: unsupported file mode %s", rp, e.Mode)
		}
	}
	return nil
}

func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// objectSizer is a store that tells an object's size without reading it (go-git's
// filesystem storage reads small loose objects whole into memory).
type objectSizer interface {
	EncodedObjectSize(plumbing.Hash) (int64, error)
}

// openBlob opens the blob h at rp after counting its size against b.
func openBlob(s storer.EncodedObjectStorer, h plumbing.Hash, rp string, b *checkoutBudget) (io.ReadCloser, int64, error) {
	if sz, ok := s.(objectSizer); ok {
		n, err := sz.EncodedObjectSize(h)
		if err != nil {
			return nil, 0, fmt.Errorf("reading %s: %w", rp, err)
		}
		if err := b.check(rp, n); err != nil {
			return nil, 0, err
		}
	}
	blob, err := object.GetBlob(s, h)
	if err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", rp, err)
	}
	if err := b.add(rp, blob.Size); err != nil {
		return nil, 0, err
	}
	r, err := blob.Reader()
	if err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", rp, err)
	}
	return r, blob.Size, nil
}

func readBlob(s storer.EncodedObjectStorer, h plumbing.Hash, rp string, b *checkoutBudget) ([]byte, error) {
	r, n, err := openBlob(s, h, rp, b)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, n+1))
	if err == nil && int64(len(data)) > n {
		err = errTooLong
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", rp, err)
	}
	return data, nil
}

func writeBlob(s storer.EncodedObjectStorer, h plumbing.Hash, p, rp string, mode os.FileMode, b *checkoutBudget) error {
	r, n, err := openBlob(s, h, rp, b)
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	w, err := io.Copy(f, io.LimitReader(r, n+1))
	if err == nil && w > n {
		err = errTooLong
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", rp, err)
	}
	return f.Close()
}
