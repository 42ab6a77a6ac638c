package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/pkg/chart/provenance/provenancetest"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
	"github.com/hoist-dev/hoist/pkg/testenv"
)

// writeKustomizePackage writes a kustomize package (a kustomization and a
// ConfigMap, no Chart.yaml) in a new directory named dirName and returns its path.
func writeKustomizePackage(t *testing.T, dirName, name, version, message string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), dirName)
	files := map[string]string{
		"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata:\n  name: " + name +
			"\n  annotations:\n    hoist.dev/version: " + version + "\nresources:\n- cm.yaml\n",
		"cm.yaml":       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  message: " + message + "\n",
		"docs/notes.md": "# notes\n",
	}
	for n, data := range files {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestPackageKustomize packages a kustomize package: <name>-<version>.tgz, the same
// bytes every time (whatever the files' times), SOURCE_DATE_EPOCH as the file's
// modification time, and the chart-only flags refused.
func TestPackageKustomize(t *testing.T) {
	dir := writeKustomizePackage(t, "src", "app", "1.2.0", "hello")
	dest := t.TempDir()
	out, errOut, code := run(t, "package", dir, "-d", dest)
	want := filepath.Join(dest, "app-1.2.0.tgz")
	if code != 0 || out != "Successfully packaged kustomize package and saved it to: "+want+"\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	first := readFile(t, want)
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "cm.yaml"), later, later); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600")
	dest2 := t.TempDir()
	if _, errOut, code := run(t, "package", dir, "-d", dest2); code != 0 {
		t.Fatalf("second package: %s", errOut)
	}
	if !bytes.Equal(readFile(t, filepath.Join(dest2, "app-1.2.0.tgz")), first) {
		t.Error("packaging the same package twice gave different bytes")
	}
	if fi, err := os.Stat(filepath.Join(dest2, "app-1.2.0.tgz")); err != nil || !fi.ModTime().Equal(time.Unix(1767225600, 0)) {
		t.Errorf("modification time with SOURCE_DATE_EPOCH: %v, %v", fi.ModTime(), err)
	}
	if entries, _ := os.ReadDir(dest2); len(entries) != 1 {
		t.Errorf("destination holds %v", entries)
	}

	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--sign"}, "--sign: " + dir + " is a kustomize package: only charts are signed"},
		{[]string{"--dependency-update"}, "--dependency-update: " + dir + " is a kustomize package: a kustomize package has no chart dependencies"},
		{[]string{"--version", "2.0.0"}, "--version: " + dir + " is a kustomize package: its version is the kustomization's metadata.annotations[hoist.dev/version]"},
		{[]string{"--app-version", "2.0.0"}, "--app-version: " + dir + " is a kustomize package"},
	} {
		dest := t.TempDir()
		out, errOut, code := run(t, append([]string{"package", dir, "-d", dest}, tc.flags...)...)
		if code != 1 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", tc.flags, code, out, errOut, tc.want)
		}
		if entries, _ := os.ReadDir(dest); len(entries) != 0 {
			t.Errorf("%v left %v", tc.flags, entries)
		}
	}

	// A broken kustomization is reported with its file.
	bad := writeKustomizePackage(t, "bad", "app", "one", "hello")
	if _, errOut, code := run(t, "package", bad, "-d", t.TempDir()); code != 1 || !strings.Contains(errOut, `"one" is not a semantic version`) {
		t.Errorf("bad version: exit %d, %s", code, errOut)
	}
}

func TestPushPackageErrors(t *testing.T) {
	isolateRegistryState(t)
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "app-1.0.0.tgz")
	if err := os.WriteFile(corrupt, []byte("\x1f\x8b\x08 truncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	host := closedPort(t)
	out, errOut, code := run(t, "push", corrupt, "oci://"+host, "--plain-http")
	if code != 1 || out != "" || !strings.Contains(errOut, "pushing "+corrupt+": neither a Helm chart archive nor a kustomize package archive") {
		t.Errorf("corrupt archive: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, errOut, code := run(t, "package", writeKustomizePackage(t, "app", "app", "1.0.0", "hi"), "-d", dir); code != 0 {
		t.Fatal(errOut)
	}
	archive := filepath.Join(dir, "app-1.0.0.tgz")
	if err := os.WriteFile(archive+".prov", []byte("signature"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "push", archive, "oci://"+host, "--plain-http"); code != 1 || !strings.Contains(errOut, "only charts are signed: remove the provenance file "+archive+".prov") {
		t.Errorf("package with a provenance file: exit %d, %s", code, errOut)
	}
}

// TestKustomizePackageCheckedAtFetch: a local kustomize package (directory or
// archive) whose kustomization only kustomize refuses fails where it is fetched,
// naming the file, for template and push alike.
func TestKustomizePackageCheckedAtFetch(t *testing.T) {
	isolateRegistryState(t)
	dir := writeKustomizePackage(t, "app", "app", "1.0.0", "hi")
	kust := filepath.Join(dir, "kustomization.yaml")
	f, err := os.OpenFile(kust, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("resourcez: []\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// hoist package refuses it too, so the archive is written here.
	p, err := kpkg.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := p.Archive()
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "app-1.0.0.tgz")
	if err := os.WriteFile(archive, data, 0o644); err != nil {
		t.Fatal(err)
	}

	const unknown = `unknown field "resourcez"`
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"template", "r", dir}, "fetching " + dir + ": kustomize package: " + kust + ": invalid kustomization: "},
		{[]string{"template", "r", archive}, "fetching " + archive + ": " + archive + ": kustomize package archive: app/kustomization.yaml: invalid kustomization: "},
		{[]string{"push", archive, "oci://" + closedPort(t), "--plain-http"}, "pushing " + archive + ": kustomize package archive: app/kustomization.yaml: invalid kustomization: "},
	} {
		out, errOut, code := run(t, tc.args...)
		if code != 1 || out != "" || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, unknown) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q…%s", tc.args, code, out, errOut, tc.want, unknown)
		}
	}
}

