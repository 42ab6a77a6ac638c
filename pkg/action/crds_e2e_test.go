package action

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestE2ECRDsFromChart installs a chart whose crds/ defines the kind its templates use
// (on a cluster that does not know it yet), upgrades it with a changed CRD (Helm never
// updates CRDs; hoist does), and checks that uninstall keeps the CRD.
func TestE2ECRDsFromChart(t *testing.T) {
	cfg, ns := e2eConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	gadgets := schema.GroupVersionResource{Group: "hoist.test", Version: "v1", Resource: "gadgets"}
	crds := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	name := "gadget-" + ns[len(ns)-5:]

	if _, err := (Install{Config: cfg}).Run(ctx, InstallOptions{Name: name, Namespace: ns, Chart: fetchLocal(t, "../../testdata/charts/crds"), DeployOptions: DeployOptions{Wait: true, Timeout: time.Minute}}); err != nil {
		t.Fatal(err)
	}
	g, err := clientsOf(cfg).Dynamic.Resource(gadgets).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("custom resource not created: %v", err)
	}
	if size, _, _ := unstructured.NestedString(g.Object, "spec", "size"); size != "small" {
		t.Fatalf("spec.size = %q", size)
	}

	// Version 2 of the chart adds a short name to the CRD.
	dir := t.TempDir()
	copyTree(t, "../../testdata/charts/crds", dir)
	crdFile := filepath.Join(dir, "crds", "gadget.yaml")
	b, _ := os.ReadFile(crdFile)
	if err := os.WriteFile(crdFile, []byte(strings.Replace(string(b), "singular: gadget}", "singular: gadget, shortNames: [gd]}", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (Upgrade{Config: cfg}).Run(ctx, UpgradeOptions{Name: name, Namespace: ns, Chart: fetchLocal(t, dir), Values: map[string]any{"size": "large"}, DeployOptions: DeployOptions{Wait: true, Timeout: time.Minute}}); err != nil {
		t.Fatal(err)
	}
	crd, err := clientsOf(cfg).Dynamic.Resource(crds).Get(ctx, "gadgets.hoist.test", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if short, _, _ := unstructured.NestedSlice(crd.Object, "spec", "names", "shortNames"); len(short) != 1 || short[0] != "gd" {
		t.Fatalf("the CRD was not updated on upgrade: shortNames %v", short)
	}
	if _, err := (Uninstall{Config: cfg}).Run(ctx, UninstallOptions{Name: name, Namespace: ns, Wait: true, Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := clientsOf(cfg).Dynamic.Resource(crds).Get(ctx, "gadgets.hoist.test", metav1.GetOptions{}); err != nil {
		t.Fatalf("uninstall must keep CRDs: %v", err)
	}
}
