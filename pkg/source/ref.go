package source

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
)

// Kind is where a chart comes from.
type Kind int

// Kinds of references.
const (
	Local Kind = iota // a directory or a .tgz on disk
	OCI               // oci://registry/repository[:tag|@digest]
	Git               // git+https://, git+http://, git+ssh://, git+file:// with //subdir and ?ref=
	Repo              // repo/chart from a repository added with `hoist repo add`
)

func (k Kind) String() string {
	switch k {
	case OCI:
		return "oci"
	case Git:
		return "git"
	case Repo:
		return "repo"
	}
	return "local"
}

// Ref is a parsed chart reference. Only the fields of its Kind are set.
type Ref struct {
	Kind Kind
	// Raw is the reference as the user wrote it.
	Raw string
	// Version is the --version flag: an exact version or a SemVer constraint.
	Version string

	// Local: Path to the directory or archive.
	Path string

	// OCI: Registry ("host[:port]"), Repository ("org/chart"), and at most one of
	// Tag or Digest ("sha256:…").
	Registry   string
	Repository string
	Tag        string
	Digest     string

	// Git: URL is the clone URL without the "git+" prefix (https://host/org/repo.git,
	// ssh://git@host/org/repo.git, file:///srv/repo.git); Subdir is the chart's path in
	// the repository ("" for the root); GitRef is a branch, a tag, a SemVer range over
	// tags, or a commit hash ("" for the default branch).
	URL    string
	Subdir string
	GitRef string

	// Repo: RepoName and Chart name.
	RepoName string
	Chart    string
}

// ErrInvalidRef is wrapped by every parse error.
var ErrInvalidRef = errors.New("invalid chart reference")

// The patterns are compiled on first use: every hoist command starts faster for it.
var (
	ociRepoRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	})
	ociTagRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`) })
	digestRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^sha256:[a-f0-9]{64}$`) })
	repoChartRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)/([A-Za-z0-9][A-Za-z0-9._-]*)$`)
	})
)

// Parse reads a chart reference. isLocal reports whether a path exists on disk; a
// "name/chart" that exists locally is a path, otherwise a repository reference
// (Helm's rule).
func Parse(raw, version string, isLocal func(string) bool) (Ref, error) {
	fail := func(format string, args ...any) (Ref, error) {
		return Ref{}, fmt.Errorf("%w %q: %s", ErrInvalidRef, raw, fmt.Sprintf(format, args...))
	}
	if raw == "" {
		return fail("empty")
	}
	r := Ref{Raw: raw, Version: version}
	switch {
	case strings.HasPrefix(raw, "oci://"):
		r.Kind = OCI
		rest := strings.TrimPrefix(raw, "oci://")
		host, repo, ok := strings.Cut(rest, "/")
		if !ok || host == "" || repo == "" {
			return fail("want oci://HOST/REPOSITORY[:TAG|@sha256:DIGEST]")
		}
		if i := strings.Index(repo, "@"); i >= 0 {
			r.Digest = repo[i+1:]
			repo = repo[:i]
			if !digestRE().MatchString(r.Digest) {
				return fail("digest %q is not sha256:<64 hex digits>", r.Digest)
			}
		}
		if i := strings.LastIndex(repo, ":"); i >= 0 {
			r.Tag = repo[i+1:]
			repo = repo[:i]
			if !ociTagRE().MatchString(r.Tag) {
				return fail("tag %q is not a valid OCI tag", r.Tag)
			}
		}
		if !ociRepoRE().MatchString(repo) {
			return fail("repository %q must be lower-case path components", repo)
		}
		if r.Tag != "" && r.Digest != "" {
			return fail("give a tag or a digest, not both")
		}
		if version != "" && (r.Tag != "" || r.Digest != "") {
			return fail("--version cannot be combined with a tag or digest in the reference")
		}
		r.Registry, r.Repository = host, repo
		return r, nil
	case strings.HasPrefix(raw, "git+"):
		r.Kind = Git
		u, err := url.Parse(strings.TrimPrefix(raw, "git+"))
		if err != nil {
			return fail("%v", err)
		}
		switch u.Scheme {
		case "https", "http", "ssh", "file":
		default:
			return fail("scheme git+%s is not supported (git+https, git+http, git+ssh, git+file)", u.Scheme)
		}
		q := u.Query()
		r.GitRef = q.Get("ref")
		q.Del("ref")
		if len(q) > 0 {
			return fail("unknown query parameters %v (only ref= is understood)", keys(q))
		}
		u.RawQuery = ""
		p := u.Path
		if i := strings.Index(p, "//"); i >= 0 {
			r.Subdir = strings.Trim(p[i+2:], "/")
			p = p[:i]
			if r.Subdir != "" && (path.Clean(r.Subdir) != r.Subdir || strings.HasPrefix(r.Subdir, "..")) {
				return fail("chart path %q must be a clean relative path inside the repository", r.Subdir)
			}
		}
		u.Path = p
		if u.Scheme != "file" && u.Host == "" {
			return fail("missing host")
		}
		if version != "" && r.GitRef != "" {
			return fail("--version cannot be combined with ?ref=")
		}
		if version != "" {
			r.GitRef = version // a SemVer range over tags
		}
		r.URL = u.String()
		return r, nil
	case strings.Contains(raw, "://"):
		return fail("scheme not supported: use oci://, git+https://, git+ssh://, git+file://, repo/chart or a path")
	}
	if isLocal != nil && isLocal(raw) {
		r.Kind, r.Path = Local, raw
		return r, nil
	}
	if m := repoChartRE().FindStringSubmatch(raw); m != nil {
		r.Kind, r.RepoName, r.Chart = Repo, m[1], m[2]
		return r, nil
	}
	// Not on disk and not repo/chart: report it as the missing path it most likely is.
	return fail("no such file or directory, and not a repo/chart reference")
}

func keys(q url.Values) []string {
	out := make([]string, 0, len(q))
	for k := range q {
		out = append(out, k)
	}
	return out
}

// String is the canonical form of the reference.
func (r Ref) String() string {
	switch r.Kind {
	case OCI:
		s := "oci://" + r.Registry + "/" + r.Repository
		if r.Digest != "" {
			return s + "@" + r.Digest
		}
		if r.Tag != "" {
			return s + ":" + r.Tag
		}
		return s
	case Git:
		s := "git+" + r.URL
		if r.Subdir != "" {
			s += "//" + r.Subdir
		}
		if r.GitRef != "" {
			s += "?ref=" + url.QueryEscape(r.GitRef)
		}
		return s
	case Repo:
		return r.RepoName + "/" + r.Chart
	}
	return r.Path
}
