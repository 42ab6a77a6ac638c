// Package startup makes the start of the hoist command cheaper. It acts only in
// hoist's own binary (its build information names cmd/hoist as the main package, and
// it is not a test binary): a test binary, cmd/hoist's included, the controller or
// any other program linking it keeps Go's defaults.
// There, its init runs early (it imports only the standard library, and Go
// initialises a package as soon as its imports are and no package with a smaller
// import path is ready, so before the k8s.io, oras and kustomize packages' schemes)
// and:
//
//   - switches the garbage collector off until Done: the few megabytes the packages'
//     initialisation allocates are nearly all kept, so the collections it used to
//     trigger found little to free (Done then sets GOGC, by default 200);
//   - on Linux, has the Go heap map its first 20 MB at once (by allocating a 16 MB
//     block, left untouched, that the first collection frees for reuse) and asks for
//     transparent huge pages on them; internal/startup/thp, initialised among the
//     first packages, already asked for them on the heap's first chunk. Touching
//     fresh memory costs a page fault per 4 kB page, which on virtual machines is
//     expensive: rendering argo-rollouts faulted in some 7,000 pages. With huge pages
//     the heap faults in 2 MB at a time (argo-rollouts: 154 -> 112 ms), and peak RSS
//     does not grow, since the heap fills the lowest addresses first. Memory the heap
//     maps later, beyond these 20 MB, keeps the kernel's default.
//     HOIST_NO_PREMAP=1 turns this (and thp's advice) off, for benchmarks.
//
// On a machine with THP set to "never" the second has no effect. Only cmd/hoist (and
// the template fast path it links) imports this package: make verify checks it.
package startup
