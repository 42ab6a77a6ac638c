package provenance

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// PassphraseEnv is the environment variable a signing key's passphrase is read
// from when no passphrase file is given.
const PassphraseEnv = "HOIST_SIGNING_PASSPHRASE"

// PassphraseFunc returns the passphrase of the key of the given identity.
type PassphraseFunc func(identity string) ([]byte, error)

// DefaultKeyring is the keyring Helm and hoist use by default:
// $GNUPGHOME/pubring.gpg, else ~/.gnupg/pubring.gpg.
func DefaultKeyring() string {
	if h := os.Getenv("GNUPGHOME"); h != "" {
		return filepath.Join(h, "pubring.gpg")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".gnupg", "pubring.gpg")
	}
	return filepath.Join(home, ".gnupg", "pubring.gpg")
}

// LoadKeyring reads the keys of a keyring file: binary (GnuPG 1 pubring.gpg or
// secring.gpg, `gpg --export`) or ASCII-armored (`gpg --armor --export`), possibly
// several armored blocks one after another.
func LoadKeyring(path string) (openpgp.EntityList, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading keyring: %w", err)
	}
	ring, err := ReadKeyring(data)
	if err != nil {
		return nil, fmt.Errorf("reading keyring %s: %w", path, err)
	}
	return ring, nil
}

// ReadKeyring is LoadKeyring on the contents of a file.
func ReadKeyring(data []byte) (openpgp.EntityList, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("keyring is empty")
	}
	if !bytes.HasPrefix(trimmed, []byte("-----BEGIN ")) {
		return openpgp.ReadKeyRing(bytes.NewReader(data))
	}
	// armor.Decode buffers its reader, so decode each block on its own: from one
	// BEGIN line to the next.
	var ring openpgp.EntityList
	begin := []byte("-----BEGIN PGP")
	for rest := trimmed; len(rest) > 0; {
		i := bytes.Index(rest, begin)
		if i < 0 {
			break
		}
		rest = rest[i:]
		next := bytes.Index(rest[len(begin):], begin)
		chunk := rest
		if next >= 0 {
			chunk, rest = rest[:len(begin)+next], rest[len(begin)+next:]
		} else {
			rest = nil
		}
		block, err := armor.Decode(bytes.NewReader(chunk))
		if err != nil {
			return nil, err
		}
		el, err := openpgp.ReadKeyRing(block.Body)
		if err != nil {
			return nil, err
		}
		ring = append(ring, el...)
	}
	if len(ring) == 0 {
		return nil, errors.New("no keys in keyring")
	}
	return ring, nil
}

// FindKey returns the entity of ring that id names: a key id or fingerprint in
// hex (with or without "0x"; 8, 16 or 40+ digits, of the primary key or of a
// subkey), an identity equal to id, or else the one identity containing id (a
// name or e-mail address), ignoring case. An empty id names the only key of a
// one-key ring. More than one match is an error.
func FindKey(ring openpgp.EntityList, id string) (*openpgp.Entity, error) {
	if id == "" {
		if len(ring) == 1 {
			return ring[0], nil
		}
		return nil, fmt.Errorf("the keyring has %d keys: choose one with --key", len(ring))
	}
	if e := findByKeyID(ring, id); e != nil {
		return e, nil
	}
	for _, e := range ring {
		for n := range e.Identities {
			if n == id {
				return e, nil
			}
		}
	}
	lid := strings.ToLower(id)
	var found *openpgp.Entity
	var names []string
	for _, e := range ring {
		for n := range e.Identities {
			if strings.Contains(strings.ToLower(n), lid) {
				if found != e {
					names = append(names, n)
				}
				found = e
				break
			}
		}
	}
	switch len(names) {
	case 0:
		return nil, fmt.Errorf("no key in the keyring matches %q", id)
	case 1:
		return found, nil
	default:
		return nil, fmt.Errorf("more than one key matches %q: %s", id, strings.Join(names, ", "))
	}
}

