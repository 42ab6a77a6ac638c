package git

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// chartFiles is a small chart at dir with the given version.
func chartFiles(dir, version string) map[string]string {
	return map[string]string{
		dir + "/Chart.yaml":          "apiVersion: v2\nname: web\nversion: " + version + "\n",
		dir + "/values.yaml":         "replicas: 1\n",
		dir + "/templates/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
		"README.md":                  "repo " + version + "\n",
		"charts/other/.keep":         "",
		"scripts/run.sh":             "#!/bin/sh\n",
		"charts/web/docs/link-to-me": "target\n",
	}
}

// workRepo is a git work tree with a bare repository it pushes to, made with the
// git command (tests that need it skip without it).
type workRepo struct {
	t    *testing.T
	work string
	Bare string // path of the bare repository
}

func newWorkRepo(t *testing.T) *workRepo {
	t.Helper()
	return newWorkRepoIn(t, t.TempDir())
}

func newWorkRepoIn(t *testing.T, root string) *workRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	r := &workRepo{t: t, work: filepath.Join(root, "work"), Bare: filepath.Join(root, "repo.git")}
	r.git(root, "init", "--quiet", "--bare", "--initial-branch=main", r.Bare)
	r.git(root, "init", "--quiet", "--initial-branch=main", r.work)
	r.git(r.work, "remote", "add", "origin", r.Bare)
	return r
}

func (r *workRepo) git(dir string, args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes files, commits and pushes main; returns the commit hash.
func (r *workRepo) commit(files map[string]string, msg string) string {
	r.t.Helper()
	for p, c := range files {
		full := filepath.Join(r.work, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	r.git(r.work, "add", "--all")
	r.git(r.work, "commit", "--quiet", "--allow-empty", "-m", msg)
	r.git(r.work, "push", "--quiet", "origin", "HEAD:main")
	return r.git(r.work, "rev-parse", "HEAD")
}

func (r *workRepo) tag(name string) {
	r.t.Helper()
	r.git(r.work, "tag", "-a", "-m", name, name)
	r.git(r.work, "push", "--quiet", "origin", "refs/tags/"+name)
}

func (r *workRepo) branch(name string) {
	r.t.Helper()
	r.git(r.work, "push", "--quiet", "origin", "HEAD:refs/heads/"+name)
}

// shared is a fixture built once for the tests that only read it.
var shared struct {
	once sync.Once
	dir  string
	f    *fixture
}

// sharedFixture returns the read-only fixture (see newFixture); tests that push to
// their repository make their own.
func sharedFixture(t *testing.T) *fixture {
	t.Helper()
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "hoist-git-test-")
		if err != nil {
			t.Fatal(err)
		}
		shared.dir = dir
		shared.f = newFixtureIn(t, dir)
	})
	if shared.f == nil {
		t.Fatal("building the shared fixture failed")
	}
	return shared.f
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// counter counts the HTTP requests a client sends, by method and path suffix.
type counter struct {
	mu   sync.Mutex
	reqs []string
	next http.RoundTripper
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.reqs = append(c.reqs, r.Method+" "+r.URL.Path)
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *counter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.reqs
	c.reqs = nil
	return out
}

func newCounter() (*counter, *http.Client) {
	c := &counter{next: http.DefaultTransport}
	return c, &http.Client{Transport: c}
}
