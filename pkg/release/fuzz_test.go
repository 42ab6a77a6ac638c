package release

import (
	"bytes"
	"compress/gzip"
	"errors"
	"reflect"
	"runtime"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// fuzzRecord is a realistic record: what an install of a small chart stores.
func fuzzRecord() *Release {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &Release{
		Name: "web", Namespace: "prod", Revision: 3, Status: StatusDeployed,
		Description: "Upgrade complete", FirstDeployed: at, LastDeployed: at.Add(time.Hour),
		Chart:    ChartInfo{Metadata: &chart.Metadata{APIVersion: "v2", Name: "web", Version: "1.2.3"}, Digest: "sha256:00", Source: "oci://r/web:1.2.3"},
		Config:   map[string]any{"replicas": 2.0, "image": map[string]any{"tag": "v1"}, "list": []any{"a", nil, true}},
		Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  k: v\n",
		Hooks: []*Hook{{Name: "web-test", Kind: "Pod", Path: "web/templates/test.yaml", Manifest: "kind: Pod\n",
			Events: []HookEvent{HookEvent("test")}, Weight: -1, DeletePolicies: []string{"hook-succeeded"}}},
		Notes:     "Thank you.\n",
		Labels:    map[string]string{"team": "a"},
		Inventory: []ObjectRef{{Kind: "ConfigMap", Namespace: "prod", Name: "web"}},
	}
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// FuzzDecode feeds Decode arbitrary records: data as is when gz is false, else the gzip
// of data (so the fuzzer reaches the JSON and the checks). Decode must not panic, must
// wrap ErrFormat when it refuses, must not allocate much beyond its limit doing so, and
// what it accepts must be a fixed point of Encode then Decode.
func FuzzDecode(f *testing.F) {
	enc, err := Encode(fuzzRecord())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc, false)
	body, err := Gunzip(enc, MaxDecodedSize)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(body, true)
	for _, s := range []string{
		`{"format":"hoist.dev/release.v1","name":"a","revision":1,"status":"failed"}`,
		`{"format":"hoist.dev/release.v1","name":"a","revision":0,"status":"deployed"}`,
		`{"format":"v0","name":"a","revision":1,"status":"deployed"}`,
		`{"format":"hoist.dev/release.v1","name":"a","revision":1,"status":"nope"}`,
		`{"format":"hoist.dev/release.v1","name":"a","revision":1,"status":"deployed","hooks":[null],"config":{"a":[{}]}}`,
		`null`, `[]`, `{`, "",
	} {
		f.Add([]byte(s), true)
	}
	f.Add(enc[:len(enc)/2], false)
	f.Add(append(append([]byte{}, enc...), enc...), false)
	f.Add([]byte{0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff}, false)

	f.Fuzz(func(t *testing.T, data []byte, gz bool) {
		if gz {
			data = gzipped(data)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := Decode(data)
		if err != nil {
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error does not wrap ErrFormat: %v", err)
			}
			// The decompressed body, JSON's copies of a part of it, and gzip's state.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3*uint64(MaxDecodedSize) {
				t.Fatalf("refusing %d bytes allocated %d", len(data), alloc)
			}
			return
		}
		if r.Name == "" || r.Revision <= 0 || !r.Status.Valid() || r.Format != FormatV1 {
			t.Fatalf("accepted a record without identity: %+v", r)
		}
		again, err := Encode(r)
		if err != nil {
			t.Fatalf("Encode of a decoded record: %v", err)
		}
		r2, err := Decode(again)
		if err != nil {
			t.Fatalf("Decode of a re-encoded record: %v", err)
		}
		third, err := Encode(r2)
		if err != nil {
			t.Fatalf("second Encode: %v", err)
		}
		b1, _ := Gunzip(again, MaxDecodedSize)
		b2, _ := Gunzip(third, MaxDecodedSize)
		if !bytes.Equal(b1, b2) {
			t.Fatalf("Encode(Decode(x)) is not a fixed point:\n%s\n%s", b1, b2)
		}
	})
}

// FuzzEncodeDecode builds records from fuzzed fields: Decode(Encode(r)) must give r.
func FuzzEncodeDecode(f *testing.F) {
	r := fuzzRecord()
	f.Add(r.Name, r.Namespace, r.Revision, string(r.Status), r.Manifest, r.Notes, "team", "a", int64(0))
	f.Add("a", "", 1, "failed", "", "", "", "", int64(-1))
	f.Add("é\x00\u2028<>&", "ns", 1<<40, "superseded", "---\n&a [*a]\n", "\xff", "k", "\xfe", int64(1<<62))
	f.Fuzz(func(t *testing.T, name, ns string, rev int, status, manifest, notes, lk, lv string, unix int64) {
		r := fuzzRecord()
		r.Name, r.Namespace, r.Revision, r.Status, r.Manifest, r.Notes = name, ns, rev, Status(status), manifest, notes
		r.Labels = map[string]string{lk: lv}
		r.Config = map[string]any{lk: lv, "n": []any{manifest, float64(rev)}}
		r.LastDeployed = time.Unix(unix%(1<<33), 0).UTC()
		enc, err := Encode(r)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		got, err := Decode(enc)
		if name == "" || rev <= 0 || !Status(status).Valid() {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("a record without identity: Decode = %v, want ErrFormat", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Decode(Encode(r)): %v", err)
		}
		// JSON carries valid UTF-8 only: other strings come back with U+FFFD.
		for _, s := range []string{name, ns, manifest, notes, lk, lv} {
			if !utf8.ValidString(s) {
				return
			}
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("round trip changed the record:\n got %+v\nwant %+v", got, r)
		}
	})
}
