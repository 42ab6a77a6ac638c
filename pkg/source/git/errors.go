package git

import "errors"

// Errors callers branch on with errors.Is. The wrapping error names the repository
// URL and the ref.
var (
	// ErrRefNotFound: no branch, tag or commit matches the ref, and no tag matches it
	// as a SemVer range. The message lists some of the branches and tags there are.
	ErrRefNotFound = errors.New("git ref not found")
	// ErrPathNotFound: the chart's path does not exist in the commit.
	ErrPathNotFound = errors.New("path not found in the repository")
	// ErrRepositoryNotFound: the server has no such repository (over HTTP a private
	// repository may look the same without credentials).
	ErrRepositoryNotFound = errors.New("git repository not found")
	// ErrEmptyRepository: the repository has no commits.
	ErrEmptyRepository = errors.New("git repository is empty")
	// ErrAuthRequired: the server wants credentials and none were given.
	ErrAuthRequired = errors.New("git authentication required")
	// ErrAuthFailed: the server refused the credentials that were given.
	ErrAuthFailed = errors.New("git authentication failed")
	// ErrUnknownHost: the SSH server's host is in none of the known_hosts files.
	ErrUnknownHost = errors.New("ssh host is not in known_hosts")
	// ErrHostKeyMismatch: the SSH server presented a key that differs from the one
	// known_hosts has for it (or one known_hosts marks as revoked).
	ErrHostKeyMismatch = errors.New("ssh host key mismatch")
	// ErrNoPackageLoader: the path holds a kustomize package and Options.Packages
	// is not set.
	ErrNoPackageLoader = errors.New("no kustomize package loader configured")
	// ErrLimitExceeded: the pack, a file or the files of the commit are larger than
	// Options.Limits allow.
	ErrLimitExceeded = errors.New("git limit exceeded")
)
