// Package storage keeps release records: the Driver interface, a Secret driver (one
// Secret per revision, type hoist.dev/release.v1, records larger than a Secret split
// across several) and an in-memory driver for tests.
package storage
