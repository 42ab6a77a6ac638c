package postrender

import (
	"errors"

	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// Errors the package wraps, for callers that branch on the kind of failure with
// errors.Is. The wrapping error names the offending file, patch or program. Those
// that kustomize packages share are kpkg's values, so that either name
// matches.
var (
	// ErrNoKustomization: the directory (or record, or archive) has no
	// kustomization.yaml, kustomization.yml or Kustomization at its root.
	ErrNoKustomization = kpkg.ErrNoKustomization
	// ErrInvalidKustomization: a kustomization file does not parse, has an unknown
	// field or kind, or uses a field this package refuses (helmCharts, openapi).
	ErrInvalidKustomization = kpkg.ErrInvalidKustomization
	// ErrRemoteBase: a kustomization refers to a remote base or file (a URL, a Git
	// reference such as git::…, git@…:… or github.com/…). Only files of the overlay
	// itself are read.
	ErrRemoteBase = errors.New("remote bases are not supported")
	// ErrUnsafePath: an absolute path, a path leaving the overlay's directory
	// (through ".." or a symlink), or an invalid file name in a record or archive.
	ErrUnsafePath = kpkg.ErrUnsafePath
	// ErrUnsupportedFile: an irregular file (device, FIFO, socket), a symlink loop,
	// or an archive entry that is not a regular file or directory.
	ErrUnsupportedFile = kpkg.ErrUnsupportedFile
	// ErrLimitExceeded: too many files, or a file or the whole set too large.
	ErrLimitExceeded = kpkg.ErrLimitExceeded
	// ErrPatchTarget: a patch's target selects no object (kustomize itself would
	// silently do nothing).
	ErrPatchTarget = errors.New("patch target matches no object")
	// ErrInvalidArchive: the input is not a gzip-compressed tar archive, is corrupt
	// or truncated, or has two entries of the same name.
	ErrInvalidArchive = kpkg.ErrInvalidArchive
	// ErrKustomizePanic: kustomize panicked on the input (the error gives the
	// panic's value); the process goes on.
	ErrKustomizePanic = errors.New("kustomize panicked")
	// ErrInvalidOutput: a post-renderer printed something that is not a stream of
	// Kubernetes objects.
	ErrInvalidOutput = errors.New("invalid post-renderer output")
)