func findByKeyID(ring openpgp.EntityList, id string) *openpgp.Entity {
	h := strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(strings.ReplaceAll(id, " ", ""), "0x"), "0X"))
	if len(h) < 8 || strings.Trim(h, "0123456789ABCDEF") != "" {
		return nil
	}
	match := func(fp []byte) bool {
		return strings.HasSuffix(fmt.Sprintf("%X", fp), h)
	}
	for _, e := range ring {
		if match(e.PrimaryKey.Fingerprint) {
			return e
		}
		for _, s := range e.Subkeys {
			if match(s.PublicKey.Fingerprint) {
				return e
			}
		}
	}
	return nil
}

// LoadSigner reads the keyring at keyringPath, picks the key id names (see
// FindKey) and returns it with its private key decrypted. An encrypted key's
// passphrase comes from passphrase; nil reads the environment variable
// HOIST_SIGNING_PASSPHRASE.
func LoadSigner(keyringPath, id string, passphrase PassphraseFunc) (*openpgp.Entity, error) {
	ring, err := LoadKeyring(keyringPath)
	if err != nil {
		return nil, err
	}
	var secret openpgp.EntityList
	for _, e := range ring {
		if e.PrivateKey != nil {
			secret = append(secret, e)
		}
	}
	if len(secret) == 0 {
		return nil, fmt.Errorf("keyring %s has no secret keys (export them with gpg --export-secret-keys)", keyringPath)
	}
	e, err := FindKey(secret, id)
	if err != nil {
		return nil, fmt.Errorf("keyring %s: %w", keyringPath, err)
	}
	if err := Decrypt(e, passphrase); err != nil {
		return nil, err
	}
	return e, nil
}

// Decrypt decrypts e's private keys, if they are encrypted, with the passphrase
// that passphrase returns (nil: EnvPassphrase).
func Decrypt(e *openpgp.Entity, passphrase PassphraseFunc) error {
	if e.PrivateKey == nil {
		return errors.New("not a secret key")
	}
	encrypted := e.PrivateKey.Encrypted
	for _, s := range e.Subkeys {
		if s.PrivateKey != nil && s.PrivateKey.Encrypted {
			encrypted = true
		}
	}
	if !encrypted {
		return nil
	}
	if e.PrivateKey.Dummy() {
		return errors.New("the primary secret key is not in the keyring (a gpg stub): it cannot sign")
	}
	if passphrase == nil {
		passphrase = EnvPassphrase
	}
	name := identityName(e)
	p, err := passphrase(name)
	if err != nil {
		return err
	}
	if err := e.DecryptPrivateKeys(p); err != nil {
		return fmt.Errorf("decrypting the key of %s: %w", name, err)
	}
	return nil
}

// EnvPassphrase reads the passphrase from HOIST_SIGNING_PASSPHRASE.
func EnvPassphrase(identity string) ([]byte, error) {
	p, ok := os.LookupEnv(PassphraseEnv)
	if !ok {
		return nil, fmt.Errorf("the key of %s is encrypted: give its passphrase with --passphrase-file or %s", identity, PassphraseEnv)
	}
	return []byte(p), nil
}

// FilePassphrase reads the passphrase from the first line of a file, "-" being
// standard input (in), as Helm's --passphrase-file does. The file is read once.
func FilePassphrase(path string, in io.Reader) PassphraseFunc {
	var cached []byte
	var cerr error
	read := false
	return func(string) ([]byte, error) {
		if read {
			return cached, cerr
		}
		read = true
		var r io.Reader
		if path == "-" {
			r = in
		} else {
			f, err := os.Open(path)
			if err != nil {
				cerr = fmt.Errorf("reading the passphrase: %w", err)
				return nil, cerr
			}
			defer f.Close()
			r = f
		}
		line, err := bufio.NewReader(r).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			cerr = fmt.Errorf("reading the passphrase: %w", err)
			return nil, cerr
		}
		cached = []byte(strings.TrimRight(line, "\r\n"))
		return cached, nil
	}
}

// identityName is the primary identity of e, else any.
func identityName(e *openpgp.Entity) string {
	if e == nil {
		return ""
	}
	if id := e.PrimaryIdentity(); id != nil {
		return id.Name
	}
	for n := range e.Identities {
		return n
	}
	return fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
}
