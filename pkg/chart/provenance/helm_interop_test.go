package provenance

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
)

// helmBin returns the pinned Helm binary the conformance tests use, or skips.
func helmBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no Helm interop")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip(err)
	}
	p := filepath.Join(home, ".cache", "hoist", "tools", "helm-4.3.1", "helm")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("helm 4.3.1 not installed at %s", p)
	}
	return p
}

func runHelm(t *testing.T, helm string, args ...string) string {
	t.Helper()
	tmp := t.TempDir()
	cmd := exec.Command(helm, args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(tmp, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(tmp, "config"),
		"HELM_DATA_HOME="+filepath.Join(tmp, "data"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Helm reads only binary (GnuPG 1 style) keyrings, which is what writeKeyring
// writes unarmored.
func TestHelmInterop(t *testing.T) {
	helm := helmBin(t)
	dir := t.TempDir()
	key := newKey(t, "Hoist Test", "test@hoist.dev")
	pub := filepath.Join(dir, "pubring.gpg")
	sec := filepath.Join(dir, "secring.gpg")
	writeKeyring(t, pub, false, false, key)
	writeKeyring(t, sec, true, false, key)

	t.Run("helm verifies hoist", func(t *testing.T) {
		archive := packageChart(t, t.TempDir())
		signTo(t, archive, key)
		out := runHelm(t, helm, "verify", archive, "--keyring", pub)
		data, _ := os.ReadFile(archive)
		for _, want := range []string{"Signed by: Hoist Test (test) <test@hoist.dev>", "Chart Hash Verified: sha256:" + Digest(data)} {
			if !strings.Contains(out, want) {
				t.Errorf("helm verify output lacks %q:\n%s", want, out)
			}
		}
		// and rejects it once tampered
		os.WriteFile(archive, append(data, 0), 0o644)
		cmd := exec.Command(helm, "verify", archive, "--keyring", pub)
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Errorf("helm verified a tampered archive:\n%s", out)
		}
	})

	t.Run("hoist verifies helm", func(t *testing.T) {
		out := t.TempDir()
		runHelm(t, helm, "package", writeChart(t), "-d", out, "--sign", "--key", "Hoist Test", "--keyring", sec)
		archive := filepath.Join(out, "web-1.2.3.tgz")
		v, err := Verify(archive, archive+".prov", openpgp.EntityList{key})
		if err != nil {
			t.Fatal(err)
		}
		if v.Signer != "Hoist Test (test) <test@hoist.dev>" || v.Metadata.Version != "1.2.3" {
			t.Errorf("verification = %+v", v)
		}

		// hoist writes the same signed text as Helm for the same archive
		helmProv, _ := os.ReadFile(archive + ".prov")
		ours, err := Sign(archive, key)
		if err != nil {
			t.Fatal(err)
		}
		hb, _ := clearsign.Decode(helmProv)
		ob, _ := clearsign.Decode(ours)
		if hb == nil || ob == nil {
			t.Fatal("not clearsigned")
		}
		if !bytes.Equal(hb.Plaintext, ob.Plaintext) {
			t.Errorf("signed text differs:\n--- helm\n%s\n--- hoist\n%s", hb.Plaintext, ob.Plaintext)
		}
		if hh, oh := hb.Headers.Get("Hash"), ob.Headers.Get("Hash"); hh != oh {
			t.Errorf("Hash header: helm %q, hoist %q", hh, oh)
		}
	})
}
