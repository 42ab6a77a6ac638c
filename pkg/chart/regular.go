package chart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// OpenRegular opens the file name (following symlinks) for reading if it is a
// regular file. Anything else is refused with ErrUnsupportedFile before it is
// opened: reading a device such as /dev/zero never ends, and opening a FIFO
// waits for a writer.
func OpenRegular(name string) (*os.File, fs.FileInfo, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, nil, err
	}
	if err := checkRegular(fi); err != nil {
		return nil, nil, err
	}
	// Without blocking, in case it was replaced by a FIFO in between.
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	if fi, err = f.Stat(); err == nil {
		err = checkRegular(fi)
	}
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// ReadFile reads the regular file name (see OpenRegular), refusing more than max
// bytes with ErrLimitExceeded, before reading them.
func ReadFile(name string, max int64) ([]byte, error) {
	f, fi, err := OpenRegular(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > max {
		return nil, fmt.Errorf("%w: the file (%d bytes) is larger than the maximum size %d", ErrLimitExceeded, fi.Size(), max)
	}
	data, err := readLimited(f, fi.Size(), max)
	if errors.Is(err, errTooLarge) {
		// It grew since.
		return nil, fmt.Errorf("%w: the file is larger than the maximum size %d", ErrLimitExceeded, max)
	}
	return data, err
}

func checkRegular(fi fs.FileInfo) error {
	if fi.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("%w: not a regular file but a %s", ErrUnsupportedFile, fileKind(fi.Mode()))
}

// fileKind names the type of a file mode, for errors.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m.IsRegular():
		return "regular file"
	}
	return "irregular file " + m.Type().String()
}
