package action

import (
	"context"
	"fmt"
	"os"

	"github.com/hoist-dev/hoist/pkg/chart/provenance"
)

// Verify checks a chart archive against its provenance file, as helm verify does.
type Verify struct{}

// VerifyOptions configure Verify.Run.
type VerifyOptions struct {
	// Archive is the chart archive; its provenance file is Archive+".prov".
	Archive string `json:"archive"`
	// Keyring holds the public keys to trust (binary or ASCII-armored).
	Keyring string `json:"keyring"`
}

// VerifyResult is who signed the archive, and its hash.
type VerifyResult struct {
	// Signer is the signing key's primary identity ("Name (comment) <email>").
	Signer string `json:"signer"`
	// Fingerprint is the upper-case hex fingerprint of the signing key.
	Fingerprint string `json:"fingerprint"`
	// FileName is the archive's base name, as the provenance file names it.
	FileName string `json:"fileName"`
	// FileHash is "sha256:<hex>" of the archive.
	FileHash string `json:"fileHash"`
}

func verifyResult(v *provenance.Verification) VerifyResult {
	return VerifyResult{Signer: v.Signer, Fingerprint: v.Fingerprint, FileName: v.FileName, FileHash: v.FileHash}
}

// Run verifies opts.Archive. It fails when the provenance file is missing, the
// signature is bad or by a key not in the keyring, or the archive was changed.
func (Verify) Run(_ context.Context, opts VerifyOptions) (VerifyResult, error) {
	v, err := verifyArchive(opts.Archive, opts.Keyring)
	if err != nil {
		return VerifyResult{}, err
	}
	return verifyResult(v), nil
}

// verifyArchive checks archive against archive.prov with the keys of keyring.
func verifyArchive(archive, keyring string) (*provenance.Verification, error) {
	if _, err := os.Stat(archive); err != nil {
		return nil, err
	}
	ring, err := provenance.LoadKeyring(keyring)
	if err != nil {
		return nil, err
	}
	v, err := provenance.Verify(archive, archive+".prov", ring)
	if err != nil {
		return nil, fmt.Errorf("verifying %s: %w", archive, err)
	}
	return v, nil
}
