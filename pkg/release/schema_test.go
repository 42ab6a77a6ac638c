package release

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/schemas"
)

// TestRecordMatchesSchema checks that what Encode writes is what schemas/release.v1.json
// documents.
func TestRecordMatchesSchema(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemas.ReleaseV1))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("release.v1.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("release.v1.json")
	if err != nil {
		t.Fatal(err)
	}
	r := &Release{
		Name: "web", Namespace: "prod", Revision: 3, Status: StatusDeployed, Description: "Upgrade complete",
		FirstDeployed: time.Now(), LastDeployed: time.Now(),
		Chart:    ChartInfo{Metadata: &chart.Metadata{Name: "web", Version: "1.0.0"}, Digest: "sha256:ab", Source: "oci://r/web@sha256:ab"},
		Config:   map[string]any{"replicas": 2},
		Values:   map[string]any{"replicas": 2, "image": "x"},
		Manifest: "kind: ConfigMap\n",
		Hooks:    []*Hook{{Name: "m", Kind: "Job", Path: "web/templates/j.yaml", Manifest: "x", Events: []HookEvent{"pre-upgrade"}, DeletePolicies: []string{"hook-succeeded"}}},
		Notes:    "hi",
		Labels:   map[string]string{"team": "a"},
	}
	b, err := Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(zr)
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Fatalf("record does not match schemas/release.v1.json: %v", err)
	}
}
