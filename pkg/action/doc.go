// Package action holds hoist's use cases, the one way in for the CLI and the
// controller: each is a type built from injected dependencies with
// Run(ctx, XOptions) (XResult, error), returning its result as data to present.
//
// Release operations (install, upgrade, rollback, uninstall, test, import) run under
// the release's lock: their context ends when the lock is lost, and every write they
// make is checked against the lock first (package storage, package fence), so an
// operation that lost its lock writes nothing more. Configuration depends on small
// interfaces (Applier, Cluster, HookRunner, storage.Driver, storage.Locker); package
// actiontest has in-memory implementations of them.
package action
