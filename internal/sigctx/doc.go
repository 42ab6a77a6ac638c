// Package sigctx is hoist's handling of SIGINT and SIGTERM: the first one cancels the
// command's context, so an operation records its revision failed and releases its
// lock; a second one exits at once with status 130.
package sigctx
