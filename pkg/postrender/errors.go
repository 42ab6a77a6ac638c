package postrender

import "errors"

// Errors the package wraps, for callers that branch on the kind of failure with
// errors.Is. The wrapping error names the offending file, patch or program.
var (
	// ErrNoKustomization: the directory (or record, or archive) has no
	// kustomization.yaml, kustomization.yml or Kustomization at its root.
	ErrNoKustomization = errors.New("no kustomization file")
	// ErrInvalidKustomization: a kustomization file does not parse, has an unknown
	// field or kind, or uses a field this package refuses (helmCharts, openapi).
	ErrInvalidKustomization = errors.New("invalid kustomization")
	// ErrRemoteBase: a kustomization refers to a remote base or file (a URL, a Git
	// reference such as git::…, git@…:… or github.com/…). Only files of the overlay
	// itself are read.
	ErrRemoteBase = errors.New("remote bases are not supported")
	// ErrUnsafePath: an absolute path, a path leaving the overlay's directory
	// (through ".." or a symlink), or an invalid file name in a record or archive.
	ErrUnsafePath = errors.New("unsafe path")
	// ErrUnsupportedFile: an irregular file (device, FIFO, socket), a symlink loop,
	// or an archive entry that is not a regular file or directory.
	ErrUnsupportedFile = errors.New("unsupported file type")
	// ErrLimitExceeded: too many files, or a file or the whole set too large.
	ErrLimitExceeded = errors.New("limit exceeded")
	// ErrPatchTarget: a patch's target selects no object (kustomize itself would
	// silently do nothing).
	ErrPatchTarget = errors.New("patch target matches no object")
	// ErrInvalidArchive: the input is not a gzip-compressed tar archive, is corrupt
	// or truncated, or has two entries of the same name.
	ErrInvalidArchive = errors.New("not a valid kustomize package archive")
	// ErrInvalidOutput: a post-renderer printed something that is not a stream of
	// Kubernetes objects.
	ErrInvalidOutput = errors.New("invalid post-renderer output")
)
