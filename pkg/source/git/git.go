package git

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// Getter fetches charts from Git repositories. It is safe for concurrent use, and
// several processes may share one cache directory.
type Getter struct {
	opts  Options
	netrc netrc
	http  transport.Transport
}

var _ source.Getter = (*Getter)(nil)

// New checks the options (the netrc file and TLS files are read now) and returns a
// Getter.
func New(opts Options) (*Getter, error) {
	if opts.CacheDir == "" {
		return nil, errors.New("git: a cache directory is required")
	}
	n, err := loadNetrc(opts.NetrcFile)
	if err != nil {
		return nil, err
	}
	hc, err := opts.httpClient()
	if err != nil {
		return nil, fmt.Errorf("git: %w", err)
	}
	opts.Limits = opts.Limits.orDefaults()
	return &Getter{
		opts:  opts,
		netrc: n,
		http:  githttp.NewClientWithOptions(hc, &githttp.ClientOptions{RedirectPolicy: githttp.FollowInitialRedirects}),
	}, nil
}

// Get fetches the chart at ref.Subdir of the commit ref.GitRef resolves to in the
// repository ref.URL. Fetched.Digest is "git:<commit>" and Fetched.Source the
// reference pinned to that commit (without any password the URL had).
func (g *Getter) Get(ctx context.Context, ref source.Ref) (*source.Fetched, error) {
	if ref.Kind != source.Git {
		return nil, fmt.Errorf("git: %s is a %s reference", ref.Raw, ref.Kind)
	}
	u, err := url.Parse(ref.URL)
	if err != nil {
		return nil, fmt.Errorf("git %s: %w", redact(ref.URL), err)
	}
	subject := "git " + redactURL(u)
	if ref.GitRef != "" {
		subject += " ref " + strconv.Quote(ref.GitRef)
	}
	dir, res, err := g.checkout(ctx, u, ref.GitRef)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", subject, err)
	}
	chartDir := dir
	if ref.Subdir != "" {
		chartDir = filepath.Join(dir, filepath.FromSlash(ref.Subdir))
		if fi, err := os.Stat(chartDir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("%s: %w: no directory %s at commit %s%s", subject, ErrPathNotFound, ref.Subdir, res.Commit, nearby(dir, ref.Subdir))
		}
		// The path may go through symlinks of the repository: it must stay in it.
		if !inside(dir, chartDir) {
			return nil, fmt.Errorf("%s: %w: %s at commit %s is a symlink leading out of the repository", subject, ErrPathNotFound, ref.Subdir, res.Commit)
		}
	}
	where := "the repository root"
	if ref.Subdir != "" {
		where = ref.Subdir
	}
	pinned := source.Ref{Kind: source.Git, URL: stripPassword(u), Subdir: ref.Subdir, GitRef: res.Commit}
	if kpkg.IsPackage(os.DirFS(chartDir)) {
		if g.opts.Packages == nil {
			return nil, fmt.Errorf("%s: %s (commit %s) is a kustomize package: %w", subject, where, res.Commit, ErrNoPackageLoader)
		}
		p, err := g.opts.Packages.LoadPackageIn(dir, ref.Subdir, stripPassword(u))
		if err != nil {
			return nil, fmt.Errorf("%s: loading the kustomize package at %s (commit %s): %w", subject, where, res.Commit, err)
		}
		return source.PackageFetched(p, "git:"+res.Commit, pinned.String(), ""), nil
	}
	c, err := chart.LoadDir(chartDir)
	if err != nil {
		return nil, fmt.Errorf("%s: loading the chart at %s (commit %s): %w", subject, where, res.Commit, err)
	}
	return &source.Fetched{
		Chart:   c,
		Version: c.Metadata.Version,
		Digest:  "git:" + res.Commit,
		Source:  pinned.String(),
	}, nil
}

// Resolve resolves gitRef in the repository at repoURL with one ls-remote, and
// fetches nothing. An abbreviated commit hash must then be at a branch or tag tip
// (Get also finds older ones).
func (g *Getter) Resolve(ctx context.Context, repoURL, gitRef string) (Resolved, error) {
	u, err := url.Parse(repoURL)
	if err != nil {
		return Resolved{}, fmt.Errorf("git %s: %w", redact(repoURL), err)
	}
	subject := "git " + redactURL(u) + " ref " + strconv.Quote(gitRef)
	rem, err := g.open(ctx, u)
	if err != nil {
		return Resolved{}, fmt.Errorf("%s: %w", subject, err)
	}
	defer rem.close()
	rs, err := rem.refs(ctx)
	if err != nil {
		return Resolved{}, fmt.Errorf("%s: %w", subject, g.explain(err, rem))
	}
	res, err := resolve(rs, gitRef)
	if err != nil {
		return Resolved{}, fmt.Errorf("%s: %w", subject, err)
	}
	if res.prefix != "" {
		return Resolved{}, fmt.Errorf("%s: %w: no branch or tag is at a commit starting with %s; give the full hash", subject, ErrRefNotFound, res.prefix)
	}
	return res.Resolved, nil
}

