// Command hoist is the Helm-compatible package manager's CLI: it wires the process
// (signals, standard streams, build information) to pkg/cli and turns the result into an
// exit code. It holds no logic of its own.
package main
