package kpkg

import (
	"fmt"
	"io/fs"
	"maps"
	"slices"
)

// Limits on the files of a package or overlay, whether read from a directory, a
// release record or an archive.
const (
	// MaxFiles is the most files a package or overlay may hold.
	MaxFiles = 1000
	// MaxFileSize is the largest file, in bytes.
	MaxFileSize = 1 << 20
	// MaxTotalSize is the largest sum of the files' sizes, in bytes.
	MaxTotalSize = 8 << 20
	// MaxArchiveEntries is the most entries (files, directories, extended headers)
	// an archive may have.
	MaxArchiveEntries = 4 * MaxFiles
)

// budget counts files and bytes against the limits.
type budget struct {
	files int
	bytes int64
}

func (b *budget) add(name string, size int64) error {
	b.files++
	if b.files > MaxFiles {
		return fmt.Errorf("%s: %w: more than %d files", name, ErrLimitExceeded, MaxFiles)
	}
	return b.grow(name, size)
}

// grow counts size more bytes of the file name.
func (b *budget) grow(name string, size int64) error {
	if size > MaxFileSize {
		return fmt.Errorf("%s: %w: file of %d bytes is larger than %d", name, ErrLimitExceeded, size, MaxFileSize)
	}
	b.bytes += size
	if b.bytes > MaxTotalSize {
		return fmt.Errorf("%s: %w: files total more than %d bytes", name, ErrLimitExceeded, MaxTotalSize)
	}
	return nil
}

// CheckFiles validates a file set that was not read from a directory (a release
// record, an archive, a caller's map): every name a clean relative slash path,
// and the limits.
func CheckFiles(files map[string]string) error {
	var b budget
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if !fs.ValidPath(name) || name == "." {
			return fmt.Errorf("%q: %w: not a clean relative slash path", name, ErrUnsafePath)
		}
		if err := b.add(name, int64(len(files[name]))); err != nil {
			return err
		}
	}
	return nil
}
