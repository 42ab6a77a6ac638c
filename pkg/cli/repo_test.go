package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/pkg/testenv"
)

// isolateRepos points the repositories file, the caches and the home directory of
// this test at temporary directories.
func isolateRepos(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("HOIST_REPOSITORY_CONFIG", filepath.Join(dir, "config", "repositories.yaml"))
	t.Setenv("HOIST_REPOSITORY_CACHE", filepath.Join(dir, "cache", "repository"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("HOME", dir)
	return dir
}

// runStdin is run with stdin.
func runStdin(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), Deps{In: strings.NewReader(stdin), Out: &out, Err: &errb, Args: args, Build: testBuild})
	return out.String(), errb.String(), code
}

func tgzChart(t *testing.T, name, version, appVersion, description string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for p, c := range map[string]string{
		"Chart.yaml":        fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\nappVersion: %q\ndescription: %s\n", name, version, appVersion, description),
		"values.yaml":       "greeting: hello\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  greeting: {{ .Values.greeting }}\n  chart: {{ .Chart.Version }}\n",
	} {
		hdr := &tar.Header{Name: name + "/" + p, Mode: 0o644, Size: int64(len(c)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// chartServer is a chart repository with basic auth user:pass when user is set.
type chartServer struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	user  string
	pass  string
}

func newChartServer(t *testing.T) *chartServer {
	t.Helper()
	s := &chartServer{files: map[string][]byte{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		b, ok := s.files[r.URL.Path]
		user, pass := s.user, s.pass
		s.mu.Unlock()
		if u, p, _ := r.BasicAuth(); user != "" && (u != user || p != pass) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

type testChart struct{ name, version, appVersion, description string }

// publish serves the charts and an index of them, with relative URLs and digests.
func (s *chartServer) publish(t *testing.T, charts ...testChart) {
	t.Helper()
	var idx strings.Builder
	idx.WriteString("apiVersion: v1\nentries:\n")
	byName := map[string][]testChart{}
	var order []string
	for _, c := range charts {
		if _, ok := byName[c.name]; !ok {
			order = append(order, c.name)
		}
		byName[c.name] = append(byName[c.name], c)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range order {
		fmt.Fprintf(&idx, "  %s:\n", n)
		for _, c := range byName[n] {
			b := tgzChart(t, c.name, c.version, c.appVersion, c.description)
			file := fmt.Sprintf("%s-%s.tgz", c.name, c.version)
			s.files["/charts/"+file] = b
			sum := sha256.Sum256(b)
			fmt.Fprintf(&idx, "  - name: %s\n    version: %s\n    appVersion: %q\n    description: %q\n    urls: [%s]\n    digest: %s\n",
				c.name, c.version, c.appVersion, c.description, file, hex.EncodeToString(sum[:]))
		}
	}
	s.files["/charts/index.yaml"] = []byte(idx.String())
}

var webCharts = []testChart{
	{"web", "1.0.0", "1.25.0", "A web server"},
	{"web", "1.1.0", "1.27.0", "A web server"},
	{"web", "2.0.0-rc.1", "1.29.0", "A web server"},
	{"database", "0.3.2", "16.4", "A relational database, with a description long enough to be cut off in the table"},
}

func TestRepoCommands(t *testing.T) {
	isolateRepos(t)
	srv := newChartServer(t)
	srv.publish(t, webCharts...)
	repoURL := srv.URL + "/charts"

	out, errOut, code := run(t, "repo", "list")
	if code != 0 || out != "" || errOut != "no repositories to show\n" {
		t.Fatalf("empty list: %d %q %q", code, out, errOut)
	}
	out, _, _ = run(t, "repo", "list", "-o", "json")
	if strings.TrimSpace(out) != "[]" {
		t.Fatalf("empty json list: %q", out)
	}

	out, errOut, code = run(t, "repo", "add", "main", repoURL)
	if code != 0 || out != "\"main\" has been added to your repositories\n" {
		t.Fatalf("add: %d %q %q", code, out, errOut)
	}
	out, _, code = run(t, "repo", "add", "main", repoURL)
	if code != 0 || out != "\"main\" already exists with the same configuration, skipping\n" {
		t.Fatalf("add again: %d %q", code, out)
	}
	_, errOut, code = run(t, "repo", "add", "main", srv.URL+"/other")
	if code != 1 || !strings.Contains(errOut, "--force-update") {
		t.Fatalf("conflicting add: %d %q", code, errOut)
	}
	_, errOut, code = run(t, "repo", "add", "broken", srv.URL+"/nothing")
	if code != 1 || !strings.Contains(errOut, "is not a chart repository or cannot be reached") || !strings.Contains(errOut, "404") {
		t.Fatalf("add of a non-repository: %d %q", code, errOut)
	}
	_, errOut, code = run(t, "repo", "add", "bad/name", repoURL)
	if code != 1 || !strings.Contains(errOut, "repository name") {
		t.Fatalf("bad name: %d %q", code, errOut)
	}
	if _, _, code := run(t, "repo", "add", "second", repoURL); code != 0 {
		t.Fatal("add second")
	}

	out, _, _ = run(t, "repo", "list")
	want := fmt.Sprintf("NAME    URL\nmain    %s\nsecond  %s\n", repoURL, repoURL)
	if out != want {
		t.Fatalf("list:\n%s\nwant:\n%s", out, want)
	}
	out, _, _ = run(t, "repo", "list", "-o", "json")
	var list []map[string]string
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 2 || list[1]["name"] != "second" || list[1]["url"] != repoURL {
		t.Fatalf("json list %q: %v", out, err)
	}
	out, _, _ = run(t, "repo", "list", "-o", "yaml", "--no-headers")
	if !strings.Contains(out, "- name: main\n  url: "+repoURL) {
		t.Fatalf("yaml list %q", out)
	}

	srv.publish(t, append(webCharts, testChart{"web", "1.2.0", "1.27.3", "A web server"})...)
	out, errOut, code = run(t, "repo", "update")
	if code != 0 || !strings.Contains(out, `...Successfully got an update from the "main" chart repository (2 charts)`) ||
		!strings.Contains(out, `"second"`) || !strings.HasSuffix(out, "Update complete.\n") {
		t.Fatalf("update: %d %q %q", code, out, errOut)
	}
	out, _, _ = run(t, "search", "repo", "main/web")
	if !strings.Contains(out, "main/web  1.2.0") {
		t.Fatalf("search after update:\n%s", out)
	}
	_, errOut, code = run(t, "repo", "update", "nope")
	if code != 1 || !strings.Contains(errOut, "repo nope not found; run hoist repo add nope URL") {
		t.Fatalf("update of an unknown repo: %d %q", code, errOut)
	}

	// A chart from a repository through the common chart reference.
	out, errOut, code = run(t, "template", "rel", "main/web", "--version", "~1.0")
	if code != 0 || !strings.Contains(out, "chart: 1.0.0") || !strings.Contains(out, "name: rel") {
		t.Fatalf("template main/web: %d %q %q", code, out, errOut)
	}
	out, _, code = run(t, "show", "chart", "second/database")
	if code != 0 || !strings.Contains(out, "version: 0.3.2") {
		t.Fatalf("show chart: %d %q", code, out)
	}
	_, errOut, code = run(t, "show", "chart", "stable/web")
	if code != 1 || !strings.Contains(errOut, "repo stable not found; run hoist repo add") {
		t.Fatalf("unknown repo: %d %q", code, errOut)
	}

	out, _, code = run(t, "repo", "remove", "second", "main")
	if code != 0 || out != "\"second\" has been removed from your repositories\n\"main\" has been removed from your repositories\n" {
		t.Fatalf("remove: %d %q", code, out)
	}
	_, errOut, code = run(t, "repo", "rm", "main")
	if code != 1 || !strings.Contains(errOut, "repo main not found") {
		t.Fatalf("remove again: %d %q", code, errOut)
	}
}

func TestRepoAddCredentials(t *testing.T) {
	isolateRepos(t)
	srv := newChartServer(t)
	srv.publish(t, webCharts...)
	srv.user, srv.pass = "ci", "t0ken"
	repoURL := srv.URL + "/charts"

	_, errOut, code := run(t, "repo", "add", "private", repoURL)
	if code != 1 || !strings.Contains(errOut, "401") {
		t.Fatalf("without credentials: %d %q", code, errOut)
	}
	_, errOut, code = run(t, "repo", "add", "private", repoURL, "--username", "ci")
	if code != 1 || !strings.Contains(errOut, "--password-stdin") {
		t.Fatalf("username alone: %d %q", code, errOut)
	}
	_, errOut, code = runStdin(t, "wrong\n", "repo", "add", "private", repoURL, "--username", "ci", "--password-stdin")
	if code != 1 || !strings.Contains(errOut, `the credentials of user "ci" were refused`) {
		t.Fatalf("wrong password: %d %q", code, errOut)
	}
	out, errOut, code := runStdin(t, "t0ken\r\n", "repo", "add", "private", repoURL, "--username", "ci", "--password-stdin")
	if code != 0 || !strings.Contains(out, "has been added") {
		t.Fatalf("password from stdin: %d %q %q", code, out, errOut)
	}
	b, err := os.ReadFile(os.Getenv("HOIST_REPOSITORY_CONFIG"))
	if err != nil || !strings.Contains(string(b), "password: t0ken\n") || !strings.Contains(string(b), "username: ci\n") {
		t.Fatalf("repositories file %q: %v", b, err)
	}
	fi, _ := os.Stat(os.Getenv("HOIST_REPOSITORY_CONFIG"))
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("repositories file mode %v", fi.Mode())
	}
	if out, _, code := run(t, "show", "chart", "private/web"); code != 0 || !strings.Contains(out, "version: 1.1.0") {
		t.Fatalf("show with stored credentials: %d %q", code, out)
	}
	_, errOut, code = run(t, "repo", "add", "x", repoURL, "--password", "p", "--password-stdin", "--username", "u")
	if code != 1 || !strings.Contains(errOut, "not both") {
		t.Fatalf("both password flags: %d %q", code, errOut)
	}
}

// TestGitReferenceThroughCLI: a git+file:// reference works in every chart command.
func TestGitReferenceThroughCLI(t *testing.T) {
	dir := isolateRepos(t)
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	work := filepath.Join(dir, "work")
	gitRun := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@x.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@x.invalid", "GIT_CONFIG_GLOBAL=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if err := os.MkdirAll(filepath.Join(work, "charts", "web", "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, c := range map[string]string{
		"charts/web/Chart.yaml":        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
		"charts/web/templates/cm.yaml": "kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Version }}\n",
	} {
		if err := os.WriteFile(filepath.Join(work, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitRun("init", "--quiet", "--initial-branch=main")
	gitRun("add", "--all")
	gitRun("commit", "--quiet", "-m", "web")
	gitRun("tag", "v1.0.0")
	out, errOut, code := run(t, "template", "rel", "git+file://"+work+"//charts/web", "--version", "^1")
	if code != 0 || !strings.Contains(out, "name: rel-1.0.0") {
		t.Fatalf("template: %d %q %q", code, out, errOut)
	}
	cached, _ := filepath.Glob(filepath.Join(dir, "cache", "hoist", "git", "*", "*"))
	if len(cached) != 1 {
		t.Fatalf("git cache %v, want one commit under $XDG_CACHE_HOME/hoist/git", cached)
	}
	_, errOut, code = run(t, "show", "chart", "git+file://"+work+"//charts/api?ref=v1.0.0")
	if code != 1 || !strings.Contains(errOut, "no directory charts/api") || !strings.Contains(errOut, "charts has web") {
		t.Fatalf("missing path: %d %q", code, errOut)
	}
}

// TestE2EGitReferenceThroughCLI: `hoist template` with git+http references against the
// test environment's Git server, anonymously and with credentials from $NETRC.
func TestE2EGitReferenceThroughCLI(t *testing.T) {
	env := testenv.Require(t)
	dir := isolateRepos(t)
	repo, err := env.CreateGitRepo(fmt.Sprintf("e2e/cli-git-%d", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1.0.0", "1.1.0"} {
		if _, err := repo.Commit(map[string][]byte{
			"charts/web/Chart.yaml":        []byte("apiVersion: v2\nname: web\nversion: " + v + "\n"),
			"charts/web/templates/cm.yaml": []byte("kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Version }}\n"),
		}, v); err != nil {
			t.Fatal(err)
		}
		if err := repo.Tag("v" + v); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, code := run(t, "template", "rel", "git+"+repo.URL+"//charts/web", "--version", "~1.0")
	if code != 0 || !strings.Contains(out, "name: rel-1.0.0") {
		t.Fatalf("anonymous: %d %q %q", code, out, errOut)
	}
	_, errOut, code = run(t, "template", "rel", "git+"+repo.AuthURL+"//charts/web?ref=v1.1.0")
	if code != 1 || !strings.Contains(errOut, "authentication required") || !strings.Contains(errOut, "netrc") {
		t.Fatalf("no credentials: %d %q", code, errOut)
	}
	host := strings.Split(strings.TrimPrefix(env.GitURL, "http://"), ":")[0]
	netrc := filepath.Join(dir, "netrc")
	if err := os.WriteFile(netrc, []byte("machine "+host+"\n  login "+env.GitUser+"\n  password "+env.GitPass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NETRC", netrc)
	out, errOut, code = run(t, "template", "rel", "git+"+repo.AuthURL+"//charts/web?ref=v1.1.0")
	if code != 0 || !strings.Contains(out, "name: rel-1.1.0") {
		t.Fatalf("with $NETRC: %d %q %q", code, out, errOut)
	}
}
