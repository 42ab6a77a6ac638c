// Package provenancetest makes throwaway signing keys for tests that sign and verify
// charts (pkg/action's use cases, pkg/cli's commands): a secret keyring and a public
// one, written to files.
package provenancetest
