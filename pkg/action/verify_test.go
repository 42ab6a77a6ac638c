package action

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// testKeys writes a new key pair for name (e-mail <first name>@example.com): the
// secret keyring, binary, and the public one, armored.
func testKeys(t *testing.T, dir, name string) (secring, pubring string) {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", strings.ToLower(strings.Fields(name)[0])+"@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	w, err := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	var sec bytes.Buffer
	if err := e.SerializePrivateWithoutSigning(&sec, nil); err != nil {
		t.Fatal(err)
	}
	secring, pubring = filepath.Join(dir, "secring.gpg"), filepath.Join(dir, "pubring.asc")
	if err := os.WriteFile(secring, sec.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubring, pub.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return secring, pubring
}

func TestPackageSignVerify(t *testing.T) {
	ctx := context.Background()
	keys := t.TempDir()
	secring, pubring := testKeys(t, keys, "Release Bot")
	res, err := Package{}.Run(ctx, PackageOptions{Dirs: []string{writeChart(t, "web", "1.0.0")}, Destination: t.TempDir(), Sign: true, Keyring: secring})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Packaged[0]
	if p.Provenance != p.Archive+".prov" {
		t.Fatalf("%+v", p)
	}
	v, err := Verify{}.Run(ctx, VerifyOptions{Archive: p.Archive, Keyring: pubring})
	if err != nil || !strings.HasPrefix(v.Signer, "Release Bot") || !strings.HasPrefix(v.FileHash, "sha256:") || v.FileName != "web-1.0.0.tgz" {
		t.Fatalf("verify: %+v, %v", v, err)
	}
	_, otherPub := testKeys(t, t.TempDir(), "Mallory Example")
	if _, err := (Verify{}).Run(ctx, VerifyOptions{Archive: p.Archive, Keyring: otherPub}); err == nil || !strings.Contains(err.Error(), "verifying "+p.Archive) {
		t.Errorf("another key: %v", err)
	}
	if err := os.WriteFile(p.Archive, []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (Verify{}).Run(ctx, VerifyOptions{Archive: p.Archive, Keyring: pubring}); err == nil {
		t.Error("a changed archive verified")
	}
}
