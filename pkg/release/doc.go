// Package release is hoist's release record: one revision of a release, with its chart
// metadata, digest and source, user and computed values, rendered manifest, hooks,
// notes, status and timestamps (never the chart's templates), in a versioned JSON
// format documented by schemas/release.v1.json.
package release
