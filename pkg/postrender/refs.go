package postrender

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// memfsName is what a file or directory name must look like for kustomize's
// in-memory file system to hold it.
var memfsName = regexp.MustCompile(`^[a-zA-Z0-9_.:-]+$`)

// resolve checks a path-valued field: not remote, not absolute, not leaving the
// root, present among the files (or a directory of them when dirOK), with a name
// kustomize's in-memory file system accepts. It returns the slash path relative to
// the root and whether it is a directory. A missing file is an error wrapping
// fs.ErrNotExist.
func (t *tree) resolve(k *kustomization, field, ref string, dirOK bool) (string, bool, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s %q: %w", t.name(k.file), field, ref, fmt.Errorf(format, args...))
	}
	local := ref
	switch {
	case ref == "":
		return "", false, fail("%w: empty path", ErrInvalidKustomization)
	case isRemote(ref):
		p, ok := t.sameRepository(ref)
		if !ok || !dirOK {
			return "", false, fail("%w: only the files of the directory itself can be used", ErrRemoteBase)
		}
		local = relPath(k.dir, p)
		if t.rewrites == nil {
			t.rewrites = map[string]map[string]string{}
		}
		if t.rewrites[k.file] == nil {
			t.rewrites[k.file] = map[string]string{}
		}
		t.rewrites[k.file][ref] = local
	case path.IsAbs(ref) || filepath.IsAbs(ref) || kpkg.IsDrivePath(ref):
		return "", false, fail("%w: absolute path", ErrUnsafePath)
	}
	target := path.Join(k.dir, local)
	if target == ".." || strings.HasPrefix(target, "../") {
		return "", false, fail("%w: path leaves the directory", ErrUnsafePath)
	}
	if t.fetch != nil {
		if _, err := t.fetch(target); err != nil {
			return "", false, fail("%w", err)
		}
	}
	_, isFile := t.files[target]
	isDir := !isFile && t.hasDir(target)
	switch {
	case isDir && !dirOK:
		return "", false, fail("is a directory, not a file")
	case !isFile && !isDir:
		if hostLike(ref) {
			return "", false, fail("%w: it looks like a remote reference; only the files of the directory itself can be used", ErrRemoteBase)
		}
		return "", false, fail("%w", fs.ErrNotExist)
	}
	if target != "." {
		for _, elem := range strings.Split(target, "/") {
			if !memfsName.MatchString(elem) || strings.Contains(elem, "..") {
				return "", false, fail("%w: kustomize accepts only names of letters, digits, '-', '_', '.' and ':' (without '..')", ErrUnsafePath)
			}
		}
	}
	return target, isDir, nil
}

// hasDir reports whether some file lies under the slash path dir.
func (t *tree) hasDir(dir string) bool { return dir == "." || kpkg.HasDir(t.files, dir) }

// relPath is the slash path of to relative to from (both clean slash paths
// relative to the same root, "." for the root).
func relPath(from, to string) string {
	split := func(p string) []string {
		if p == "." || p == "" {
			return nil
		}
		return strings.Split(p, "/")
	}
	f, g := split(from), split(to)
	i := 0
	for i < len(f) && i < len(g) && f[i] == g[i] {
		i++
	}
	parts := make([]string, 0, len(f)-i+len(g)-i)
	for range f[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, g[i:]...)
	if len(parts) == 0 {
		return "."
	}
	return strings.Join(parts, "/")
}

// sameRepository is the directory, relative to the root of the files, that a
// remote reference to one of the repositories of SameRepository names.
func (t *tree) sameRepository(ref string) (string, bool) {
	n := normalizeGitURL(ref)
	for _, repo := range t.repos {
		var rest string
		switch {
		case n == repo:
		case strings.HasPrefix(n, repo+"/"):
			rest = n[len(repo)+1:]
		default:
			continue
		}
		p := path.Clean("./" + rest)
		if p == ".." || strings.HasPrefix(p, "../") {
			return "", false
		}
		return p, true
	}
	return "", false
}

// normalizeGitURL reduces a Git reference to host/path: without git:: prefix,
// scheme, user, query, ".git" suffix of the repository or kustomize's "//"
// separator, with scp-like "host:path" as "host/path" and the host in lower case.
func normalizeGitURL(s string) string {
	if l := strings.ToLower(s); strings.HasPrefix(l, "git::") {
		s = s[len("git::"):]
	}
	s, _, _ = strings.Cut(s, "?")
	scheme := false
	if i := strings.Index(s, "://"); i >= 0 {
		s, scheme = s[i+3:], true
	}
	// before reports whether i is the index of a byte before the first slash.
	before := func(i int) bool { slash := strings.Index(s, "/"); return i >= 0 && (slash < 0 || i < slash) }
	if at := strings.Index(s, "@"); before(at) {
		s = s[at+1:]
	}
	if c := strings.Index(s, ":"); !scheme && before(c) {
		s = s[:c] + "/" + s[c+1:]
	}
	host, rest, _ := strings.Cut(s, "/")
	s = strings.ToLower(host) + "/" + rest
	if i := strings.Index(s, ".git/"); i >= 0 {
		s = s[:i] + s[i+len(".git"):]
	}
	s = strings.TrimSuffix(s, ".git")
	for strings.Contains(s, "//") {
		s = strings.ReplaceAll(s, "//", "/")
	}
	return strings.TrimSuffix(s, "/")
}

var (
	// scpUser is the user part of an scp-like Git URL (git@github.com:org/repo).
	scpUser = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@`)
)

// isRemote reports whether kustomize would read ref from the network: any URL,
// the git:: prefix, scp-like user@host: references and github.com/… shorthands
// (what kustomize's Git reference parser accepts, and more).
func isRemote(ref string) bool {
	l := strings.ToLower(ref)
	if u := scpUser.FindString(ref); u != "" {
		rest := ref[len(u):]
		if strings.Contains(rest, ":") || strings.Count(rest, "/") >= 2 {
			return true // user@host:org/repo, user@host/org/repo
		}
	}
	return strings.HasPrefix(l, "git::") || strings.Contains(l, "://") ||
		strings.HasPrefix(l, "github.com/") || strings.HasPrefix(l, "github.com:")
}

// hostLike reports whether ref starts with what looks like a host name
// (gitlab.com/org/repo).
func hostLike(ref string) bool {
	first, _, ok := strings.Cut(ref, "/")
	return ok && first != "." && first != ".." && strings.Contains(first, ".")
}