// TestE2EPackagePushPullInstall publishes a kustomize package with hoist package and
// hoist push, pulls it back (same bytes; --untar), renders it from the registry and
// installs and upgrades it from there.
func TestE2EPackagePushPullInstall(t *testing.T) {
	env := testenv.Require(t)
	isolateRegistryState(t)
	built := t.TempDir()
	for _, v := range []struct{ version, message string }{{"1.0.0", "first"}, {"1.1.0+build.2", "second"}} {
		if _, errOut, code := run(t, "package", writeKustomizePackage(t, "app", "app", v.version, v.message), "-d", built); code != 0 {
			t.Fatalf("package %s: %s", v.version, errOut)
		}
	}
	org := uniqueName(t)
	repo := "oci://" + env.Registry + "/" + org + "/app"
	for _, f := range []string{"app-1.0.0.tgz", "app-1.1.0+build.2.tgz"} {
		out, errOut, code := run(t, "push", filepath.Join(built, f), "oci://"+env.Registry+"/"+org, "--plain-http")
		if code != 0 || !strings.HasPrefix(out, "Pushed: "+env.Registry+"/"+org+"/app:") || !strings.Contains(out, "Digest: sha256:") {
			t.Fatalf("push %s: exit %d %q %q", f, code, out, errOut)
		}
	}

	dest := t.TempDir()
	out, errOut, code := run(t, "pull", repo, "--version", "1.0.0", "--plain-http", "-d", dest)
	if code != 0 || !strings.HasPrefix(out, "Pulled: "+env.Registry+"/"+org+"/app:1.0.0\n") {
		t.Fatalf("pull: exit %d %q %q", code, out, errOut)
	}
	if !bytes.Equal(readFile(t, filepath.Join(dest, "app-1.0.0.tgz")), readFile(t, filepath.Join(built, "app-1.0.0.tgz"))) {
		t.Error("pulled archive differs from the pushed one")
	}
	if _, errOut, code := run(t, "pull", repo, "--plain-http", "-d", dest, "--untar", "--untardir", "src"); code != 0 {
		t.Fatalf("pull --untar: %s", errOut)
	}
	if got := string(readFile(t, filepath.Join(dest, "src", "app", "cm.yaml"))); !strings.Contains(got, "message: second") {
		t.Errorf("untarred the wrong version: %q", got)
	}
	_, pubring := provenancetest.Keys(t, t.TempDir(), "Release Bot", "")
	verifyDest := t.TempDir()
	if _, errOut, code := run(t, "pull", repo, "--version", "1.0.0", "--plain-http", "-d", verifyDest, "--verify", "--keyring", pubring); code != 1 || !strings.Contains(errOut, "is a kustomize package, which has no provenance file") {
		t.Errorf("pull --verify: exit %d %q", code, errOut)
	}
	if entries, _ := os.ReadDir(verifyDest); len(entries) != 0 {
		t.Errorf("pull --verify left %v", entries)
	}

	out, errOut, code = run(t, "template", "rel", repo, "--version", "1.0.0", "--plain-http", "-n", "team-a")
	if code != 0 || !strings.Contains(out, "message: first") || !strings.Contains(out, "namespace: team-a") {
		t.Errorf("template from the registry: exit %d\n%s%s", code, out, errOut)
	}

	c := newClusterCLI(t)
	must := c.must
	message := func() string {
		t.Helper()
		return c.configMapData("settings")["message"]
	}
	must("install", "app", repo, "--version", "1.0.0", "--plain-http")
	if got := message(); got != "first" {
		t.Fatalf("after install: message %q", got)
	}
	must("upgrade", "app", repo, "--version", "^1.1", "--plain-http")
	if got := message(); got != "second" {
		t.Errorf("after upgrade: message %q", got)
	}
	if hist := must("history", "app"); !strings.Contains(hist, "app-1.1.0+build.2") {
		t.Errorf("history names the package:\n%s", hist)
	}
}
