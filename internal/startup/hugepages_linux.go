//go:build amd64 || arm64 || ppc64le || s390x || riscv64 || loong64

package startup

import (
	"runtime"
	"syscall"
	"unsafe"
)

const (
	// premapBytes is what the heap is made to map up front (see the package
	// documentation).
	premapBytes = 16 << 20
	// arenaBytes is the size of a Go heap arena on 64-bit Linux.
	arenaBytes = 64 << 20
	// madvHugepage is MADV_HUGEPAGE.
	madvHugepage = 14
)

// hugePages makes the heap map premapBytes more, with a block it leaves untouched,
// then advises transparent huge pages for the arena holding it. internal/startup/thp
// advised the arena earlier, but on the part then mapped only: the runtime maps more
// of it as new mappings, which do not inherit the advice.
func hugePages() {
	block := make([]byte, premapBytes)
	base := uintptr(unsafe.Pointer(unsafe.SliceData(block))) &^ (arenaBytes - 1)
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, base, arenaBytes, madvHugepage)
	runtime.KeepAlive(block)
}
