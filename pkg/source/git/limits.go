package git

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// Limits bound what a fetch may download and write, so that a repository with a
// huge (or hugely compressible) file cannot fill the disk or the memory. Exceeding
// one is an error wrapping ErrLimitExceeded; the refused commit leaves nothing in
// the cache. A zero field takes DefaultLimits' value.
type Limits struct {
	// MaxPackSize is the largest pack a server may send for one fetch, in bytes.
	MaxPackSize int64
	// MaxFileSize is the largest object (file, directory listing, commit) in the
	// pack, and the largest file checked out, decompressed.
	MaxFileSize int64
	// MaxCheckoutSize is the largest sum of the sizes of the files of a commit.
	MaxCheckoutSize int64
}

// DefaultLimits returns the limits used when none are given. A checkout is a whole
// repository, not one chart, so they are well above the chart loader's (5 MiB per
// file, 100 MiB per chart): a file over 32 MiB could never be loaded as part of a
// chart or kustomize package anyway, and 256 MiB of files and a 512 MiB pack
// (history included, for commits no ref points to) hold real chart repositories.
func DefaultLimits() Limits {
	return Limits{
		MaxPackSize:     512 << 20,
		MaxFileSize:     32 << 20,
		MaxCheckoutSize: 256 << 20,
	}
}

func (l Limits) orDefaults() Limits {
	d := DefaultLimits()
	if l.MaxPackSize <= 0 {
		l.MaxPackSize = d.MaxPackSize
	}
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = d.MaxFileSize
	}
	if l.MaxCheckoutSize <= 0 {
		l.MaxCheckoutSize = d.MaxCheckoutSize
	}
	return l
}

// size formats n bytes for messages.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// spoolPack copies the pack from r to a file in dir, refusing it once it is larger
// than max, and checks the size of every object in it before go-git inflates any
// (go-git holds whole objects in memory while indexing a pack). The caller removes
// dir.
func spoolPack(r io.Reader, dir string, lim Limits) (*os.File, error) {
	f, err := os.CreateTemp(dir, ".incoming-*.pack")
	if err != nil {
		return nil, err
	}
	n, err := io.Copy(f, io.LimitReader(r, lim.MaxPackSize+1))
	if err == nil && n > lim.MaxPackSize {
		err = fmt.Errorf("%w: the pack the server sends is over the pack size limit of %s", ErrLimitExceeded, size(lim.MaxPackSize))
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err == nil {
		err = checkObjectSizes(f, lim.MaxFileSize, inflateRatio*lim.MaxPackSize)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// inflateRatio bounds the decompressed size of a pack's objects (deltas counted as
// they are, not as the objects they make) to this many times the pack size limit,
// so that a pack of many highly compressed files cannot keep go-git inflating for
// minutes. Packs of real repositories inflate to a few times their size.
const inflateRatio = 8

// checkObjectSizes reads the header of every object of the pack in r: a whole
// object states its size there; a delta states the size of the object it makes
// in its first bytes. No object may be larger than max, and all of them together
// no larger than maxTotal.
func checkObjectSizes(r io.Reader, max, maxTotal int64) error {
	sc := packfile.NewScanner(bufio.NewReader(r))
	_, count, err := sc.Header()
	if err != nil {
		return fmt.Errorf("reading the pack: %w", err)
	}
	var total int64
	for i := uint32(0); i < count; i++ {
		h, err := sc.NextObjectHeader()
		if err != nil {
			return fmt.Errorf("reading the pack: %w", err)
		}
		if h.Length > max {
			return fmt.Errorf("%w: the pack has a %s object of %s, over the file size limit of %s", ErrLimitExceeded, h.Type, size(h.Length), size(max))
		}
		total += h.Length
		if total > maxTotal {
			return fmt.Errorf("%w: the objects of the pack total more than %s decompressed (%d times the pack size limit)", ErrLimitExceeded, size(maxTotal), inflateRatio)
		}
		if h.Type != plumbing.OFSDeltaObject && h.Type != plumbing.REFDeltaObject {
			continue
		}
		var d deltaHeader
		if _, _, err := sc.NextObject(&d); err != nil {
			return fmt.Errorf("reading the pack: %w", err)
		}
		target, ok := d.target()
		if !ok {
			return fmt.Errorf("reading the pack: a delta at offset %d has no valid header", h.Offset)
		}
		if target > uint64(max) {
			return fmt.Errorf("%w: the pack has a delta making an object of %s, over the file size limit of %s", ErrLimitExceeded, size(int64(min(target, 1<<62))), size(max))
		}
	}
	return nil
}

// deltaHeader keeps the first bytes of a delta (two varints: the sizes of the base
// and of the result) and discards the rest.
type deltaHeader struct {
	buf [20]byte
	n   int
}

func (d *deltaHeader) Write(p []byte) (int, error) {
	d.n += copy(d.buf[d.n:], p)
	return len(p), nil
}

func (d *deltaHeader) target() (uint64, bool) {
	b := d.buf[:d.n]
	var v uint64
	for field := 0; field < 2; field++ {
		v = 0
		for shift := uint(0); ; shift += 7 {
			if len(b) == 0 || shift > 63 {
				return 0, false
			}
			c := b[0]
			b = b[1:]
			v |= uint64(c&0x7f) << shift
			if c&0x80 == 0 {
				break
			}
		}
	}
	return v, true
}

// checkoutBudget counts the bytes a checkout writes.
type checkoutBudget struct {
	lim   Limits
	total int64
}

// check refuses a file of n bytes at path rp that would exceed a limit.
func (b *checkoutBudget) check(rp string, n int64) error {
	if n > b.lim.MaxFileSize {
		return fmt.Errorf("%w: %s is %s, over the file size limit of %s", ErrLimitExceeded, rp, size(n), size(b.lim.MaxFileSize))
	}
	if n > b.lim.MaxCheckoutSize-b.total {
		return fmt.Errorf("%w: the files of the commit total more than the checkout size limit of %s (at %s)", ErrLimitExceeded, size(b.lim.MaxCheckoutSize), rp)
	}
	return nil
}

// add counts a file of n bytes at path rp.
func (b *checkoutBudget) add(rp string, n int64) error {
	if err := b.check(rp, n); err != nil {
		return err
	}
	b.total += n
	return nil
}

var errTooLong = errors.New("object longer than its stated size")
