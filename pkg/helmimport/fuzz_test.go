package helmimport

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hoist-dev/hoist/pkg/release"
)

// FuzzDecodeSecret feeds DecodeSecret arbitrary records. mode says how payload becomes
// the Secret's data: 0 as is (base64 text, or not), 1 base64 of it (plain JSON), 2
// base64 of its gzip (as Helm writes). The Secret is named for the record when the
// record decodes, so that the conversion is reached. DecodeSecret must not panic, must
// wrap one of the package's errors, and what it returns must go through hoist's codec.
func FuzzDecodeSecret(f *testing.F) {
	for _, name := range []string{"helm3-web.v3.json", "helm4-api.v2.json"} {
		js := readFixture(f, name)
		f.Add(js, uint8(2))
		f.Add(js, uint8(1))
		f.Add(helmEncode(f, js), uint8(0))
	}
	f.Add(minimalJSON("demo", "ns", 1, "deployed"), uint8(1))
	f.Add([]byte(`{"name":"a","version":1,"namespace":"n","info":{"status":"failed","deleted":""},"chart":{"metadata":{"name":"c","version":"1"}},"hooks":[{"kind":"Job","events":["test"],"last_run":{"phase":"Unknown","started_at":null}}],"manifest":"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n"}`), uint8(2))
	f.Add([]byte(`null`), uint8(1))
	f.Add([]byte("H4sI"), uint8(0))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff}, uint8(1))

	f.Fuzz(func(t *testing.T, payload []byte, mode uint8) {
		var data []byte
		switch mode % 3 {
		case 0:
			data = payload
		case 1:
			data = []byte(base64.StdEncoding.EncodeToString(payload))
		case 2:
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write(payload)
			_ = zw.Close()
			data = []byte(base64.StdEncoding.EncodeToString(buf.Bytes()))
		}
		s := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "sh.helm.release.v1.x.v1", Namespace: "ns", Labels: map[string]string{"owner": "helm", "team": "a"}},
			Type:       SecretType,
			Data:       map[string][]byte{DataKey: data},
		}
		if rec, err := DecodeRecord(data); err == nil && rec.Name != "" && rec.Version > 0 {
			s.Name = SecretName(rec.Name, rec.Version)
			if rec.Namespace != "" {
				s.Namespace = rec.Namespace
			}
		}
		r, err := DecodeSecret(s, Options{Scope: fakeScope})
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotRecord) && !errors.Is(err, ErrMismatch) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error wraps none of the package's errors: %v", err)
			}
			return
		}
		enc, err := release.Encode(r)
		if err != nil {
			t.Fatalf("release.Encode: %v", err)
		}
		if _, err := release.Decode(enc); err != nil {
			t.Fatalf("release.Decode of an imported record: %v", err)
		}
	})
}

// FuzzDecodeConfigMap feeds DecodeConfigMap (Helm's ConfigMap driver) arbitrary
// records and labels. payload becomes the data as in FuzzDecodeSecret; owner is the
// owner label ("" for none) and status an extra status label. DecodeConfigMap must not
// panic, must wrap one of the package's errors, must refuse an object without
// owner=helm, and must agree with DecodeSecret on the same record and labels: a Secret
// and a ConfigMap of Helm's hold the same bytes.
func FuzzDecodeConfigMap(f *testing.F) {
	for _, name := range []string{"helm3-web.v3.json", "helm4-api.v2.json"} {
		js := readFixture(f, name)
		f.Add(js, uint8(2), "helm", "deployed")
		f.Add(js, uint8(1), "", "superseded")
		f.Add(helmEncode(f, js), uint8(0), "flux", "")
	}
	f.Add(minimalJSON("demo", "ns", 1, "deployed"), uint8(2), "helm", "failed")
	f.Add([]byte(`{"name":"demo","version":1}`), uint8(1), "helm", "")
	f.Add([]byte("H4sI"), uint8(0), "helm", "")
	f.Add([]byte(""), uint8(0), "helm", "")

	f.Fuzz(func(t *testing.T, payload []byte, mode uint8, owner, status string) {
		var data []byte
		switch mode % 3 {
		case 0:
			data = payload
		case 1:
			data = []byte(base64.StdEncoding.EncodeToString(payload))
		case 2:
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write(payload)
			_ = zw.Close()
			data = []byte(base64.StdEncoding.EncodeToString(buf.Bytes()))
		}
		meta := metav1.ObjectMeta{Name: "sh.helm.release.v1.x.v1", Namespace: "ns", Labels: map[string]string{"status": status}}
		if owner != "" {
			meta.Labels[LabelOwner] = owner
		}
		if rec, err := DecodeRecord(data); err == nil && rec.Name != "" && rec.Version > 0 {
			meta.Name = SecretName(rec.Name, rec.Version)
			if rec.Namespace != "" {
				meta.Namespace = rec.Namespace
			}
		}
		cm := &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{DataKey: string(data)}}
		r, err := DecodeConfigMap(cm, Options{Scope: fakeScope})
		if owner != OwnerHelm && !errors.Is(err, ErrNotRecord) {
			t.Fatalf("owner %q: DecodeConfigMap = %v, want ErrNotRecord", owner, err)
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotRecord) && !errors.Is(err, ErrMismatch) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error wraps none of the package's errors: %v", err)
			}
		}
		if owner == OwnerHelm {
			s := &corev1.Secret{ObjectMeta: meta, Type: SecretType, Data: map[string][]byte{DataKey: data}}
			rs, serr := DecodeSecret(s, Options{Scope: fakeScope})
			if (err == nil) != (serr == nil) {
				t.Fatalf("ConfigMap and Secret disagree: %v; %v", err, serr)
			}
			if err == nil && (rs.Name != r.Name || rs.Revision != r.Revision || rs.Status != r.Status || rs.Manifest != r.Manifest) {
				t.Fatalf("ConfigMap and Secret decode to different records: %+v; %+v", r, rs)
			}
		}
		if err != nil {
			return
		}
		enc, err := release.Encode(r)
		if err != nil {
			t.Fatalf("release.Encode: %v", err)
		}
		if _, err := release.Decode(enc); err != nil {
			t.Fatalf("release.Decode of an imported record: %v", err)
		}
	})
}
