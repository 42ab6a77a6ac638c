//go:build amd64 || arm64 || ppc64le || s390x || riscv64 || loong64

package startup

import "syscall"

// arenaBytes is the size of a Go heap arena on 64-bit Linux.
const arenaBytes = 64 << 20

const madvHugepage = 14 // MADV_HUGEPAGE

// hugePages advises transparent huge pages for the heap arena holding addr (the parts
// of it mapped now). Errors (THP unsupported or disabled) change nothing.
func hugePages(addr uintptr) {
	base := addr &^ (arenaBytes - 1)
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, base, arenaBytes, madvHugepage)
}
