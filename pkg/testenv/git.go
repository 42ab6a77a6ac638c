package testenv

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// GitHandler serves the bare repositories under root with `git http-backend` (smart
// HTTP, fetch and push). Paths under /auth/ serve the same repositories but require basic
// auth with user and password.
func GitHandler(gitBin, root, user, password string) http.Handler {
	backend := func(remoteUser string) http.Handler {
		env := []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}
		if remoteUser != "" {
			env = append(env, "REMOTE_USER="+remoteUser)
		}
		return &cgi.Handler{Path: gitBin, Args: []string{"http-backend"}, Env: env}
	}
	public, private := backend(""), backend(user)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, authed := strings.CutPrefix(r.URL.Path, "/auth/")
		if !authed {
			public.ServeHTTP(w, r)
			return
		}
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="hoist-testenv"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + rest
		private.ServeHTTP(w, r2)
	})
}

// ServeGit serves GitHandler on addr until ctx ends.
func ServeGit(ctx context.Context, addr, root, user, password string) error {
	gitBin, err := exec.LookPath("git")
	if err != nil {
		return fmt.Errorf("git not found: %w", err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: GitHandler(gitBin, root, user, password), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *starter) startGit(ctx context.Context) error {
	gitPort, err := port("git-server", s.opts.Ports.Git)
	if err != nil {
		return err
	}
	s.env.GitRoot = s.path("data", "git")
	if err := os.MkdirAll(s.env.GitRoot, 0o755); err != nil {
		return err
	}
	s.env.GitUser, s.env.GitPass = "hoist", randomToken(12)
	addr := "127.0.0.1:" + strconv.Itoa(gitPort)
	s.env.GitURL = "http://" + addr
	probe := httpReady(http.DefaultClient, s.env.GitURL+"/auth/", "", http.StatusUnauthorized)
	if len(s.opts.GitCommand) == 0 {
		gctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- ServeGit(gctx, addr, s.env.GitRoot, s.env.GitUser, s.env.GitPass) }()
		s.env.stopGit = cancel
		for deadline := time.Now().Add(s.opts.Timeout); ; {
			select {
			case err := <-errc:
				return &ComponentError{Component: "git-server", Err: fmt.Errorf("serving on %s: %w", addr, err)}
			default:
			}
			if ok, _ := probe(ctx); ok {
				return nil
			}
			if time.Now().After(deadline) {
				return &ComponentError{Component: "git-server", Err: fmt.Errorf("not answering on %s", addr)}
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	args := append(append([]string{}, s.opts.GitCommand[1:]...),
		"--addr="+addr, "--root="+s.env.GitRoot, "--user="+s.env.GitUser, "--password="+s.env.GitPass)
	p, err := s.launch("git-server", s.opts.GitCommand[0], args, nil)
	if err != nil {
		return err
	}
	return p.waitReady(ctx, s.opts.Timeout, probe)
}

var repoName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$`)

// GitRepo is a bare repository on the environment's Git server with a work tree that
// the helpers commit from.
type GitRepo struct {
	env  *Env
	Name string
	// URL is the repository's anonymous clone URL; AuthURL needs GitUser/GitPass.
	URL     string
	AuthURL string
	work    string
}

// CreateGitRepo creates an empty bare repository (default branch main) that accepts
// pushes over HTTP. Names are lower-case paths such as "charts/app".
func (e *Env) CreateGitRepo(name string) (*GitRepo, error) {
	if !repoName.MatchString(name) {
		return nil, fmt.Errorf("git repository name %q: want lower-case letters, digits, '.', '_', '-' and '/'", name)
	}
	bare := filepath.Join(e.GitRoot, name+".git")
	if _, err := os.Stat(bare); err == nil {
		return nil, fmt.Errorf("git repository %s already exists", name)
	}
	if err := runGit("", "init", "--quiet", "--bare", "--initial-branch=main", bare); err != nil {
		return nil, err
	}
	if err := runGit(bare, "config", "http.receivepack", "true"); err != nil {
		return nil, err
	}
	r := &GitRepo{
		env:     e,
		Name:    name,
		URL:     e.GitURL + "/" + name + ".git",
		AuthURL: e.GitURL + "/auth/" + name + ".git",
		work:    filepath.Join(e.Dir, "git-work", name),
	}
	if err := os.MkdirAll(r.work, 0o755); err != nil {
		return nil, err
	}
	if err := runGit(r.work, "init", "--quiet", "--initial-branch=main"); err != nil {
		return nil, err
	}
	if err := runGit(r.work, "remote", "add", "origin", r.URL); err != nil {
		return nil, err
	}
	return r, nil
}

// Commit writes files (path -> content; a nil content deletes the path) into the work
// tree, commits them and pushes to the server over HTTP. It returns the commit hash.
func (r *GitRepo) Commit(files map[string][]byte, message string) (string, error) {
	r.env.gitMu.Lock()
	defer r.env.gitMu.Unlock()
	for p, content := range files {
		full := filepath.Join(r.work, filepath.FromSlash(p))
		if !strings.HasPrefix(full, r.work+string(filepath.Separator)) {
			return "", fmt.Errorf("git commit: path %q leaves the repository", p)
		}
		if content == nil {
			if err := os.RemoveAll(full); err != nil {
				return "", err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(full, content, 0o644); err != nil {
			return "", err
		}
	}
	if err := runGit(r.work, "add", "--all"); err != nil {
		return "", err
	}
	if err := runGit(r.work, "commit", "--quiet", "--allow-empty", "-m", message); err != nil {
		return "", err
	}
	if err := runGit(r.work, "push", "--quiet", "origin", "HEAD:main"); err != nil {
		return "", err
	}
	out, err := gitOutput(r.work, "rev-parse", "HEAD")
	return strings.TrimSpace(out), err
}

// Tag creates an annotated tag at HEAD and pushes it.
func (r *GitRepo) Tag(tag string) error {
	r.env.gitMu.Lock()
	defer r.env.gitMu.Unlock()
	if err := runGit(r.work, "tag", "-a", "-m", tag, tag); err != nil {
		return err
	}
	return runGit(r.work, "push", "--quiet", "origin", "refs/tags/"+tag)
}

// Branch creates a branch at HEAD and pushes it.
func (r *GitRepo) Branch(name string) error {
	r.env.gitMu.Lock()
	defer r.env.gitMu.Unlock()
	return runGit(r.work, "push", "--quiet", "origin", "HEAD:refs/heads/"+name)
}

func runGit(dir string, args ...string) error {
	_, err := gitOutput(dir, args...)
	return err
}

func gitOutput(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=hoist-testenv", "GIT_AUTHOR_EMAIL=testenv@hoist.invalid",
		"GIT_COMMITTER_NAME=hoist-testenv", "GIT_COMMITTER_EMAIL=testenv@hoist.invalid",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
