// Package schemas embeds hoist's JSON Schemas: the release record format and, later,
// Chart.yaml and the controller's CRDs.
package schemas

import _ "embed"

// ReleaseV1 is the JSON Schema of release records in format hoist.dev/release.v1.
//
//go:embed release.v1.json
var ReleaseV1 []byte
