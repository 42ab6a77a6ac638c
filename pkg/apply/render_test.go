package apply

import (
	"strings"
	"testing"
)

func TestMaskSecrets(t *testing.T) {
	a := Normalize(obj(t, `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {kubectl.kubernetes.io/last-applied-configuration: "{\"data\":{\"a\":\"c2VjcmV0\"}}"}}, data: {a: c2VjcmV0, b: b2xk, gone: eA==}}`))
	b := Normalize(obj(t, `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: c2VjcmV0, b: bmV3, new: eQ==}}`))
	ma, mb := MaskSecrets(a, b)
	text := UnifiedDiff("a", "b", toYAML(ma), toYAML(mb), 5)
	for _, secret := range []string{"c2VjcmV0", "b2xk", "bmV3", "eA==", "eQ=="} {
		if strings.Contains(text, secret) {
			t.Errorf("secret value %s shown:\n%s", secret, text)
		}
	}
	for _, want := range []string{"   a: (hidden)\n", "-  b: (hidden, before)\n", "+  b: (hidden, changed)\n", "-  gone: (hidden)\n", "+  new: (hidden)\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("want %q in\n%s", want, text)
		}
	}
	cm := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"a": "x"}}
	if x, _ := MaskSecrets(cm, nil); x["data"].(map[string]any)["a"] != "x" {
		t.Error("ConfigMap masked")
	}
}
