package chart

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readArchive reads the files of a gzipped tar chart archive into memory, with the
// chart's top-level directory removed from their names, checking every entry's
// path, type and size before its data is read.
func (st *loadState) readArchive(r io.Reader) ([]*File, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidArchive, err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)

	var files []*File
	seen := map[string]string{} // cleaned name -> entry name
	for {
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidArchive, err)
		}
		// Every entry counts, so that an endless stream of directories ends too;
		// what Next skips of an entry's data is read all the same.
		if err := st.addEntry(hd.Name); err != nil {
			return nil, err
		}
		if hd.FileInfo().IsDir() || hd.Typeflag == tar.TypeXGlobalHeader || hd.Typeflag == tar.TypeXHeader {
			if err := st.addBytes(hd.Name, hd.Size); err != nil {
				return nil, err
			}
			continue
		}
		name, err := archiveEntryName(hd.Name)
		if err != nil {
			return nil, fmt.Errorf("archive entry %q: %w", hd.Name, err)
		}
		if err := checkEntryType(hd); err != nil {
			return nil, fmt.Errorf("archive entry %q: %w", hd.Name, err)
		}
		if err := st.checkDirDepth(name); err != nil {
			return nil, fmt.Errorf("archive entry: %w", err)
		}
		if prev, dup := seen[name]; dup {
			return nil, fmt.Errorf("archive entry %q: %w: %q is also entry %q", hd.Name, ErrDuplicateFile, name, prev)
		}
		seen[name] = hd.Name
		if err := st.checkSize(hd.Name, hd.Size); err != nil {
			return nil, err
		}
		if err := st.addBytes(hd.Name, hd.Size); err != nil {
			return nil, err
		}
		data := make([]byte, hd.Size)
		if _, err := io.ReadFull(tr, data); err != nil {
			return nil, fmt.Errorf("archive entry %q: %w: %w", hd.Name, ErrInvalidArchive, noEOF(err))
		}
		files = append(files, &File{Name: name, Data: bytes.TrimPrefix(data, utf8BOM)})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no files in chart archive", ErrInvalidArchive)
	}
	return files, nil
}

// noEOF turns a premature io.EOF into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// archiveEntryName is the name of an archive entry relative to the chart's root:
// the path split on "/" (or on "\" when it has any), without its first element,
// cleaned. It refuses what Helm refuses, with Helm's messages.
func archiveEntryName(entry string) (string, error) {
	sep := "/"
	if strings.Contains(entry, `\`) {
		sep = `\`
	}
	parts := strings.Split(entry, sep)
	name := strings.Join(parts[1:], "/")
	if path.IsAbs(name) {
		return "", fmt.Errorf("%w: chart illegally contains absolute paths", ErrUnsafePath)
	}
	name = path.Clean(name)
	switch {
	case name == ".":
		return "", fmt.Errorf("%w: chart illegally contains content outside the base directory", ErrUnsafePath)
	case strings.HasPrefix(name, ".."):
		return "", fmt.Errorf("%w: chart illegally references parent directory", ErrUnsafePath)
	case isDrivePath(name):
		return "", fmt.Errorf("%w: chart contains illegally named files", ErrUnsafePath)
	case parts[0] == chartYAML:
		return "", fmt.Errorf("%w: chart yaml not in base directory", ErrInvalidArchive)
	}
	return name, nil
}

// isDrivePath reports whether name starts like a Windows drive path ("c:/").
func isDrivePath(name string) bool {
	if len(name) < 3 || name[1] != ':' || name[2] != '/' {
		return false
	}
	c := name[0] | 0x20 // lower case
	return 'a' <= c && c <= 'z'
}

// checkEntryType accepts regular files only (directories are skipped earlier).
func checkEntryType(hd *tar.Header) error {
	var what string
	switch hd.Typeflag {
	case tar.TypeReg, tar.TypeCont:
		return nil
	case tar.TypeSymlink:
		what = fmt.Sprintf("symbolic link to %q", hd.Linkname)
	case tar.TypeLink:
		what = fmt.Sprintf("hard link to %q", hd.Linkname)
	case tar.TypeChar:
		what = "character device"
	case tar.TypeBlock:
		what = "block device"
	case tar.TypeFifo:
		what = "FIFO"
	case tar.TypeGNUSparse:
		what = "sparse file"
	default:
		what = fmt.Sprintf("entry of type %q", hd.Typeflag)
	}
	return fmt.Errorf("%w: %s", ErrUnsupportedFile, what)
}
