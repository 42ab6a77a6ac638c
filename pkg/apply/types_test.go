package apply

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/hoist-dev/hoist/pkg/release"
)

func TestObjMetaString(t *testing.T) {
	for _, c := range []struct {
		o    release.ObjectRef
		want string
	}{
		{release.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "a"}, "ConfigMap/ns/a"},
		{release.ObjectRef{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole", Name: "r"}, "ClusterRole/r"},
	} {
		if got := c.o.String(); got != c.want {
			t.Errorf("%#v.String() = %q, want %q", c.o, got, c.want)
		}
	}
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("apps/v1")
	u.SetKind("Deployment")
	u.SetNamespace("ns")
	u.SetName("web")
	if got := RefsOf([]*unstructured.Unstructured{u}); !reflect.DeepEqual(got, []release.ObjectRef{{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "ns", Name: "web"}}) {
		t.Errorf("MetaOf = %#v", got)
	}
}

func TestChangeSet(t *testing.T) {
	obj := func(n string) release.ObjectRef {
		return release.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "ns", Name: n}
	}
	boom := fmt.Errorf("ConfigMap/ns/f: %w", errors.New("boom"))
	cs := &ChangeSet{}
	cs.Add(
		Change{Object: obj("u1"), Action: ActionUnchanged},
		Change{Object: obj("c1"), Action: ActionCreated},
		Change{Object: obj("u2"), Action: ActionUnchanged},
		Change{Object: obj("m1"), Action: ActionConfigured, Conflicts: []Conflict{{Manager: "other", Field: ".data.x"}}},
		Change{Object: obj("c2"), Action: ActionCreated},
		Change{Object: obj("f"), Action: ActionFailed, Err: boom},
		Change{Object: obj("s"), Action: ActionSkipped, Message: "not applied: an earlier stage failed"},
	)
	if got, want := cs.Summary(), "2 created, 1 configured, 2 unchanged, 1 skipped, 1 failed"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if got := (&ChangeSet{}).Summary(); got != "no objects" {
		t.Errorf("empty Summary() = %q", got)
	}
	by := cs.ByAction()
	if len(by[ActionCreated]) != 2 || by[ActionCreated][1].Object.Name != "c2" || len(by[ActionDeleted]) != 0 {
		t.Errorf("ByAction() = %v", by)
	}
	if cs.Count(ActionUnchanged) != 2 || !cs.Changed() {
		t.Errorf("Count/Changed wrong")
	}
	if (&ChangeSet{Changes: []Change{{Action: ActionUnchanged}, {Action: ActionKept}}}).Changed() {
		t.Error("unchanged and kept objects are not changes")
	}
	if err := cs.Err(); !errors.Is(err, boom) {
		t.Errorf("Err() = %v", err)
	}
	if got := cs.Objects(ActionCreated, ActionConfigured); len(got) != 3 {
		t.Errorf("Objects() = %v", got)
	}
	s := cs.String()
	for _, want := range []string{
		"ConfigMap/ns/m1 configured, took over .data.x (from \"other\")",
		"ConfigMap/ns/f failed: ConfigMap/ns/f: boom",
		"ConfigMap/ns/s skipped (not applied: an earlier stage failed)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}
	var nilSet *ChangeSet
	if nilSet.Summary() != "no objects" || nilSet.Err() != nil || nilSet.Changed() {
		t.Error("a nil ChangeSet is an empty one")
	}
}

func TestOwnership(t *testing.T) {
	o := release.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "cm"}
	want := Owner{ReleaseName: "app", ReleaseNamespace: "prod"}
	live := func(a map[string]string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{}}
		u.SetAnnotations(a)
		return u
	}
	for _, c := range []struct {
		name string
		ann  map[string]string
		ok   bool
		msg  string
	}{
		{"hoist, same release", map[string]string{AnnotationReleaseName: "app", AnnotationReleaseNamespace: "prod"}, true, ""},
		{"helm, same release", map[string]string{HelmAnnotationReleaseName: "app", HelmAnnotationReleaseNamespace: "prod"}, true, ""},
		{"no owner", nil, false, "ConfigMap/ns/cm exists and is not owned by release prod/app: it has no hoist or Helm ownership annotations"},
		{"hoist, other release", map[string]string{AnnotationReleaseName: "other", AnnotationReleaseNamespace: "prod"}, false, "it belongs to release prod/other (hoist)"},
		{"hoist, other namespace", map[string]string{AnnotationReleaseName: "app", AnnotationReleaseNamespace: "dev"}, false, "release dev/app (hoist)"},
		{"helm, other release", map[string]string{HelmAnnotationReleaseName: "x", HelmAnnotationReleaseNamespace: "prod"}, false, "release prod/x (Helm)"},
		{"hoist wins over helm", map[string]string{AnnotationReleaseName: "other", AnnotationReleaseNamespace: "prod", HelmAnnotationReleaseName: "app", HelmAnnotationReleaseNamespace: "prod"}, false, "prod/other"},
	} {
		err := checkOwner(o, live(c.ann), want)
		if c.ok != (err == nil) {
			t.Errorf("%s: checkOwner = %v", c.name, err)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrNotOwned) || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("%s: error %q, want it to contain %q and match ErrNotOwned", c.name, err, c.msg)
			}
		}
	}
	u := live(map[string]string{"keep": "me"})
	setOwner(u, want)
	if a := u.GetAnnotations(); a["keep"] != "me" || a[AnnotationReleaseName] != "app" || a[AnnotationReleaseNamespace] != "prod" {
		t.Errorf("setOwner: %v", a)
	}
}