// checkout makes the commit gitRef resolves to available in the cache and returns its
// directory. A full commit hash that is cached needs no network at all; otherwise one
// ls-remote resolves the ref, and only a commit the cache lacks is fetched.
func (g *Getter) checkout(ctx context.Context, u *url.URL, gitRef string) (string, Resolved, error) {
	repoDir := g.repoCacheDir(u)
	lower := strings.ToLower(gitRef)
	if len(lower) == 40 && isHex(lower) {
		if d, ok := cachedCommit(repoDir, lower); ok {
			return d, Resolved{Commit: lower}, nil
		}
	}
	rem, err := g.open(ctx, u)
	if err != nil {
		return "", Resolved{}, err
	}
	defer rem.close()
	rs, err := rem.refs(ctx)
	if err != nil {
		return "", Resolved{}, g.explain(err, rem)
	}
	res, err := resolve(rs, gitRef)
	if err != nil {
		return "", Resolved{}, err
	}
	if res.prefix != "" {
		if c, ok := cachedPrefix(repoDir, res.prefix); ok {
			d, _ := cachedCommit(repoDir, c)
			return d, Resolved{Commit: c}, nil
		}
		st, err := rem.objects(ctx, plumbing.ZeroHash, true)
		if err != nil {
			return "", Resolved{}, fmt.Errorf("fetching the history to find commit %s: %w", res.prefix, g.explain(err, rem))
		}
		c, err := findPrefix(st, res.prefix)
		if err != nil {
			return "", Resolved{}, err
		}
		d, err := install(st, repoDir, c, g.opts.Limits)
		return d, Resolved{Commit: c.String()}, err
	}
	if d, ok := cachedCommit(repoDir, res.Commit); ok {
		return d, res.Resolved, nil
	}
	commit := plumbing.NewHash(res.Commit)
	want, advertised := rs.want(commit)
	st, err := rem.objects(ctx, want, false)
	if err == nil {
		if _, herr := st.EncodedObject(plumbing.CommitObject, commit); herr != nil {
			err = fmt.Errorf("%w: %s is not a commit", ErrRefNotFound, commit)
		}
	}
	if err != nil && !advertised && ctx.Err() == nil && !errors.Is(err, ErrLimitExceeded) {
		// Servers refuse to send a commit no ref points to unless configured to
		// (uploadpack.allowReachableSHA1InWant; over HTTP git allows reachable ones):
		// fetch the branches and tags with their history and look for it there.
		var ferr error
		st, ferr = rem.objects(ctx, plumbing.ZeroHash, true)
		if ferr != nil {
			return "", Resolved{}, fmt.Errorf("fetching commit %s: %w", commit, g.explain(ferr, rem))
		}
		if _, herr := st.EncodedObject(plumbing.CommitObject, commit); herr != nil {
			return "", Resolved{}, fmt.Errorf("%w: commit %s is in no branch or tag%s", ErrRefNotFound, commit, rs.available())
		}
		err = nil
	}
	if err != nil {
		return "", Resolved{}, fmt.Errorf("fetching commit %s: %w", commit, g.explain(err, rem))
	}
	d, err := install(st, repoDir, commit, g.opts.Limits)
	return d, res.Resolved, err
}

// findPrefix finds the one commit in s whose hash starts with prefix.
func findPrefix(s storer.EncodedObjectStorer, prefix string) (plumbing.Hash, error) {
	it, err := s.IterEncodedObjects(plumbing.CommitObject)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	var found []plumbing.Hash
	err = it.ForEach(func(o plumbing.EncodedObject) error {
		if strings.HasPrefix(o.Hash().String(), prefix) {
			found = append(found, o.Hash())
		}
		return nil
	})
	if err != nil {
		return plumbing.ZeroHash, err
	}
	switch len(found) {
	case 0:
		return plumbing.ZeroHash, fmt.Errorf("%w: no commit starting with %s in any branch or tag", ErrRefNotFound, prefix)
	case 1:
		return found[0], nil
	}
	return plumbing.ZeroHash, fmt.Errorf("%w: abbreviated commit %s is ambiguous (%d commits); give more digits", ErrRefNotFound, prefix, len(found))
}

