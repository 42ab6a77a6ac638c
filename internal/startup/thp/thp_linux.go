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

// probe is a heap object whose address names the heap's first arena. Storing it in a
// package variable makes it escape: a local new([64]byte) whose address only reaches
// advise is put on the goroutine's stack, which says nothing about the heap.
var probe *[64]byte

func init() {
	if v, _ := syscall.Getenv("HOIST_NO_PREMAP"); v != "" && v != "0" {
		return
	}
	advise(heapAddress())
}

// heapAddress allocates probe and returns its address.
func heapAddress() unsafe.Pointer {
	probe = new([64]byte)
	return unsafe.Pointer(probe)
}

// advise asks for transparent huge pages on the heap arena holding p (the parts of
// it mapped so far). Errors (THP unsupported or disabled) change nothing.
func advise(p unsafe.Pointer) {
	base := uintptr(p) &^ (arenaBytes - 1)
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, base, arenaBytes, madvHugepage)
}
