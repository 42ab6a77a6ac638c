// Package startup makes the start of the hoist command cheaper. Its init runs early
// (it imports only the standard library, and Go initialises a package as soon as its
// imports are and no package with a smaller import path is ready, so before the
// k8s.io, oras and kustomize packages) and:
//
//   - switches the garbage collector off until Done: the few megabytes the packages'
//     initialisation allocates are nearly all kept, so the collections it used to
//     trigger found little to free;
//   - on Linux, asks for transparent huge pages on the memory the Go heap has mapped
//     so far (the first 4 MB chunk of its first arena), where that initialisation
//     allocates: it then faults in 2 MB pages instead of about a thousand 4 kB ones.
//     Memory the heap maps later keeps the kernel's default.
//
// On a machine with THP set to "never" the second has no effect. Only cmd/hoist
// imports this package: the long-running controller keeps Go's defaults.
package startup

import (
	"runtime/debug"
	"sync"
	"unsafe"
)

var (
	gcPercent int
	done      sync.Once
	probe     *[64]byte
)

func init() {
	gcPercent = debug.SetGCPercent(-1)
	probe = new([64]byte)
	hugePages(uintptr(unsafe.Pointer(probe)))
	probe = nil
}

// Done restores the garbage collector's setting (GOGC, default 100). main, or the
// template fast path, calls it before the command runs; later calls do nothing.
func Done() {
	done.Do(func() { debug.SetGCPercent(gcPercent) })
}
