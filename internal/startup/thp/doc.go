// Package thp asks for transparent huge pages on the Go heap's first chunk from its
// init, which Go runs among the first (it imports only syscall and unsafe), before
// the other packages' initialisation allocates there (see internal/startup).
package thp
