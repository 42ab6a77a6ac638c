package action

import (
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/release"
)

// TestE2EFailedRolloutWithoutAtomic: a rollout that never becomes ready, without
// --atomic, records a failed revision naming the Deployment; a good upgrade follows, and
// a rollback to the good revision before the failure works.
func TestE2EFailedRolloutWithoutAtomic(t *testing.T) {
	t.Parallel()
	cfg, ns, ctx, cs, step := scenario(t, 3*time.Minute)
	const name = "fail"
	chart := fetchLocal(t, rolloutChart)
	wait := DeployOptions{Wait: true, Timeout: 60 * time.Second, HistoryMax: 10}
	app := "Deployment/" + ns + "/" + name + "-app"

	step("install", func(t *testing.T) {
		if _, err := (Install{Config: cfg}).Run(ctx, InstallOptions{Name: name, Namespace: ns, Chart: chart, DeployOptions: wait}); err != nil {
			t.Fatal(err)
		}
		deploymentReady(t, ctx, cs, ns, name+"-app", 2)
	})

	step("never-ready rollout fails the revision", func(t *testing.T) {
		start := time.Now()
		res, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{
			Name: name, Namespace: ns, Chart: chart, Values: map[string]any{"message": "broken", "neverReady": true},
			DeployOptions: DeployOptions{Wait: true, Timeout: 6 * time.Second, HistoryMax: 10},
		})
		if err == nil {
			t.Fatal("the upgrade should fail: its pods never become ready")
		}
		if !errors.Is(err, apply.ErrWaitTimeout) {
			t.Fatalf("want a wait timeout, got %v", err)
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), app)
		if res == nil || res.RolledBack || res.Release.Status != release.StatusFailed {
			t.Fatalf("result %+v", res)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Fatalf("a 6s timeout took %s", d)
		}
		r := getRecord(t, ctx, cfg, ns, name, 2)
		if r.Status != release.StatusFailed || !strings.HasPrefix(r.Description, "Upgrade failed: ") {
			t.Fatalf("revision 2: %s %q", r.Status, r.Description)
		}
		wantContains(t, "the description", r.Description, app, "timed out")
		// Without --atomic, what was applied stays applied.
		if got := configMapData(t, ctx, cs, ns, name+"-config", "message"); got != "broken" {
			t.Fatalf("message %q", got)
		}
		noLease(t, ctx, cs, ns, name)
	})

	step("good upgrade after the failure", func(t *testing.T) {
		res, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{
			Name: name, Namespace: ns, Chart: chart, Values: map[string]any{"message": "three"}, DeployOptions: wait,
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Revision != 3 || res.Release.Status != release.StatusDeployed {
			t.Fatalf("revision %d %s", res.Release.Revision, res.Release.Status)
		}
		deploymentReady(t, ctx, cs, ns, name+"-app", 2)
		wantHistory(t, ctx, cfg, ns, name, release.StatusSuperseded, release.StatusFailed, release.StatusDeployed)
	})

	step("rollback to the good revision before the failure", func(t *testing.T) {
		res, err := Rollback{Config: cfg}.Run(ctx, RollbackOptions{Name: name, Namespace: ns, Revision: 1, DeployOptions: wait})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Revision != 4 || res.Release.Description != "Rollback to 1" {
			t.Fatalf("revision %d %q", res.Release.Revision, res.Release.Description)
		}
		if got := configMapData(t, ctx, cs, ns, name+"-config", "message"); got != "one" {
			t.Fatalf("message %q after rollback to 1", got)
		}
		d, _ := cs.AppsV1().Deployments(ns).Get(ctx, name+"-app", metav1.GetOptions{})
		if d.Spec.Template.Annotations["message"] != "one" || d.Spec.Template.Annotations["kwok.x-k8s.io/status"] != "" {
			t.Fatalf("pod template after rollback: %v", d.Spec.Template.Annotations)
		}
		deploymentReady(t, ctx, cs, ns, name+"-app", 2)
		wantHistory(t, ctx, cfg, ns, name, release.StatusSuperseded, release.StatusFailed, release.StatusSuperseded, release.StatusDeployed)
	})
}

// TestE2EImmutableSelector: changing a Deployment's selector fails without ForceReplace
// (naming the object and the field, leaving it intact) and recreates it with it.
func TestE2EImmutableSelector(t *testing.T) {
	t.Parallel()
	cfg, ns, ctx, cs, step := scenario(t, 3*time.Minute)
	const name = "imm"
	chart := fetchLocal(t, rolloutChart)
	wait := DeployOptions{Wait: true, Timeout: 60 * time.Second, HistoryMax: 10}
	app := "Deployment/" + ns + "/" + name + "-app"
	var uid string

	step("install", func(t *testing.T) {
		if _, err := (Install{Config: cfg}).Run(ctx, InstallOptions{Name: name, Namespace: ns, Chart: chart, DeployOptions: wait}); err != nil {
			t.Fatal(err)
		}
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name+"-app", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		uid = string(d.UID)
	})

	step("selector change without force-replace fails", func(t *testing.T) {
		_, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{
			Name: name, Namespace: ns, Chart: chart, Values: map[string]any{"tier": "blue"}, DeployOptions: wait,
		})
		if !errors.Is(err, apply.ErrImmutable) {
			t.Fatalf("want an immutable-field error, got %v", err)
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), app, "spec.selector", "force-replace")
		r := getRecord(t, ctx, cfg, ns, name, 2)
		if r.Status != release.StatusFailed {
			t.Fatalf("revision 2 is %s", r.Status)
		}
		wantContains(t, "the description", r.Description, app, "spec.selector")
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name+"-app", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if string(d.UID) != uid || d.Spec.Selector.MatchLabels["tier"] != "" {
			t.Fatalf("the deployment changed: uid %s (was %s), selector %v", d.UID, uid, d.Spec.Selector.MatchLabels)
		}
		deploymentReady(t, ctx, cs, ns, name+"-app", 2)
		for _, o := range []string{name + "-config"} {
			if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, o, metav1.GetOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := cs.CoreV1().Services(ns).Get(ctx, name+"-svc", metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
		noPending(t, ctx, cfg, ns, name)
	})

	step("selector change with force-replace recreates the deployment", func(t *testing.T) {
		opts := wait
		opts.ForceReplace = true
		res, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{
			Name: name, Namespace: ns, Chart: chart, Values: map[string]any{"tier": "blue"}, DeployOptions: opts,
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Revision != 3 || res.Release.Status != release.StatusDeployed {
			t.Fatalf("revision %d %s", res.Release.Revision, res.Release.Status)
		}
		replaced := res.Changes.Objects(apply.ActionReplaced)
		if len(replaced) != 1 || replaced[0].String() != app {
			t.Fatalf("replaced %v, want %s; changes:\n%s", replaced, app, res.Changes)
		}
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name+"-app", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if string(d.UID) == uid || d.Spec.Selector.MatchLabels["tier"] != "blue" {
			t.Fatalf("not recreated: uid %s (was %s), selector %v", d.UID, uid, d.Spec.Selector.MatchLabels)
		}
		deploymentReady(t, ctx, cs, ns, name+"-app", 2)
		wantHistory(t, ctx, cfg, ns, name, release.StatusSuperseded, release.StatusFailed, release.StatusDeployed)
	})
}
