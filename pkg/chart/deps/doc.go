// Package deps manages a chart directory's dependencies as `helm dependency` does:
// Update resolves Chart.yaml's (or requirements.yaml's) dependencies to concrete
// versions from OCI registries, chart repositories, Git and local directories, vendors
// their archives into charts/ and writes Chart.lock with Helm's digest; Build fetches
// exactly what Chart.lock records; List reports what charts/ holds.
package deps
