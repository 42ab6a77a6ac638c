package action

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
	"github.com/hoist-dev/hoist/pkg/testenv"
)

// TestE2EBadInput: objects the API server rejects, a kind the cluster does not serve, a
// missing namespace and concurrent operations all fail clearly, leave nothing pending,
// and leave the release rollback-able.
func TestE2EBadInput(t *testing.T) {
	t.Parallel()
	cfg, ns, ctx, cs, step := scenario(t, 3*time.Minute)
	env := testenv.Require(t)
	const name = "bad"
	chart := fetchLocal(t, rolloutChart)
	wait := DeployOptions{Wait: true, Timeout: 60 * time.Second, HistoryMax: 20}
	app := "Deployment/" + ns + "/" + name + "-app"
	var appUID string

	upgradeFails := func(t *testing.T, vals map[string]any, rev int, mention ...string) error {
		t.Helper()
		_, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{Name: name, Namespace: ns, Chart: chart, Values: vals, DeployOptions: wait})
		if err == nil {
			t.Fatalf("upgrade with %v should fail", vals)
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), mention...)
		if rev > 0 {
			r := getRecord(t, ctx, cfg, ns, name, rev)
			if r.Status != release.StatusFailed {
				t.Fatalf("revision %d is %s", rev, r.Status)
			}
			wantContains(t, "the description", r.Description, mention...)
		}
		noPending(t, ctx, cfg, ns, name)
		noLease(t, ctx, cs, ns, name)
		// The deployment of revision 1 is intact.
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name+"-app", metav1.GetOptions{})
		if err != nil || string(d.UID) != appUID || *d.Spec.Replicas != 2 || d.Spec.Template.Annotations["message"] != "one" {
			t.Fatalf("deployment changed: %v", err)
		}
		return err
	}

	step("install", func(t *testing.T) {
		if _, err := (Install{Config: cfg}).Run(ctx, InstallOptions{Name: name, Namespace: ns, Chart: chart, DeployOptions: wait}); err != nil {
			t.Fatal(err)
		}
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name+"-app", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		appUID = string(d.UID)
	})

	step("invalid value: negative replicas", func(t *testing.T) {
		// The failed revision also adds a ConfigMap, applied before the Deployment failed.
		upgradeFails(t, map[string]any{"message": "two", "badInput": "negativeReplicas", "extraConfigMap": true}, 2, app, "spec.replicas", "must be greater than or equal to 0")
	})

	step("unknown field", func(t *testing.T) {
		upgradeFails(t, map[string]any{"message": "three", "badInput": "unknownField"}, 3, app, "bogusField", "field not declared in schema")
	})

	step("invalid name", func(t *testing.T) {
		upgradeFails(t, map[string]any{"message": "four", "badInput": "badName"}, 4, "ConfigMap/"+ns+"/"+name+"-Bad_Name", "metadata.name")
	})

	step("unknown kind: refused before anything is recorded", func(t *testing.T) {
		upgradeFails(t, map[string]any{"message": "five", "badInput": "unknownKind"}, 0, "Widget", name+"-widget", "templates/configmap.yaml")
		wantHistory(t, ctx, cfg, ns, name, release.StatusDeployed, release.StatusFailed, release.StatusFailed, release.StatusFailed)
	})

	step("rollback to the last good revision", func(t *testing.T) {
		res, err := Rollback{Config: cfg}.Run(ctx, RollbackOptions{Name: name, Namespace: ns, Revision: 1, DeployOptions: wait})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Revision != 5 || res.Release.Status != release.StatusDeployed {
			t.Fatalf("revision %d %s", res.Release.Revision, res.Release.Status)
		}
		if got := configMapData(t, ctx, cs, ns, name+"-config", "message"); got != "one" {
			t.Fatalf("message %q", got)
		}
		// The ConfigMap only the failed revision 2 had is not part of revision 1.
		if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, name+"-extra", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("%s-extra, applied by the failed revision 2, should be pruned: %v", name, err)
		}
		deploymentReady(t, ctx, cs, ns, name+"-app", 2)
		wantHistory(t, ctx, cfg, ns, name, release.StatusSuperseded, release.StatusFailed, release.StatusFailed, release.StatusFailed, release.StatusDeployed)
	})

	step("missing namespace without create-namespace", func(t *testing.T) {
		missing := ns + "-missing"
		_, err := Install{Config: cfg}.Run(ctx, InstallOptions{Name: name, Namespace: missing, Chart: chart})
		if err == nil {
			t.Fatal("install into a missing namespace should fail")
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), "release "+name+" in "+missing, "namespace not found", "create-namespace")
		_, err = Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{Name: name, Namespace: missing, Chart: chart, Install: true})
		if err == nil {
			t.Fatal("upgrade --install into a missing namespace should fail")
		}
		wantContains(t, "the error", err.Error(), "release "+name+" in "+missing, "namespace not found", "create-namespace")
		if _, err := cs.CoreV1().Namespaces().Get(ctx, missing, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("namespace %s should not exist: %v", missing, err)
		}
		if h, err := cfg.Storage.History(ctx, missing, name); err != nil || len(h) != 0 {
			t.Fatalf("nothing should be recorded: %d, %v", len(h), err)
		}
	})

	step("upgrade --install --create-namespace into a new namespace", func(t *testing.T) {
		created := ns + "-created"
		t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), created, metav1.DeleteOptions{}) })
		res, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{Name: name, Namespace: created, Chart: chart, Install: true, CreateNamespace: true, DeployOptions: wait})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Revision != 1 || res.Release.Status != release.StatusDeployed {
			t.Fatalf("revision %d %s", res.Release.Revision, res.Release.Status)
		}
		deploymentReady(t, ctx, cs, created, name+"-app", 2)
	})

	step("two upgrades at once: the second fails at once naming the holder", func(t *testing.T) {
		second := adminConfig(t, env, "e2e-second-operator", nil)
		holder := cfg.Locker.(*storage.LeaseLocker).Identity
		var wg sync.WaitGroup
		var firstErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, firstErr = Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{
				Name: name, Namespace: ns, Chart: chart, Values: map[string]any{"message": "slow", "neverReady": true},
				DeployOptions: DeployOptions{Wait: true, Timeout: 8 * time.Second, HistoryMax: 20},
			})
		}()
		// Once the first upgrade holds the lock…
		deadline := time.Now().Add(20 * time.Second)
		for {
			l, err := cs.CoordinationV1().Leases(ns).Get(ctx, storage.LeaseName(name), metav1.GetOptions{})
			if err == nil && l.Spec.HolderIdentity != nil && *l.Spec.HolderIdentity == holder {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the first upgrade never took the lock: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		start := time.Now()
		_, err := Upgrade{Config: second}.Run(ctx, UpgradeOptions{Name: name, Namespace: ns, Chart: chart, Values: map[string]any{"message": "second"}})
		if !errors.Is(err, storage.ErrLocked) {
			t.Fatalf("want ErrLocked, got %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("the second upgrade should fail at once, it took %s", d)
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), "held by "+holder, "release "+name+" in "+ns)
		wg.Wait()
		if firstErr == nil || !strings.Contains(firstErr.Error(), app) {
			t.Fatalf("the first upgrade should time out naming the deployment: %v", firstErr)
		}
		noPending(t, ctx, cfg, ns, name)
		noLease(t, ctx, cs, ns, name)

		// A lock held by another live process (taken by hand) blocks a rollback too.
		other := &storage.LeaseLocker{Client: cs, Identity: "someone-else@elsewhere"}
		l, err := other.Lock(ctx, ns, name)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Rollback{Config: second}.Run(ctx, RollbackOptions{Name: name, Namespace: ns, Revision: 5})
		if !errors.Is(err, storage.ErrLocked) || !strings.Contains(err.Error(), "someone-else@elsewhere") {
			t.Fatalf("want ErrLocked naming someone-else@elsewhere, got %v", err)
		}
		l.Release()
		if _, err := (Rollback{Config: second}).Run(ctx, RollbackOptions{Name: name, Namespace: ns, Revision: 5, DeployOptions: wait}); err != nil {
			t.Fatalf("rollback once the lock is free: %v", err)
		}
		deploymentReady(t, ctx, cs, ns, name+"-app", 2)
		noPending(t, ctx, cfg, ns, name)
	})
}
