// Package actiontest holds in-memory implementations of action's boundaries for tests:
// an Applier that keeps objects in a map, a Cluster, a HookRunner that records its runs,
// and an Env that wires them with storage.Memory and storage.MemoryLocker into a ready
// *action.Configuration. No cluster is needed; every fake is safe for concurrent use.
package actiontest
