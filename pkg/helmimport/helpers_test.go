package helmimport

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/schemas"
)

// helmEncode stores JSON as Helm's encodeRelease does: gzip (best compression), then
// base64. The result is what a corev1.Secret's Data["release"] holds.
func helmEncode(t testing.TB, js []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(js); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return []byte(base64.StdEncoding.EncodeToString(buf.Bytes()))
}

// helmSecret builds a Secret as Helm's Secret driver writes it, from the record's JSON.
func helmSecret(t testing.TB, ns, name string, rev int, status string, js []byte, userLabels map[string]string) *corev1.Secret {
	t.Helper()
	lbls := map[string]string{
		"name": name, "owner": "helm", "status": status, "version": strconv.Itoa(rev), "modifiedAt": "1750161799",
	}
	for k, v := range userLabels {
		lbls[k] = v
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: SecretName(name, rev), Namespace: ns, Labels: lbls},
		Type:       SecretType,
		Data:       map[string][]byte{"release": helmEncode(t, js)},
	}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// editJSON decodes a record's JSON into a generic map, lets edit change it and
// encodes it again.
func editJSON(t testing.TB, js []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// minimalJSON is a small valid Helm record of release name, revision rev.
func minimalJSON(name, ns string, rev int, status string) []byte {
	m := map[string]any{
		"name":      name,
		"namespace": ns,
		"version":   rev,
		"info":      map[string]any{"status": status, "description": "Install complete", "first_deployed": "2025-01-01T00:00:00Z", "last_deployed": "2025-01-01T00:00:00Z", "deleted": ""},
		"chart":     map[string]any{"metadata": map[string]any{"name": "demo", "version": "0.1.0", "apiVersion": "v2"}, "values": map[string]any{"a": 1}},
		"manifest":  "---\n# Source: demo/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n",
	}
	b, _ := json.Marshal(m)
	return b
}

// roundTrip checks that hoist's codec takes the record, and that it matches hoist's
// published record schema.
func roundTrip(t *testing.T, r *release.Release) *release.Release {
	t.Helper()
	enc, err := release.Encode(r)
	if err != nil {
		t.Fatalf("release.Encode: %v", err)
	}
	back, err := release.Decode(enc)
	if err != nil {
		t.Fatalf("release.Decode: %v", err)
	}
	again, err := release.Encode(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc, again) {
		t.Fatalf("record changed through release.Encode/Decode")
	}
	checkSchema(t, enc)
	return back
}

func checkSchema(t *testing.T, enc []byte) {
	t.Helper()
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
	zr, err := gzip.NewReader(bytes.NewReader(enc))
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Fatalf("imported record does not match schemas/release.v1.json: %v", err)
	}
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}
