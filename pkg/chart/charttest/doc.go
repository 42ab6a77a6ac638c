// Package charttest writes chart fixtures for tests: files under a directory, packaged
// minimal charts, and a parent chart with dependencies, for the tests of pkg/chart/deps
// and of the dependency use cases in pkg/action.
package charttest
