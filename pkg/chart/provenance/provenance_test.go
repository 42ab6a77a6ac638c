package provenance

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
)

func TestSignVerify(t *testing.T) {
	dir := t.TempDir()
	archive := packageChart(t, dir)
	key := newKey(t, "Hoist Test", "test@hoist.dev")
	provPath := signTo(t, archive, key)

	prov, _ := os.ReadFile(provPath)
	s := string(prov)
	if !strings.HasPrefix(s, "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n") {
		t.Fatalf("not a SHA-512 clearsigned message:\n%s", s)
	}
	data, _ := os.ReadFile(archive)
	wantFiles := "\n...\nfiles:\n  web-1.2.3.tgz: sha256:" + Digest(data) + "\n"
	if !strings.Contains(s, wantFiles) {
		t.Fatalf("no files entry %q in:\n%s", wantFiles, s)
	}
	// Helm's metadata body: sigs.k8s.io/yaml, keys sorted, dash lines escaped.
	for _, want := range []string{"apiVersion: v2\nappVersion: \"4.5\"\n", "name: web\n", "keywords:\n- - web\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("prov lacks %q:\n%s", want, s)
		}
	}

	pub := filepath.Join(dir, "pubring.gpg")
	writeKeyring(t, pub, false, false, newKey(t, "Other", "other@example.com"), key)
	ring, err := LoadKeyring(pub)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Verify(archive, provPath, ring)
	if err != nil {
		t.Fatal(err)
	}
	if v.Signer != "Hoist Test (test) <test@hoist.dev>" || v.FileName != "web-1.2.3.tgz" ||
		v.FileHash != "sha256:"+Digest(data) || v.Metadata.Name != "web" || v.Metadata.Version != "1.2.3" {
		t.Errorf("verification = %+v", v)
	}
	if want := strings.ToUpper(string(hexFP(key))); v.Fingerprint != want {
		t.Errorf("fingerprint %s, want %s", v.Fingerprint, want)
	}
}

func hexFP(e *openpgp.Entity) []byte {
	const digits = "0123456789abcdef"
	var b []byte
	for _, c := range e.PrimaryKey.Fingerprint {
		b = append(b, digits[c>>4], digits[c&15])
	}
	return b
}

func TestVerifyFailures(t *testing.T) {
	dir := t.TempDir()
	archive := packageChart(t, dir)
	key := newKey(t, "Hoist Test", "test@hoist.dev")
	provPath := signTo(t, archive, key)
	ring := openpgp.EntityList{key}
	prov, _ := os.ReadFile(provPath)
	data, _ := os.ReadFile(archive)

	t.Run("tampered archive", func(t *testing.T) {
		bad := append(bytes.Clone(data), 0)
		_, err := VerifyBytes(bad, "web-1.2.3.tgz", prov, ring)
		if !errors.Is(err, ErrHashMismatch) {
			t.Fatalf("err = %v, want ErrHashMismatch", err)
		}
	})
	t.Run("renamed archive", func(t *testing.T) {
		_, err := VerifyBytes(data, "web-1.2.4.tgz", prov, ring)
		if !errors.Is(err, ErrHashMismatch) || !strings.Contains(err.Error(), "web-1.2.4.tgz") {
			t.Fatalf("err = %v, want ErrHashMismatch naming the file", err)
		}
	})
	t.Run("tampered signed text", func(t *testing.T) {
		bad := bytes.Replace(prov, []byte("name: web\n"), []byte("name: wab\n"), 1)
		_, err := VerifyBytes(data, "web-1.2.3.tgz", bad, ring)
		if !errors.Is(err, ErrBadSignature) {
			t.Fatalf("err = %v, want ErrBadSignature", err)
		}
	})
	t.Run("tampered sums", func(t *testing.T) {
		// a matching sum for another archive, with the signature left as it was
		other := append(bytes.Clone(data), 0)
		bad := bytes.Replace(prov, []byte(Digest(data)), []byte(Digest(other)), 1)
		_, err := VerifyBytes(other, "web-1.2.3.tgz", bad, ring)
		if !errors.Is(err, ErrBadSignature) {
			t.Fatalf("err = %v, want ErrBadSignature", err)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		_, err := VerifyBytes(data, "web-1.2.3.tgz", prov, openpgp.EntityList{newKey(t, "Mallory", "m@example.com")})
		if !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("err = %v, want ErrUnknownKey", err)
		}
	})
	t.Run("signed by another key", func(t *testing.T) {
		mallory := newKey(t, "Mallory", "m@example.com")
		forged := filepath.Join(t.TempDir(), "web-1.2.3.tgz")
		os.WriteFile(forged, data, 0o644)
		mprov, err := Sign(forged, mallory)
		if err != nil {
			t.Fatal(err)
		}
		_, err = VerifyBytes(data, "web-1.2.3.tgz", mprov, ring)
		if !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("err = %v, want ErrUnknownKey", err)
		}
	})
	t.Run("missing prov", func(t *testing.T) {
		_, err := Verify(archive, archive+".nope", ring)
		if !errors.Is(err, ErrNoProvenance) {
			t.Fatalf("err = %v, want ErrNoProvenance", err)
		}
	})
	t.Run("not signed", func(t *testing.T) {
		_, err := VerifyBytes(data, "web-1.2.3.tgz", []byte("files: {}\n"), ring)
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("err = %v, want ErrMalformed", err)
		}
	})
}