// open connects to the repository: file:// is read in place, http(s) and ssh go
// through go-git's transports with the Getter's credentials.
func (g *Getter) open(ctx context.Context, u *url.URL) (remote, error) {
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("file URLs name a local path: file:///path, not file://%s/…", u.Host)
		}
		return openLocal(u.Path)
	case "http", "https", "ssh":
	default:
		return nil, fmt.Errorf("unsupported scheme %q", u.Scheme)
	}
	bare := *u
	bare.User = nil
	bare.RawQuery, bare.Fragment = "", ""
	ep, err := transport.NewEndpoint(bare.String())
	if err != nil {
		return nil, err
	}
	r := &netRemote{ep: ep, limits: g.opts.Limits}
	if u.Scheme == "ssh" {
		user := "git"
		if u.User != nil && u.User.Username() != "" {
			user = u.User.Username()
		}
		port := ep.Port
		if port == 0 {
			port = 22
		}
		auth, err := newSSHAuth(&g.opts, user, net.JoinHostPort(ep.Host, strconv.Itoa(port)))
		if err != nil {
			return nil, err
		}
		ep.User = user
		r.tr, r.auth = gitssh.NewClient(nil), auth
		return &sshRemote{netRemote: r, auth: auth}, nil
	}
	r.tr = g.http
	if a := g.httpAuth(u); a != nil {
		r.auth = a
	}
	return r, nil
}

// sshRemote is a netRemote whose errors may come from host key verification.
type sshRemote struct {
	*netRemote
	auth *sshAuth
}

func (r *sshRemote) close() {
	r.netRemote.close()
	r.auth.close()
}

// httpAuth picks the credentials for u: the URL's, else the options', else the
// netrc entry for the host.
func (g *Getter) httpAuth(u *url.URL) githttp.AuthMethod {
	if u.User != nil {
		p, _ := u.User.Password()
		return &githttp.BasicAuth{Username: u.User.Username(), Password: p}
	}
	if g.opts.BearerToken != "" {
		return &githttp.TokenAuth{Token: g.opts.BearerToken}
	}
	if g.opts.Username != "" || g.opts.Password != "" {
		user := g.opts.Username
		if user == "" {
			user = "git"
		}
		return &githttp.BasicAuth{Username: user, Password: g.opts.Password}
	}
	if login, pass, ok := g.netrc.lookup(u.Hostname()); ok {
		return &githttp.BasicAuth{Username: login, Password: pass}
	}
	return nil
}

// explain turns transport errors into the package's errors, with what to do.
func (g *Getter) explain(err error, rem remote) error {
	if sr, ok := rem.(*sshRemote); ok {
		if hk := sr.auth.hostKeys.lastErr(); hk != nil {
			return hk
		}
		if strings.Contains(err.Error(), "unable to authenticate") {
			return fmt.Errorf("%w: the server refused the SSH keys of user %s: %w", ErrAuthFailed, sr.auth.user, err)
		}
	}
	var (
		auth  transport.AuthMethod
		isNet bool
	)
	switch r := rem.(type) {
	case *netRemote:
		auth, isNet = r.auth, true
	case *sshRemote:
		auth, isNet = r.netRemote.auth, true
	}
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired) && auth == nil:
		return fmt.Errorf("%w: the server asks for credentials: put them in a netrc file (machine HOST login USER password TOKEN) or in the URL", ErrAuthRequired)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		who := "the given credentials"
		if b, ok := auth.(*githttp.BasicAuth); ok {
			who = "the credentials of user " + strconv.Quote(b.Username)
		}
		return fmt.Errorf("%w: the server refused %s", ErrAuthFailed, who)
	case errors.Is(err, transport.ErrRepositoryNotFound):
		if auth == nil && isNet {
			return fmt.Errorf("%w (a private repository looks the same without credentials)", ErrRepositoryNotFound)
		}
		return ErrRepositoryNotFound
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return ErrEmptyRepository
	}
	return err
}

// inside reports whether path, with its symlinks resolved, is root or under it.
func inside(root, path string) bool {
	r, err1 := filepath.EvalSymlinks(root)
	p, err2 := filepath.EvalSymlinks(path)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(r, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// nearby lists what the repository has near a missing path, for the error message.
func nearby(root, subdir string) string {
	parent := filepath.Dir(filepath.FromSlash(subdir))
	for {
		entries, err := os.ReadDir(filepath.Join(root, parent))
		if err == nil {
			var dirs []string
			for _, e := range entries {
				if e.IsDir() {
					dirs = append(dirs, e.Name())
				}
			}
			sort.Strings(dirs)
			where := filepath.ToSlash(parent)
			if where == "." {
				where = "the repository root"
			}
			if len(dirs) == 0 {
				return "; " + where + " has no directories"
			}
			if len(dirs) > 10 {
				dirs = append(dirs[:10], "…")
			}
			return "; " + where + " has " + strings.Join(dirs, ", ")
		}
		if parent == "." || parent == string(filepath.Separator) {
			return ""
		}
		parent = filepath.Dir(parent)
	}
}

// stripPassword returns u without credentials: for ssh the user name stays (it is
// part of the address, "git@host"); for http(s) the whole userinfo goes, since a token
// is often given as the user name.
func stripPassword(u *url.URL) string {
	c := *u
	if c.User != nil {
		if c.Scheme == "ssh" {
			c.User = url.User(c.User.Username())
		} else {
			c.User = nil
		}
	}
	return c.String()
}

// redactURL is u for messages: no credentials.
func redactURL(u *url.URL) string { return stripPassword(u) }

func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return stripPassword(u)
	}
	return "<invalid URL>"
}
