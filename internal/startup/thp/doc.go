// Package thp asks for transparent huge pages on the Go heap's first arena from its
// init, which Go runs among the first (it imports only syscall and unsafe), before the
// other packages' initialisation allocates there (see internal/startup).
//
// Linking it is the opt-in: only cmd/hoist imports it (make verify checks that), for
// its init acts in every binary that links it, cmd/hoist's test binary included
// (there it only changes which of the heap's pages are huge; it cannot ask whether
// it runs in a test without importing more than syscall, which would make it late).
// HOIST_NO_PREMAP=1 turns it off, with internal/startup's premapping.
package thp
