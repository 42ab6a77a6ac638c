package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// overlayFor writes a kustomize overlay that annotates the pod template of every
// Deployment with patched=value.
func overlayFor(t *testing.T, value string) string {
	t.Helper()
	dir := t.TempDir()
	k := `patches:
- target: {kind: Deployment}
  patch: |-
    - {op: add, path: /spec/template/metadata/annotations/patched, value: "` + value + `"}
`
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestE2EKustomizeOverlay installs a conformance chart (podinfo) with an overlay that
// patches its Deployment, diffs and upgrades with a changed overlay (only that change
// shows), and rolls back to the first overlay.
func TestE2EKustomizeOverlay(t *testing.T) {
	chart := filepath.Join("..", "..", "..", "shared", "conformance", "charts", "podinfo")
	if _, err := os.Stat(chart); err != nil {
		t.Skipf("the conformance corpus is not here (%s): it lives in ../shared", chart)
	}
	c := newClusterCLI(t)
	ns, cs, hoist, must := c.ns, c.cs, c.hoist, c.must
	patched := func() string {
		t.Helper()
		d, err := cs.AppsV1().Deployments(ns).Get(context.Background(), "pi-podinfo", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d.Spec.Template.Annotations["patched"]
	}
	v1, v2 := overlayFor(t, "one"), overlayFor(t, "two")
	must("install", "pi", chart, "--kustomize", v1)
	if got := patched(); got != "one" {
		t.Fatalf("after install the annotation is %q", got)
	}
	out, _, code := hoist("diff", "upgrade", "pi", chart, "--kustomize", v2, "--exit-code")
	if code != 2 || !strings.Contains(out, "Changed (1):\n~ Deployment/"+ns+"/pi-podinfo") || !strings.Contains(out, "-        patched: one\n    +        patched: two") || !strings.Contains(out, "0 to create, 1 to change, 0 to delete") {
		t.Errorf("diff with the changed overlay: exit %d\n%s", code, out)
	}
	must("upgrade", "pi", chart, "--kustomize", v2)
	if got := patched(); got != "two" {
		t.Errorf("after upgrade the annotation is %q", got)
	}
	// The overlay's files are recorded with the revision.
	if meta := must("get", "all", "pi", "--revision", "1", "-o", "json"); !strings.Contains(meta, `patched, value: \"one\"`) {
		t.Errorf("revision 1 does not record its overlay:\n%.2000s", meta)
	}
	must("rollback", "pi", "1")
	if got := patched(); got != "one" {
		t.Errorf("after rollback to 1 the annotation is %q", got)
	}
	if _, errOut, code := hoist("upgrade", "pi", chart, "--kustomize", filepath.Join(t.TempDir(), "missing")); code != 1 || !strings.Contains(errOut, "--kustomize") {
		t.Errorf("missing overlay: exit %d %s", code, errOut)
	}
}

// TestE2EKustomizePackageFromGit installs a kustomize package (an overlay with a base
// elsewhere in the same repository) from the test Git server, upgrades it after a new
// commit, and rolls it back.
func TestE2EKustomizePackageFromGit(t *testing.T) {
	c := newClusterCLI(t)
	ns, cs, hoist, must := c.ns, c.cs, c.hoist, c.must
	repo, err := c.env.CreateGitRepo("kpkg/" + strings.ToLower(strings.ReplaceAll(ns, "_", "-")))
	if err != nil {
		t.Fatal(err)
	}
	files := func(message string) map[string][]byte {
		return map[string][]byte{
			"base/kustomization.yaml": []byte("resources: [cm.yaml, deploy.yaml]\n"),
			"base/cm.yaml":            []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {message: " + message + "}\n"),
			"base/deploy.yaml": []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 1
  selector: {matchLabels: {app: kpkg}}
  template:
    metadata: {labels: {app: kpkg}}
    spec:
      containers: [{name: app, image: registry.example/app:1}]
`),
			"overlays/prod/kustomization.yaml": []byte(`metadata:
  name: app
  annotations: {hoist.dev/version: 1.0.0}
resources: [../../base]
replicas: [{name: app, count: 2}]
`),
		}
	}
	if _, err := repo.Commit(files("first"), "first"); err != nil {
		t.Fatal(err)
	}
	message := func() string {
		t.Helper()
		return c.configMapData("settings")["message"]
	}
	ref := "git+" + repo.URL + "//overlays/prod?ref=main"
	must("install", "app", ref)
	if got := message(); got != "first" {
		t.Fatalf("after install: message %q", got)
	}
	d, err := cs.AppsV1().Deployments(ns).Get(context.Background(), "app", metav1.GetOptions{})
	if err != nil || *d.Spec.Replicas != 2 {
		t.Fatalf("the overlay's replicas are not applied: %v", err)
	}
	if _, err := repo.Commit(files("second"), "second"); err != nil {
		t.Fatal(err)
	}
	if out, _, code := hoist("diff", "upgrade", "app", ref, "--exit-code"); code != 2 || !strings.Contains(out, "+  message: second") {
		t.Errorf("diff after the new commit: exit %d\n%s", code, out)
	}
	must("upgrade", "app", ref)
	if got := message(); got != "second" {
		t.Errorf("after upgrade: message %q", got)
	}
	if hist := must("history", "app"); !strings.Contains(hist, "app-1.0.0") {
		t.Errorf("history names the package:\n%s", hist)
	}
	must("rollback", "app", "1")
	if got := message(); got != "first" {
		t.Errorf("after rollback: message %q", got)
	}
	// A base outside the repository is refused.
	if _, err := repo.Commit(map[string][]byte{"overlays/bad/kustomization.yaml": []byte("resources: [https://github.com/example/other//base]\n")}, "bad"); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := hoist("install", "bad", "git+"+repo.URL+"//overlays/bad?ref=main"); code != 1 || !strings.Contains(errOut, "github.com/example/other") {
		t.Errorf("remote base: exit %d %s", code, errOut)
	}
}
