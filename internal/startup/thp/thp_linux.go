//go:build amd64 || arm64 || ppc64le || s390x || riscv64 || loong64

package thp

import (
	"syscall"
	"unsafe"
)

const (
	// arenaBytes is the size of a Go heap arena on 64-bit Linux.
	arenaBytes = 64 << 20
	// madvHugepage is MADV_HUGEPAGE.
	madvHugepage = 14
)

var probe *[64]byte

func init() { Advise() }

// Advise asks for transparent huge pages on the heap arena the heap allocates in now
// (the parts of it mapped so far). Errors (THP unsupported or disabled) change
// nothing.
func Advise() {
	probe = new([64]byte)
	base := uintptr(unsafe.Pointer(probe)) &^ (arenaBytes - 1)
	probe = nil
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, base, arenaBytes, madvHugepage)
}
