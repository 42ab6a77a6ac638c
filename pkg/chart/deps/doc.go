// Package deps manages a chart directory's dependencies as `helm dependency` does:
// Update resolves Chart.yaml's (or requirements.yaml's) dependencies to concrete
// versions, vendors their archives into charts/ and writes Chart.lock with Helm's
// digest; Build fetches exactly what Chart.lock records; List reports what charts/
// holds. It fetches nothing itself: file:// and unpacked dependencies are read here,
// the others come through a Fetcher (pkg/action's, over pkg/source).
package deps
