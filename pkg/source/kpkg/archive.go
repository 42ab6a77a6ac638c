package kpkg

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"
)

// Archive is the package as a gzipped tar (ContentMediaType): its files under a
// top-level directory named after it, in lexical order, with fixed metadata (mode
// 0644, time zero of the Unix epoch, no owner), so that the same package gives
// the same bytes.
func (p *Package) Archive() ([]byte, error) {
	if !validName(p.Name) {
		return nil, fmt.Errorf("kustomize package: name %q is invalid", p.Name)
	}
	if err := CheckFiles(p.Files); err != nil {
		return nil, fmt.Errorf("kustomize package %s: %w", p.Name, err)
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	mod := time.Unix(0, 0).UTC()
	zw.ModTime = mod
	tw := tar.NewWriter(zw)
	for _, name := range slices.Sorted(maps.Keys(p.Files)) {
		data := p.Files[name]
		if err := tw.WriteHeader(&tar.Header{
			Name: path.Join(p.Name, name), Mode: 0o644, Size: int64(len(data)),
			ModTime: mod, Typeflag: tar.TypeReg, Format: tar.FormatPAX,
		}); err != nil {
			return nil, fmt.Errorf("kustomize package %s: %s: %w", p.Name, name, err)
		}
		if _, err := io.WriteString(tw, data); err != nil {
			return nil, fmt.Errorf("kustomize package %s: %s: %w", p.Name, name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// LoadArchive reads a package from its Archive. Every entry must lie under one
// top-level directory (which names the package unless its kustomization does),
// with a clean relative path; only regular files and directories are accepted;
// no two entries may have the same name; the files are held to MaxFiles,
// MaxFileSize and MaxTotalSize. The files are checked as New checks them.
func LoadArchive(data []byte) (*Package, error) {
	files, top, err := ReadArchive(data)
	if err != nil {
		return nil, fmt.Errorf("kustomize package archive: %w", err)
	}
	p, err := New(files, top, top)
	if err != nil {
		return nil, fmt.Errorf("kustomize package archive: %w", err)
	}
	return p, nil
}

// IsPackageArchive reports whether data is a kustomize package's Archive (a valid
// one, with a kustomization at its root and no Chart.yaml).
func IsPackageArchive(data []byte) bool {
	files, _, err := ReadArchive(data)
	if err != nil {
		return false
	}
	if _, chart := files[ChartFile]; chart {
		return false
	}
	return len(RootKustomizations(files)) > 0
}

// ReadArchive reads the files of an Archive with LoadArchive's rules for entries
// and limits, keyed by slash paths below the top-level directory, which it also
// returns. It does not check that the files make a package (New does).
func ReadArchive(data []byte) (map[string]string, string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrInvalidArchive, err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	files := map[string]string{}
	var top string
	var b budget
	for entries := 1; ; entries++ {
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", fmt.Errorf("%w: %w", ErrInvalidArchive, err)
		}
		if entries > MaxArchiveEntries {
			return nil, "", fmt.Errorf("%w: more than %d entries", ErrLimitExceeded, MaxArchiveEntries)
		}
		switch hd.Typeflag {
		case tar.TypeXHeader, tar.TypeXGlobalHeader:
			continue
		case tar.TypeDir, tar.TypeReg:
		default:
			return nil, "", fmt.Errorf("entry %q: %w: %s", hd.Name, ErrUnsupportedFile, entryType(hd))
		}
		dir, rel, err := entryName(hd.Name, hd.Typeflag == tar.TypeDir)
		if err != nil {
			return nil, "", fmt.Errorf("entry %q: %w", hd.Name, err)
		}
		if top == "" {
			top = dir
		} else if dir != top {
			return nil, "", fmt.Errorf("entry %q: %w: outside the top-level directory %q", hd.Name, ErrUnsafePath, top)
		}
		if hd.Typeflag == tar.TypeDir {
			continue
		}
		if _, dup := files[rel]; dup {
			return nil, "", fmt.Errorf("entry %q: %w: duplicate file", hd.Name, ErrInvalidArchive)
		}
		if err := b.add(fmt.Sprintf("entry %q", hd.Name), hd.Size); err != nil {
			return nil, "", err
		}
		content, err := io.ReadAll(io.LimitReader(tr, hd.Size))
		if err != nil {
			return nil, "", fmt.Errorf("entry %q: %w: %w", hd.Name, ErrInvalidArchive, err)
		}
		if int64(len(content)) != hd.Size {
			return nil, "", fmt.Errorf("entry %q: %w: %w", hd.Name, ErrInvalidArchive, io.ErrUnexpectedEOF)
		}
		files[rel] = string(content)
	}
	if len(files) == 0 {
		return nil, "", fmt.Errorf("%w: no files", ErrInvalidArchive)
	}
	return files, top, nil
}

// entryName splits an archive entry's name into its top-level directory and the
// path below it, refusing anything but clean relative slash paths.
func entryName(name string, isDir bool) (string, string, error) {
	if isDir {
		name = strings.TrimSuffix(name, "/")
	}
	if !fs.ValidPath(name) || name == "." || strings.Contains(name, `\`) || IsDrivePath(name) {
		return "", "", fmt.Errorf("%w: not a clean relative slash path", ErrUnsafePath)
	}
	top, rel, found := strings.Cut(name, "/")
	if !found {
		if isDir {
			return top, "", nil
		}
		return "", "", fmt.Errorf("%w: file outside a top-level directory", ErrUnsafePath)
	}
	return top, rel, nil
}

// IsDrivePath reports whether name starts like a Windows drive path ("c:/",
// "c:\"), which fs.ValidPath accepts but a Windows machine would read as absolute.
func IsDrivePath(name string) bool {
	if len(name) < 3 || name[1] != ':' || (name[2] != '/' && name[2] != '\\') {
		return false
	}
	c := name[0] | 0x20
	return 'a' <= c && c <= 'z'
}

func entryType(hd *tar.Header) string {
	switch hd.Typeflag {
	case tar.TypeSymlink:
		return fmt.Sprintf("symbolic link to %q", hd.Linkname)
	case tar.TypeLink:
		return fmt.Sprintf("hard link to %q", hd.Linkname)
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "FIFO"
	}
	return fmt.Sprintf("entry of type %q", hd.Typeflag)
}
