// Package provenance signs and verifies chart archives with Helm's provenance
// files (<name>-<version>.tgz.prov).
//
// A provenance file is an OpenPGP clearsigned document. Its signed body is the
// chart's Chart.yaml metadata as YAML, then the YAML document end marker "...",
// then a second YAML document mapping the archive's base name to its SHA-256:
//
//	apiVersion: v2
//	name: web
//	version: 1.2.3
//
//	...
//	files:
//	  web-1.2.3.tgz: sha256:0123…
//
// The body and the signature (SHA-512, like Helm's) are byte-compatible with what
// `helm package --sign` writes, so `helm verify` accepts files from Sign and Verify
// accepts Helm's.
//
// Keys are OpenPGP entities read from keyring files, armored or binary (GnuPG 1's
// pubring.gpg / secring.gpg, or `gpg --export[-secret-keys]` output). LoadSigner
// picks a secret key by name, e-mail or key id and decrypts it if needed;
// LoadKeyring reads the public keys that Verify trusts.
package provenance
