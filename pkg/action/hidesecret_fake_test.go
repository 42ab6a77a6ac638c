package action_test

import (
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/action/actiontest"
)

// TestHideSecret: with --hide-secret a dry run's manifest has each v1 Secret replaced
// by Helm's comment, and keeps the other objects (a Secret-like custom kind
// included); without --dry-run the option is refused before anything happens.
func TestHideSecret(t *testing.T) {
	e := actiontest.NewEnv()
	f := chartWith(t, "1.0.0", "", map[string]string{
		"templates/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: s3cret\n",
		"templates/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  k: visible\n",
		"templates/other.yaml":  "apiVersion: example.com/v1\nkind: Secret\nmetadata:\n  name: not-core\nspec:\n  k: also-visible\n",
	})
	const hidden = "# Source: app/templates/secret.yaml\n# HIDDEN: The Secret output has been suppressed\n"
	check := func(what, manifest string) {
		t.Helper()
		if strings.Contains(manifest, "s3cret") || !strings.Contains(manifest, hidden) ||
			!strings.Contains(manifest, "k: visible") || !strings.Contains(manifest, "k: also-visible") {
			t.Errorf("%s: manifest:\n%s", what, manifest)
		}
	}
	for _, mode := range []action.DryRun{action.DryRunClient, action.DryRunServer} {
		res, err := action.Install{Config: e.Config}.Run(t.Context(), action.InstallOptions{Name: "web", Namespace: ns, Chart: f, DeployOptions: action.DeployOptions{DryRun: mode, HideSecret: true}})
		if err != nil {
			t.Fatalf("install --dry-run=%s: %v", mode, err)
		}
		check("install --dry-run="+string(mode), res.Release.Manifest)
	}
	res := install(t, e, "web", f, nil, action.DeployOptions{})
	if !strings.Contains(res.Release.Manifest, "s3cret") {
		t.Fatalf("the recorded manifest lost the Secret:\n%s", res.Release.Manifest)
	}
	for _, mode := range []action.DryRun{action.DryRunClient, action.DryRunServer} {
		res, err := action.Upgrade{Config: e.Config}.Run(t.Context(), action.UpgradeOptions{Name: "web", Namespace: ns, Chart: f, DeployOptions: action.DeployOptions{DryRun: mode, HideSecret: true}})
		if err != nil {
			t.Fatalf("upgrade --dry-run=%s: %v", mode, err)
		}
		check("upgrade --dry-run="+string(mode), res.Release.Manifest)
	}

	writes := len(e.Apply.Writes())
	_, err := action.Upgrade{Config: e.Config}.Run(t.Context(), action.UpgradeOptions{Name: "web", Namespace: ns, Chart: f, DeployOptions: action.DeployOptions{HideSecret: true}})
	if err == nil || !strings.Contains(err.Error(), "--hide-secret needs --dry-run") || len(e.Apply.Writes()) != writes {
		t.Errorf("upgrade --hide-secret without --dry-run: %v, %d writes", err, len(e.Apply.Writes())-writes)
	}
	if _, err := (action.Install{Config: actiontest.NewEnv().Config}).Run(t.Context(), action.InstallOptions{Name: "x", Namespace: ns, Chart: f, DeployOptions: action.DeployOptions{HideSecret: true}}); err == nil {
		t.Error("install --hide-secret without --dry-run was accepted")
	}
}
