// Package source parses chart references at the edge — oci://, git+https://, git+ssh://,
// git+file://, repo/chart, a local directory or .tgz — into typed values, and fetches
// charts through the backends in its sub-packages (oci, git, repo), behind one Fetcher.
package source
