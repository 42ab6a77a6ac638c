package action

import (
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/hoist-dev/hoist/pkg/kube"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/testenv"
)

// TestE2ENonAdmin: a user without rights gets errors that name what was forbidden, and
// no pending revision or lock is left behind.
func TestE2ENonAdmin(t *testing.T) {
	t.Parallel()
	admin, ns, ctx, acs, step := scenario(t, 2*time.Minute)
	env := testenv.Require(t)
	chart := fetchLocal(t, rolloutChart)

	rc, err := clientcmd.BuildConfigFromFlags("", env.UserKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	clients, err := kube.NewClients(rc)
	if err != nil {
		t.Fatal(err)
	}
	user := NewConfiguration(clients, "e2e-user", nil)
	grant := func(t *testing.T, role string, rules ...rbacv1.PolicyRule) {
		t.Helper()
		if _, err := acs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: role}, Rules: rules}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := acs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: role},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: role},
			Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: env.UserName}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		// Wait until the authorizer sees the binding.
		r := rules[len(rules)-1]
		deadline := time.Now().Add(20 * time.Second)
		for {
			rev, err := clients.Typed.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
				Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
					Namespace: ns, Verb: r.Verbs[len(r.Verbs)-1], Group: r.APIGroups[0], Resource: r.Resources[0],
				}},
			}, metav1.CreateOptions{})
			if err == nil && rev.Status.Allowed {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("role %s not in effect: %v %+v", role, err, rev)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	step("no rights: the lock is forbidden", func(t *testing.T) {
		_, err := Install{Config: user}.Run(ctx, InstallOptions{Name: "nr", Namespace: ns, Chart: chart})
		if !apierrors.IsForbidden(err) {
			t.Fatalf("want forbidden, got %v", err)
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), "release nr in "+ns, "forbidden", "leases", env.UserName)
		if h, err := admin.Storage.History(ctx, ns, "nr"); err != nil || len(h) != 0 {
			t.Fatalf("nothing should be recorded: %d revisions, %v", len(h), err)
		}
		noLease(t, ctx, acs, ns, "nr")
	})

	step("admin installs", func(t *testing.T) {
		if _, err := (Install{Config: admin}).Run(ctx, InstallOptions{Name: "nr", Namespace: ns, Chart: chart}); err != nil {
			t.Fatal(err)
		}
	})

	step("read-only records: recording the revision is forbidden", func(t *testing.T) {
		grant(t, "hoist-locks", rbacv1.PolicyRule{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update", "delete"}})
		grant(t, "hoist-records-read", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}})
		_, err := Upgrade{Config: user}.Run(ctx, UpgradeOptions{Name: "nr", Namespace: ns, Chart: chart, Values: map[string]any{"message": "user"}})
		if !apierrors.IsForbidden(err) {
			t.Fatalf("want forbidden, got %v", err)
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), "nr.v2", "forbidden", "secrets", env.UserName)
		wantHistory(t, ctx, admin, ns, "nr", release.StatusDeployed)
		noLease(t, ctx, acs, ns, "nr")
	})

	step("records allowed, objects not: the revision fails naming the objects", func(t *testing.T) {
		grant(t, "hoist-records", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "create", "update", "delete"}})
		d, err := acs.AppsV1().Deployments(ns).Get(ctx, "nr-app", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = Upgrade{Config: user}.Run(ctx, UpgradeOptions{Name: "nr", Namespace: ns, Chart: chart, Values: map[string]any{"message": "user"}})
		if !apierrors.IsForbidden(err) {
			t.Fatalf("want forbidden, got %v", err)
		}
		t.Logf("error: %v", err)
		wantContains(t, "the error", err.Error(), "Deployment/"+ns+"/nr-app", "ConfigMap/"+ns+"/nr-config", "forbidden", env.UserName)
		r := getRecord(t, ctx, admin, ns, "nr", 2)
		if r.Status != release.StatusFailed {
			t.Fatalf("revision 2 is %s", r.Status)
		}
		wantContains(t, "the description", r.Description, "Deployment/"+ns+"/nr-app", "forbidden")
		wantHistory(t, ctx, admin, ns, "nr", release.StatusDeployed, release.StatusFailed)
		noLease(t, ctx, acs, ns, "nr")
		after, err := acs.AppsV1().Deployments(ns).Get(ctx, "nr-app", metav1.GetOptions{})
		if err != nil || after.UID != d.UID || after.Generation != d.Generation {
			t.Fatalf("the deployment should be untouched: %v", err)
		}
		if got := configMapData(t, ctx, acs, ns, "nr-config", "message"); got != "one" {
			t.Fatalf("message %q", got)
		}
	})
}
