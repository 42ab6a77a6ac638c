package chart

import (
	"errors"
	"fmt"
)

// Errors the loader wraps, for callers that branch on the kind of failure with
// errors.Is. The wrapping error names the offending file, entry or chart.
var (
	// ErrChartYAMLMissing: the chart (or a subchart) has no Chart.yaml at its root.
	ErrChartYAMLMissing = errors.New("Chart.yaml file is missing") //nolint:staticcheck // Helm's message, file names are capitalised
	// ErrUnsupportedAPIVersion: Chart.yaml's apiVersion is neither v1 nor v2.
	ErrUnsupportedAPIVersion = errors.New("unsupported chart version")
	// ErrInvalidArchive: the input is not a gzip-compressed tar archive, is corrupt
	// or truncated, or holds no files.
	ErrInvalidArchive = errors.New("not a valid chart archive")
	// ErrUnsafePath: an absolute path, a path leaving the chart (through "..",
	// outside the archive's top-level directory, or by a symlink), or a name a
	// file system could read as a drive.
	ErrUnsafePath = errors.New("unsafe path")
	// ErrUnsupportedFile: an archive entry that is not a regular file or directory
	// (symlink, hard link, device, FIFO…), an irregular file (device, FIFO, socket)
	// in a chart directory, or a symlink loop.
	ErrUnsupportedFile = errors.New("unsupported file type")
	// ErrLimitExceeded: the chart exceeds one of the Limits.
	ErrLimitExceeded = errors.New("chart exceeds loader limits")
	// ErrDuplicateFile: two entries of an archive (or of LoadFiles' input) have the
	// same name.
	ErrDuplicateFile = errors.New("duplicate file")
)

// ValidationError is a problem with a chart's metadata found by Metadata.Validate.
// Its text is Helm's ("validation: chart.metadata.name is required").
type ValidationError string

func (v ValidationError) Error() string { return "validation: " + string(v) }

func validationErrorf(format string, args ...any) ValidationError {
	return ValidationError(fmt.Sprintf(format, args...))
}
