package action

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/chart/provenance/provenancetest"
)

func TestPackageSignVerify(t *testing.T) {
	ctx := context.Background()
	keys := t.TempDir()
	secring, pubring := provenancetest.Keys(t, keys, "Release Bot", "")
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
	_, otherPub := provenancetest.Keys(t, t.TempDir(), "Mallory Example", "")
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