func TestLoadSigner(t *testing.T) {
	dir := t.TempDir()
	ada := newKey(t, "Ada Lovelace", "ada@example.com")
	bob := newKey(t, "Bob", "bob@example.com")
	bob2 := newKey(t, "Bob Two", "bob2@example.com")

	for _, armored := range []bool{false, true} {
		sec := filepath.Join(dir, "secring")
		writeKeyring(t, sec, true, armored, ada, bob, bob2)
		for id, want := range map[string]*openpgp.Entity{
			"Ada Lovelace (test) <ada@example.com>":   ada,
			"ada@example.com":                         ada,
			"lovelace":                                ada,
			"bob2@":                                   bob2,
			string(hexFP(bob)):                        bob,
			"0x" + string(hexFP(bob))[24:]:            bob,
			strings.ToUpper(string(hexFP(bob2))[32:]): bob2,
		} {
			e, err := LoadSigner(sec, id, nil)
			if err != nil {
				t.Fatalf("armored=%v %q: %v", armored, id, err)
			}
			if e.PrimaryKey.KeyId != want.PrimaryKey.KeyId {
				t.Errorf("armored=%v %q: got %s", armored, id, identityName(e))
			}
		}
		for _, id := range []string{"bob", "", "carol"} {
			if _, err := LoadSigner(sec, id, nil); err == nil {
				t.Errorf("armored=%v %q: no error", armored, id)
			}
		}
	}

	pub := filepath.Join(dir, "pubring")
	writeKeyring(t, pub, false, true, ada)
	if _, err := LoadSigner(pub, "", nil); err == nil || !strings.Contains(err.Error(), "no secret keys") {
		t.Errorf("public keyring: err = %v", err)
	}
}

func TestEncryptedKey(t *testing.T) {
	dir := t.TempDir()
	archive := packageChart(t, dir)
	key := newKey(t, "Hoist Test", "test@hoist.dev")
	if err := key.EncryptPrivateKeys([]byte("s3cret"), nil); err != nil {
		t.Fatal(err)
	}
	sec := filepath.Join(dir, "secring.asc")
	writeKeyring(t, sec, true, true, key)

	t.Setenv(PassphraseEnv, "wrong")
	if _, err := LoadSigner(sec, "", nil); err == nil {
		t.Fatal("wrong passphrase: no error")
	}
	os.Unsetenv(PassphraseEnv)
	if _, err := LoadSigner(sec, "", nil); err == nil || !strings.Contains(err.Error(), PassphraseEnv) {
		t.Fatalf("no passphrase: err = %v", err)
	}
	t.Setenv(PassphraseEnv, "s3cret")
	e, err := LoadSigner(sec, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	pf := filepath.Join(dir, "pass")
	os.WriteFile(pf, []byte("s3cret\nignored\n"), 0o600)
	if _, err := LoadSigner(sec, "", FilePassphrase(pf, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSigner(sec, "", FilePassphrase("-", strings.NewReader("s3cret\r\n"))); err != nil {
		t.Fatal(err)
	}
	provPath := signTo(t, archive, e)
	if _, err := Verify(archive, provPath, openpgp.EntityList{e}); err != nil {
		t.Fatal(err)
	}
}
