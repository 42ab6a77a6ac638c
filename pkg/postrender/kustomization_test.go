package postrender

import "testing"

// TestSelective: which overlays let objects no patch selects skip kustomize.
func TestSelective(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		want  bool
	}{
		{"patches only", map[string]string{"kustomization.yaml": "patches:\n- target: {kind: Deployment}\n  patch: '[{\"op\": \"add\", \"path\": \"/spec/replicas\", \"value\": 2}]'\n"}, true},
		{"resources and metadata", map[string]string{"kustomization.yaml": "metadata: {name: x}\nresources: [a.yaml]\n", "a.yaml": "kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\n"}, true},
		{"namePrefix", map[string]string{"kustomization.yaml": "namePrefix: x-\n"}, false},
		{"images", map[string]string{"kustomization.yaml": "images:\n- name: nginx\n  newTag: \"1\"\n"}, false},
		{"generator", map[string]string{"kustomization.yaml": "configMapGenerator:\n- name: a\n  literals: [a=b]\n"}, false},
		{"component with labels", map[string]string{"kustomization.yaml": "components: [c]\n", "c/kustomization.yaml": "kind: Component\napiVersion: kustomize.config.k8s.io/v1alpha1\ncommonLabels: {a: b}\n"}, false},
		{"rename by JSON patch", map[string]string{"kustomization.yaml": "patches:\n- target: {kind: ConfigMap}\n  patch: '[{\"op\": \"replace\", \"path\": \"/metadata/name\", \"value\": \"n\"}]'\n"}, false},
		{"move namespace", map[string]string{"kustomization.yaml": "patches:\n- target: {kind: ConfigMap}\n  patch: '[{\"op\": \"move\", \"from\": \"/metadata/namespace\", \"path\": \"/data/ns\"}]'\n"}, false},
		{"allowNameChange", map[string]string{"kustomization.yaml": "patches:\n- path: p.yaml\n  options: {allowNameChange: true}\n", "p.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"}, false},
	} {
		tr, err := loadTree(c.files, "")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := tr.selective(); got != c.want {
			t.Errorf("%s: selective = %v, want %v", c.name, got, c.want)
		}
	}
}
