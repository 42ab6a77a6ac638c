package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/chart/provenance"
	"github.com/hoist-dev/hoist/pkg/chart/provenance/provenancetest"
	"github.com/hoist-dev/hoist/pkg/testenv"
)

func writeChartDir(t *testing.T, name, version string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, data := range map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: " + name + "\nversion: " + version + "\ndescription: test chart\n",
		"values.yaml":       "greeting: hello\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPackageSignVerify(t *testing.T) {
	keys := t.TempDir()
	secring, pubring := provenancetest.Keys(t, keys, "Release Bot", "pass phrase")
	_, otherPub := provenancetest.Keys(t, t.TempDir(), "Mallory Key", "")
	passFile := filepath.Join(keys, "pass")
	if err := os.WriteFile(passFile, []byte("pass phrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	chartDir := writeChartDir(t, "web", "1.0.0")
	dest := t.TempDir()
	archive := filepath.Join(dest, "web-1.0.0.tgz")

	t.Setenv(provenance.PassphraseEnv, "")
	os.Unsetenv(provenance.PassphraseEnv)
	if _, errOut, code := run(t, "package", chartDir, "-d", dest, "--sign", "--key", "Release Bot", "--keyring", secring); code == 0 ||
		!strings.Contains(errOut, provenance.PassphraseEnv) {
		t.Fatalf("no passphrase: code %d, %s", code, errOut)
	}
	if _, err := os.Stat(archive); err == nil {
		t.Error("the archive was written though signing could not start")
	}
	if _, errOut, code := run(t, "package", chartDir, "-d", dest, "--sign", "--key", "release bot", "--keyring", secring, "--passphrase-file", passFile); code != 0 {
		t.Fatalf("package --sign: %s", errOut)
	}
	if _, err := os.Stat(archive + ".prov"); err != nil {
		t.Fatal(err)
	}
	t.Setenv(provenance.PassphraseEnv, "pass phrase")
	if _, errOut, code := run(t, "package", chartDir, "-d", dest, "--sign", "--key", "release@example", "--keyring", secring); code != 0 {
		t.Fatalf("package --sign with %s: %s", provenance.PassphraseEnv, errOut)
	}

	out, errOut, code := run(t, "verify", archive, "--keyring", pubring)
	if code != 0 {
		t.Fatalf("verify: %s", errOut)
	}
	sum := "sha256:" + provenance.Digest(readFile(t, archive))
	for _, want := range []string{"Signed by: Release Bot <release@example.com>\n", "Using Key With Fingerprint: ", "Chart Hash Verified: " + sum + "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, out)
		}
	}

	if _, errOut, code := run(t, "verify", archive, "--keyring", otherPub); code == 0 || !strings.Contains(errOut, "not in the keyring") {
		t.Errorf("wrong keyring: code %d, %s", code, errOut)
	}
	if _, errOut, code := run(t, "verify", archive, "--keyring", filepath.Join(keys, "nope.gpg")); code == 0 || !strings.Contains(errOut, "nope.gpg") {
		t.Errorf("missing keyring: code %d, %s", code, errOut)
	}

	tampered := filepath.Join(t.TempDir(), "web-1.0.0.tgz")
	os.WriteFile(tampered, append(readFile(t, archive), 0), 0o644)
	if _, errOut, code := run(t, "verify", tampered, "--keyring", pubring); code == 0 || !strings.Contains(errOut, "no provenance file") {
		t.Errorf("no .prov: code %d, %s", code, errOut)
	}
	os.WriteFile(tampered+".prov", readFile(t, archive+".prov"), 0o644)
	if _, errOut, code := run(t, "verify", tampered, "--keyring", pubring); code == 0 || !strings.Contains(errOut, "does not match") {
		t.Errorf("tampered archive: code %d, %s", code, errOut)
	}
}

func TestE2EPullVerify(t *testing.T) {
	env := testenv.Require(t)
	isolateRegistryState(t)
	secring, pubring := provenancetest.Keys(t, t.TempDir(), "Release Bot", "")
	_, otherPub := provenancetest.Keys(t, t.TempDir(), "Mallory Key", "")
	org := "oci://" + env.Registry + "/" + uniqueName(t)

	built := t.TempDir()
	if _, errOut, code := run(t, "package", writeChartDir(t, "signed", "1.0.0"), "-d", built, "--sign", "--keyring", secring); code != 0 {
		t.Fatal(errOut)
	}
	if _, errOut, code := run(t, "package", writeChartDir(t, "unsigned", "1.0.0"), "-d", built); code != 0 {
		t.Fatal(errOut)
	}
	for _, a := range []string{"signed-1.0.0.tgz", "unsigned-1.0.0.tgz"} {
		if _, errOut, code := run(t, "push", filepath.Join(built, a), org, "--plain-http"); code != 0 {
			t.Fatalf("push %s: %s", a, errOut)
		}
	}

	dest := t.TempDir()
	out, errOut, code := run(t, "pull", org+"/signed:1.0.0", "--plain-http", "-d", dest, "--verify", "--keyring", pubring)
	if code != 0 {
		t.Fatalf("pull --verify: %s", errOut)
	}
	if !strings.Contains(out, "Signed by: Release Bot <release@example.com>") {
		t.Errorf("pull --verify output:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dest, "signed-1.0.0.tgz.prov")); err != nil {
		t.Error(err)
	}

	for _, tc := range []struct{ ref, keyring, want string }{
		{org + "/signed:1.0.0", otherPub, "not in the keyring"},
		{org + "/unsigned:1.0.0", pubring, "no provenance file"},
	} {
		dest := t.TempDir()
		_, errOut, code := run(t, "pull", tc.ref, "--plain-http", "-d", dest, "--verify", "--keyring", tc.keyring)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("pull %s --verify: code %d, %s", tc.ref, code, errOut)
		}
		if left, _ := os.ReadDir(dest); len(left) != 0 {
			t.Errorf("pull %s --verify left %v behind", tc.ref, left)
		}
	}
	if _, errOut, code := run(t, "pull", org+"/signed:1.0.0", "--plain-http", "--verify", "--untar", "--keyring", pubring); code == 0 ||
		!strings.Contains(errOut, "--untar") {
		t.Errorf("--verify --untar: code %d, %s", code, errOut)
	}
}
