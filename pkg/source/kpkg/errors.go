package kpkg

import "errors"

// Errors the package wraps, for callers that branch on the kind of failure with
// errors.Is. The wrapping error names the offending file or archive entry.
// pkg/postrender returns the same values for overlays.
var (
	// ErrNoKustomization: the directory (or record, or archive) has no
	// kustomization.yaml, kustomization.yml or Kustomization at its root.
	ErrNoKustomization = errors.New("no kustomization file")
	// ErrInvalidKustomization: a kustomization file does not parse, or its name or
	// version is invalid (pkg/postrender also uses it for what kustomize refuses).
	ErrInvalidKustomization = errors.New("invalid kustomization")
	// ErrUnsafePath: an absolute path, a path leaving the directory (through ".."
	// or a symlink), or an invalid file name in a record or archive.
	ErrUnsafePath = errors.New("unsafe path")
	// ErrUnsupportedFile: an irregular file (device, FIFO, socket), a symlink loop,
	// or an archive entry that is not a regular file or directory.
	ErrUnsupportedFile = errors.New("unsupported file type")
	// ErrLimitExceeded: too many files, or a file or the whole set too large.
	ErrLimitExceeded = errors.New("limit exceeded")
	// ErrInvalidArchive: the input is not a gzip-compressed tar archive, is corrupt
	// or truncated, or has two entries of the same name.
	ErrInvalidArchive = errors.New("not a valid kustomize package archive")
)
