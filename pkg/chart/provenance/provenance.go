package provenance

import (
	"bytes"
	"crypto"
	_ "crypto/sha256" // registers the hashes the OpenPGP code looks up
	_ "crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// Errors Verify wraps, for errors.Is.
var (
	// ErrNoProvenance: the provenance file does not exist.
	ErrNoProvenance = errors.New("no provenance file")
	// ErrMalformed: the provenance file is not a clearsigned Helm provenance document.
	ErrMalformed = errors.New("malformed provenance file")
	// ErrUnknownKey: the signing key is not in the keyring.
	ErrUnknownKey = errors.New("signed by a key that is not in the keyring")
	// ErrBadSignature: the signature does not match the signed text, or the key
	// cannot be trusted (expired, revoked).
	ErrBadSignature = errors.New("invalid signature")
	// ErrHashMismatch: the archive is not the one the provenance file describes.
	ErrHashMismatch = errors.New("chart archive does not match its provenance file")
)

// pgpConfig is the configuration Helm signs with.
func pgpConfig() *packet.Config { return &packet.Config{DefaultHash: crypto.SHA512} }

// Sums is the second document of the signed body. Helm calls it SumCollection.
type Sums struct {
	Files  map[string]string `json:"files"`
	Images map[string]string `json:"images,omitempty"`
}

// Verification is the result of a successful Verify.
type Verification struct {
	// SignedBy is the keyring entity whose key made the signature.
	SignedBy *openpgp.Entity
	// Signer is SignedBy's primary identity ("Name (comment) <email>").
	Signer string
	// Fingerprint is the upper-case hex fingerprint of SignedBy's primary key.
	Fingerprint string
	// FileName is the archive's base name, as named in the provenance file.
	FileName string
	// FileHash is "sha256:<hex>" of the archive.
	FileHash string
	// Metadata is the Chart.yaml metadata the provenance file carries.
	Metadata *chart.Metadata
}

// Sign returns the provenance file for the chart archive at chartArchivePath,
// signed by signer, whose private key must be decrypted (see LoadSigner). The
// caller writes it to chartArchivePath + ".prov".
func Sign(chartArchivePath string, signer *openpgp.Entity) ([]byte, error) {
	if signer == nil || signer.PrivateKey == nil {
		return nil, errors.New("signing: no private key")
	}
	if signer.PrivateKey.Encrypted {
		return nil, errors.New("signing: private key is encrypted; decrypt it first")
	}
	data, err := os.ReadFile(chartArchivePath)
	if err != nil {
		return nil, err
	}
	c, err := chart.LoadArchive(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", chartArchivePath, err)
	}
	body, err := messageBlock(c.Metadata, filepath.Base(chartArchivePath), data)
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", chartArchivePath, err)
	}
	var out bytes.Buffer
	w, err := clearsign.Encode(&out, signer.PrivateKey, pgpConfig())
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", chartArchivePath, err)
	}
	if _, err := w.Write(body); err != nil {
		return nil, fmt.Errorf("signing %s: %w", chartArchivePath, err)
	}
	if err := w.Close(); err != nil { // Close signs
		return nil, fmt.Errorf("signing %s: %w", chartArchivePath, err)
	}
	return out.Bytes(), nil
}

// messageBlock is the signed body, byte for byte as Helm builds it: the metadata
// as sigs.k8s.io/yaml marshals it, "\n...\n", then the sums. ("---" would be a
// YAML document start, but is not allowed in a clearsigned text, hence "...".)
func messageBlock(meta *chart.Metadata, fileName string, archive []byte) ([]byte, error) {
	mb, err := yaml.Marshal(meta)
	if err != nil {
		return nil, err
	}
	sb, err := yaml.Marshal(&Sums{Files: map[string]string{fileName: "sha256:" + Digest(archive)}})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(mb)
	b.WriteString("\n...\n")
	b.Write(sb)
	return b.Bytes(), nil
}

// ParseMessageBlock splits a signed body into its metadata and sums.
func ParseMessageBlock(body []byte) (*chart.Metadata, *Sums, error) {
	parts := bytes.SplitN(body, []byte("\n...\n"), 2)
	if len(parts) < 2 {
		return nil, nil, fmt.Errorf("%w: the signed text has no \"...\" line between the metadata and the file sums", ErrMalformed)
	}
	meta := &chart.Metadata{}
	if err := yaml.Unmarshal(parts[0], meta); err != nil {
		return nil, nil, fmt.Errorf("%w: metadata: %w", ErrMalformed, err)
	}
	sums := &Sums{}
	if err := yaml.Unmarshal(parts[1], sums); err != nil {
		return nil, nil, fmt.Errorf("%w: file sums: %w", ErrMalformed, err)
	}
	return meta, sums, nil
}

// Verify checks the provenance file at provPath for the archive at
// chartArchivePath: that it is signed by a key of keyring, and that it names the
// archive's base name with the archive's SHA-256. Errors wrap ErrNoProvenance,
// ErrMalformed, ErrUnknownKey, ErrBadSignature or ErrHashMismatch.
func Verify(chartArchivePath, provPath string, keyring openpgp.KeyRing) (*Verification, error) {
	archive, err := os.ReadFile(chartArchivePath)
	if err != nil {
		return nil, err
	}
	prov, err := os.ReadFile(provPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w for %s: %s does not exist", ErrNoProvenance, chartArchivePath, provPath)
	}
	if err != nil {
		return nil, err
	}
	return VerifyBytes(archive, filepath.Base(chartArchivePath), prov, keyring)
}

// VerifyBytes is Verify on an archive and a provenance file in memory; fileName
// is the archive's base name (<name>-<version>.tgz).
func VerifyBytes(archive []byte, fileName string, prov []byte, keyring openpgp.KeyRing) (*Verification, error) {
	block, _ := clearsign.Decode(prov)
	if block == nil {
		return nil, fmt.Errorf("%w: no PGP signed message in it", ErrMalformed)
	}
	if keyring == nil {
		keyring = openpgp.EntityList{}
	}
	signer, err := openpgp.CheckDetachedSignature(keyring, bytes.NewReader(block.Bytes), block.ArmoredSignature.Body, pgpConfig())
	if err != nil {
		return nil, signatureError(err)
	}
	meta, sums, err := ParseMessageBlock(block.Plaintext)
	if err != nil {
		return nil, err
	}
	sum := "sha256:" + Digest(archive)
	want, ok := sums.Files[fileName]
	if !ok {
		return nil, fmt.Errorf("%w: it has no sum for a file named %q", ErrHashMismatch, fileName)
	}
	if want != sum {
		return nil, fmt.Errorf("%w: %s has %s, the provenance file says %s", ErrHashMismatch, fileName, sum, want)
	}
	return &Verification{
		SignedBy:    signer,
		Signer:      identityName(signer),
		Fingerprint: fmt.Sprintf("%X", signer.PrimaryKey.Fingerprint),
		FileName:    fileName,
		FileHash:    sum,
		Metadata:    meta,
	}, nil
}

func signatureError(err error) error {
	if errors.Is(err, pgperrors.ErrUnknownIssuer) {
		return fmt.Errorf("%w: %w", ErrUnknownKey, err)
	}
	return fmt.Errorf("%w: %w", ErrBadSignature, err)
}

// Digest returns the lower-case hex SHA-256 of data.
func Digest(data []byte) string {
	h := crypto.SHA256.New()
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// DigestReader is Digest on everything r yields.
func DigestReader(r io.Reader) (string, error) {
	h := crypto.SHA256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
