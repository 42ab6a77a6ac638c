package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/pkg/testenv"
)

// writeChartArchive writes <dir>/<name>-<version>.tgz, a small chart, and returns
// its path.
func writeChartArchive(t *testing.T, dir, name, version string) string {
	t.Helper()
	files := []struct{ name, data string }{
		{"Chart.yaml", fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\ndescription: test chart\n", name, version)},
		{"values.yaml", "greeting: hello\n"},
		{"templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  greeting: {{ .Values.greeting | quote }}\n  chart: {{ .Chart.Name }}-{{ .Chart.Version }}\n"},
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		hd := &tar.Header{Name: name + "/" + f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hd); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+"-"+version+".tgz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// uniqueName is a repository path element unique to this test run.
func uniqueName(t *testing.T) string {
	name := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(name) > 40 {
		name = name[:40]
	}
	return fmt.Sprintf("%s-%d", name, time.Now().UnixNano())
}

func TestPushErrors(t *testing.T) {
	isolateRegistryState(t)
	dir := t.TempDir()
	archive := writeChartArchive(t, dir, "web", "1.0.0")
	host := closedPort(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"push", archive}, "accepts 2 arg(s)"},
		{[]string{"push", archive, host + "/org"}, "a push target is oci://HOST[/PATH]"},
		{[]string{"push", archive, "oci://" + host + "/org/web:1.0.0"}, "give no tag or digest"},
		{[]string{"push", archive, "oci://" + host + "/Org"}, "must be lower-case"},
		{[]string{"push", dir, "oci://" + host}, "it is a directory"},
		{[]string{"push", filepath.Join(dir, "missing.tgz"), "oci://" + host}, "no such file"},
		{[]string{"push", archive, "oci://" + host, "--plain-http"}, "cannot reach registry " + host + ": connection refused"},
		{[]string{"push", archive, "oci://" + host, "--username", "u"}, "--username and --password go together"},
		{[]string{"push", archive, "oci://" + host, "--cert-file", "c.pem"}, "needs both a certificate file and a key file"},
	} {
		out, errOut, code := run(t, tc.args...)
		if code != 1 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", tc.args, code, out, errOut, tc.want)
		}
	}
}

// TestE2EPushBuildMetadata pushes a version with '+' to the plain registry: it is
// tagged with '_' and pulled back under its real version.
func TestE2EPushBuildMetadata(t *testing.T) {
	env := testenv.Require(t)
	isolateRegistryState(t)
	archive := writeChartArchive(t, t.TempDir(), "web", "2.0.0+git.abc")
	org := uniqueName(t)
	out, errOut, code := run(t, "push", archive, "oci://"+env.Registry+"/"+org, "--plain-http")
	if code != 0 || !strings.HasPrefix(out, "Pushed: "+env.Registry+"/"+org+"/web:2.0.0_git.abc\n") ||
		!strings.Contains(errOut, "version 2.0.0+git.abc is stored as tag 2.0.0_git.abc") {
		t.Fatalf("push: exit %d %q %q", code, out, errOut)
	}
	dest := t.TempDir()
	out, errOut, code = run(t, "pull", "oci://"+env.Registry+"/"+org+"/web", "--plain-http", "-d", dest)
	if code != 0 || !strings.HasPrefix(out, "Pulled: "+env.Registry+"/"+org+"/web:2.0.0_git.abc\n") {
		t.Fatalf("pull: exit %d %q %q", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dest, "web-2.0.0+git.abc.tgz")); err != nil {
		t.Error(err)
	}
}
