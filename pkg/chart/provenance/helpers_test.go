package provenance

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// newKey makes a throwaway Ed25519 key (fast to generate).
func newKey(t testing.TB, name, email string) *openpgp.Entity {
	t.Helper()
	e, err := openpgp.NewEntity(name, "test", email, &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// writeKeyring writes the keys to path: secret keys if secret, armored if armored.
// Self-signatures are not redone, so encrypted keys can be written too.
func writeKeyring(t testing.TB, path string, secret, armored bool, keys ...*openpgp.Entity) {
	t.Helper()
	var buf bytes.Buffer
	for _, e := range keys {
		var raw bytes.Buffer
		var err error
		if secret {
			err = e.SerializePrivateWithoutSigning(&raw, nil)
		} else {
			err = e.Serialize(&raw)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !armored {
			buf.Write(raw.Bytes())
			continue
		}
		typ := openpgp.PublicKeyType
		if secret {
			typ = openpgp.PrivateKeyType
		}
		w, err := armor.Encode(&buf, typ, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(raw.Bytes())
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		buf.WriteString("\n")
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// packageChart writes a small chart and packages it with chart.Save into dir.
func packageChart(t testing.TB, dir string) string {
	t.Helper()
	c, err := chart.LoadDir(writeChart(t))
	if err != nil {
		t.Fatal(err)
	}
	p, err := chart.Save(c, dir, chart.SaveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeChart writes a small chart directory and returns it.
func writeChart(t testing.TB) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "web")
	files := map[string]string{
		"Chart.yaml": `apiVersion: v2
name: web
version: 1.2.3
appVersion: "4.5"
description: |
  A web server.
  - with a line that starts with a dash
kubeVersion: ">=1.28.0-0"
keywords: [web, http]
maintainers:
  - name: Ada
    email: ada@example.com
annotations:
  example.com/team: platform
`,
		"values.yaml":               "replicas: 1\n",
		"templates/deployment.yaml": "kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
	}
	for name, body := range files {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return src
}

func signTo(t testing.TB, archive string, e *openpgp.Entity) string {
	t.Helper()
	prov, err := Sign(archive, e)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(archive+".prov", prov, 0o644); err != nil {
		t.Fatal(err)
	}
	return archive + ".prov"
}
