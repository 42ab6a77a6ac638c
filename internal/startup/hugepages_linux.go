//go:build amd64 || arm64 || ppc64le || s390x || riscv64 || loong64

package startup

import (
	"syscall"
	"unsafe"
)

const (
	// arenaBytes is the size of a Go heap arena on 64-bit Linux.
	arenaBytes = 64 << 20
	// premapBytes is what the heap is made to map up front (see the package
	// documentation).
	premapBytes = 16 << 20
	// madvHugepage is MADV_HUGEPAGE.
	madvHugepage = 14
)

// block holds the premapping allocation (a package variable, so that it is made).
var block []byte

// hugePages makes the heap map premapBytes more, then advises transparent huge pages
// for the heap arena (the parts of it mapped now). Errors (THP unsupported or
// disabled) change nothing.
func hugePages() {
	block = make([]byte, premapBytes)
	base := uintptr(unsafe.Pointer(&block[0])) &^ (arenaBytes - 1)
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, base, arenaBytes, madvHugepage)
	block = nil
}
