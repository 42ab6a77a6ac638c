package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestTemplatePostRender checks template's --kustomize and --post-renderer, and a
// kustomize package, end to end through the command line.
func TestTemplatePostRender(t *testing.T) {
	const chart = "../../charts/examples/hello"
	overlay := writeFiles(t, t.TempDir(), map[string]string{"kustomization.yaml": `patches:
- target: {kind: Deployment}
  patch: |-
    - {op: replace, path: /spec/replicas, value: 7}
commonAnnotations: {team: blue}
`})
	out, errOut, code := run(t, "template", "web", chart, "--kustomize", overlay)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "replicas: 7") || strings.Count(out, "team: blue") < 3 || !strings.Contains(out, "# Source: hello/templates/deployment.yaml") {
		t.Errorf("overlay not applied, or sources lost:\n%s", out)
	}

	script := writeFiles(t, t.TempDir(), map[string]string{"pr.sh": "#!/bin/sh\nsed \"s/Hello from hoist/$1/\"\n"})
	out, errOut, code = run(t, "template", "web", chart, "--post-renderer", filepath.Join(script, "pr.sh"), "--post-renderer-args", "Post-rendered")
	if code != 0 || !strings.Contains(out, "Post-rendered") || strings.Contains(out, "Hello from hoist") {
		t.Errorf("post-renderer: exit %d %s\n%s", code, errOut, out)
	}

	pkg := writeFiles(t, t.TempDir(), map[string]string{
		"kustomization.yaml": "metadata: {name: kp}\nresources: [cm.yaml]\nnamePrefix: x-\n",
		"cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
	})
	out, errOut, code = run(t, "template", "rel", pkg, "-n", "ns1")
	if code != 0 || !strings.Contains(out, "# Source: kp/cm.yaml") || !strings.Contains(out, "name: x-c") || !strings.Contains(out, "namespace: ns1") {
		t.Errorf("kustomize package: exit %d %s\n%s", code, errOut, out)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--kustomize", filepath.Join(t.TempDir(), "none")}, "--kustomize"},
		{[]string{"--kustomize", writeFiles(t, t.TempDir(), map[string]string{"kustomization.yaml": "patches:\n- target: {kind: Nothing}\n  patch: '[]'\n"})}, "kustomization.yaml"},
		{[]string{"--post-renderer", "/nonexistent/renderer"}, "--post-renderer /nonexistent/renderer"},
		{[]string{"--post-renderer", filepath.Join(writeFiles(t, t.TempDir(), map[string]string{"f.sh": "#!/bin/sh\necho broken >&2\nexit 3\n"}), "f.sh")}, "broken"},
		{[]string{"--post-renderer-args", "x"}, "--post-renderer-args needs --post-renderer"},
	} {
		out, errOut, code := run(t, append([]string{"template", "web", chart}, c.args...)...)
		if code != 1 || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", c.args, code, out, errOut, c.want)
		}
	}
}
