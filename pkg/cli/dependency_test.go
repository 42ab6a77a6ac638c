package cli

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// depFixture writes a chart "sub" and a chart "parent" depending on it (file://) and
// on web from a chart repository served by an httptest server; HOME and the hoist
// directories point into a temporary directory.
func depFixture(t *testing.T) (dir, url string) {
	t.Helper()
	root := t.TempDir()
	t.Setenv("HOME", root)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(root, "cache"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(root, "config"))
	t.Setenv("HOIST_REPOSITORY_CONFIG", filepath.Join(root, "config", "repositories.yaml"))
	t.Setenv("HOIST_REPOSITORY_CACHE", filepath.Join(root, "cache", "repository"))
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")

	web := t.TempDir()
	mustWrite(t, filepath.Join(web, "Chart.yaml"), "apiVersion: v2\nname: web\nversion: 1.2.0\n")
	c, err := chart.LoadDir(web)
	if err != nil {
		t.Fatal(err)
	}
	var tgz bytes.Buffer
	if err := chart.Write(&tgz, c, chart.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	index := "apiVersion: v1\nentries:\n  web:\n  - name: web\n    version: 1.2.0\n    apiVersion: v2\n    urls: [web-1.2.0.tgz]\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/charts/index.yaml":
			fmt.Fprint(w, index)
		case "/charts/web-1.2.0.tgz":
			w.Write(tgz.Bytes())
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	url = srv.URL + "/charts"

	mustWrite(t, filepath.Join(root, "sub", "Chart.yaml"), "apiVersion: v2\nname: sub\nversion: 0.1.0\n")
	dir = filepath.Join(root, "parent")
	mustWrite(t, filepath.Join(dir, "Chart.yaml"), "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n"+
		"- name: sub\n  version: 0.1.x\n  repository: file://../sub\n"+
		"- name: web\n  version: ^1.0.0\n  repository: "+url+"\n")
	return dir, url
}

func mustWrite(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDependencyUpdateBuildList(t *testing.T) {
	dir, url := depFixture(t)
	// The server's port varies, and with it the width of the table's columns.
	spaces := regexp.MustCompile(` {2,}`)
	norm := func(s string) string {
		return spaces.ReplaceAllString(strings.NewReplacer(url, "URL", dir, "DIR").Replace(s), "  ")
	}

	out, errOut, code := run(t, "dependency", "list", dir)
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, errOut)
	}
	golden(t, "dependency-list-missing", norm(out))

	out, errOut, code = run(t, "dependency", "update", dir)
	if code != 0 {
		t.Fatalf("update: exit %d: %s", code, errOut)
	}
	golden(t, "dependency-update", norm(out))
	lock, err := os.ReadFile(filepath.Join(dir, "Chart.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(lock), "generated: \"2023-11-14T22:13:20Z\"") || !strings.Contains(string(lock), "version: 1.2.0") {
		t.Errorf("Chart.lock:\n%s", lock)
	}

	for _, f := range []string{"table", "json", "yaml"} {
		out, errOut, code = run(t, "dep", "ls", dir, "-o", f)
		if code != 0 {
			t.Fatalf("list: exit %d: %s", code, errOut)
		}
		golden(t, "dependency-list-"+f, norm(out))
	}

	if err := os.RemoveAll(filepath.Join(dir, "charts")); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = run(t, "dependency", "build", dir)
	if code != 0 {
		t.Fatalf("build: exit %d: %s", code, errOut)
	}
	golden(t, "dependency-build", norm(out))

	// Chart.yaml changed since: build refuses.
	mustWrite(t, filepath.Join(dir, "Chart.yaml"), "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n"+
		"- name: web\n  version: ^1.1.0\n  repository: "+url+"\n")
	_, errOut, code = run(t, "dependency", "build", dir)
	if code == 0 || !strings.Contains(errOut, "out of sync") || !strings.Contains(errOut, "hoist dependency update") {
		t.Errorf("build with a stale lock: exit %d, stderr %q", code, errOut)
	}
}

func TestDependencyUpdateErrors(t *testing.T) {
	dir, _ := depFixture(t)
	mustWrite(t, filepath.Join(dir, "Chart.yaml"), "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n"+
		"- name: web\n  version: ^1.0.0\n  repository: \"@missing\"\n")
	_, errOut, code := run(t, "dependency", "update", dir)
	if code == 0 || !strings.Contains(errOut, "@missing") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestPackageDependencyUpdate(t *testing.T) {
	dir, _ := depFixture(t)
	dest := t.TempDir()
	out, errOut, code := run(t, "package", "--dependency-update", dir, "-d", dest)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "Saved web 1.2.0") || !strings.Contains(out, "Successfully packaged") {
		t.Errorf("output:\n%s", out)
	}
	c, err := chart.Load(filepath.Join(dest, "parent-1.0.0.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range c.Dependencies() {
		names = append(names, d.Name()+"-"+d.Metadata.Version)
	}
	if strings.Join(names, ",") != "sub-0.1.0,web-1.2.0" || c.Lock == nil {
		t.Errorf("packaged subcharts %v, lock %v", names, c.Lock)
	}
}

// TestDependencyCredentialsForSeveralRegistries: --username and --password with
// dependencies on two registries fail before any request (neither registry is
// listening), naming both.
func TestDependencyCredentialsForSeveralRegistries(t *testing.T) {
	root := t.TempDir()
	t.Setenv("HOME", root)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(root, "cache"))
	t.Setenv("DOCKER_CONFIG", filepath.Join(root, "docker"))
	dir := filepath.Join(root, "app")
	mustWrite(t, filepath.Join(dir, "Chart.yaml"), "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n"+
		"- name: web\n  version: 1.0.0\n  repository: oci://127.0.0.1:1/charts\n"+
		"- name: db\n  version: 2.0.0\n  repository: oci://127.0.0.1:2/charts\n")
	for _, verb := range []string{"update", "build"} {
		_, errOut, code := run(t, "dependency", verb, dir, "--plain-http", "--username", "alice", "--password", "s3cret")
		if code == 0 || !strings.Contains(errOut, "--username and --password are for one registry, not 2 (127.0.0.1:1, 127.0.0.1:2") ||
			strings.Contains(errOut, "cannot reach") {
			t.Errorf("%s: exit %d: %s", verb, code, errOut)
		}
	}
}
