// Package cli holds hoist's cobra commands, one file per verb, and the printers they
// share: commands bind flags to options, call the use case, and print its result as a
// table, JSON or YAML. No business logic lives here and there is no package-level state.
package cli
