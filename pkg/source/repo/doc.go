// Package repo reads classic HTTP chart repositories (Helm's index.yaml): the
// repositories file that `hoist repo add` maintains, a cached index per repository,
// version constraints, search, and a source.Getter for repo/chart references that
// verifies each downloaded archive against the index's digest.
package repo
