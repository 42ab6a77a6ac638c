// Package action holds hoist's use cases (template, install, upgrade, rollback, …): each
// one a type built from injected dependencies with a Run(ctx, Options) method that
// returns its result as data for the CLI or the controller to present.
package action
