//go:build amd64 || arm64 || ppc64le || s390x || riscv64 || loong64

package thp

import (
	"runtime"
	"syscall"
	"unsafe"
)

const (
	// arenaBytes is the size of a Go heap arena on 64-bit Linux.
	arenaBytes = 64 << 20
	// madvHugepage is MADV_HUGEPAGE.
	madvHugepage = 14
)

func init() {
	probe := new([64]byte)
	Advise(unsafe.Pointer(probe))
	runtime.KeepAlive(probe)
}

// Advise asks for transparent huge pages on the heap arena holding p (the parts of
// it mapped so far). Errors (THP unsupported or disabled) change nothing.
func Advise(p unsafe.Pointer) {
	base := uintptr(p) &^ (arenaBytes - 1)
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, base, arenaBytes, madvHugepage)
}
