package action_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/action/actiontest"
	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/release"
)

const (
	valuesV1 = "a: a1\nb: b1\nnested: {p: 1, q: 1}\n"
	// valuesV2 changes every default and adds c.
	valuesV2 = "a: a2\nb: b2\nc: c2\nnested: {p: 2, q: 2}\n"
)

// TestUpgradeValuesRules pins Helm v4's rules for the values of an upgrade
// (pkg/action/upgrade.go reuseValues): the user values recorded (Config) and the values
// the templates see, for each flag, from revision 1 installed with chart 1.0.0 and
// user values {a: user-a, nested: {p: 10}} to chart 2.0.0.
func TestUpgradeValuesRules(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		opts                 action.UpgradeOptions
		wantConfig, wantSeen map[string]any
	}{{
		// No values and no flag: the previous user values, over the new chart's defaults.
		name:       "none given reuses the previous user values",
		opts:       action.UpgradeOptions{},
		wantConfig: map[string]any{"a": "user-a", "nested": map[string]any{"p": 10.0}},
		wantSeen:   map[string]any{"a": "user-a", "b": "b2", "c": "c2", "nested": map[string]any{"p": 10.0, "q": 2.0}},
	}, {
		// Values given and no flag: the previous user values are dropped.
		name:       "values given replace the previous ones",
		opts:       action.UpgradeOptions{Values: map[string]any{"b": "new-b"}},
		wantConfig: map[string]any{"b": "new-b"},
		wantSeen:   map[string]any{"a": "a2", "b": "new-b", "c": "c2", "nested": map[string]any{"p": 2.0, "q": 2.0}},
	}, {
		name:       "reset-values with values",
		opts:       action.UpgradeOptions{ResetValues: true, Values: map[string]any{"b": "new-b"}},
		wantConfig: map[string]any{"b": "new-b"},
		wantSeen:   map[string]any{"a": "a2", "b": "new-b", "c": "c2", "nested": map[string]any{"p": 2.0, "q": 2.0}},
	}, {
		// --reset-values without values: the chart's defaults only.
		name:       "reset-values without values",
		opts:       action.UpgradeOptions{ResetValues: true},
		wantConfig: map[string]any{},
		wantSeen:   map[string]any{"a": "a2", "b": "b2", "c": "c2", "nested": map[string]any{"p": 2.0, "q": 2.0}},
	}, {
		// --reuse-values: Helm records the new values over the previous user values,
		// and renders them over the previous revision's coalesced values, which take
		// the place of the chart's defaults: b keeps the old chart's default b1. (Helm
		// leaves c, a key only the new chart has, unset; hoist gives it the new chart's
		// default c2, the one difference.)
		name:       "reuse-values",
		opts:       action.UpgradeOptions{ReuseValues: true, Values: map[string]any{"nested": map[string]any{"q": 20}}},
		wantConfig: map[string]any{"a": "user-a", "nested": map[string]any{"p": 10.0, "q": 20.0}},
		wantSeen:   map[string]any{"a": "user-a", "b": "b1", "c": "c2", "nested": map[string]any{"p": 10.0, "q": 20.0}},
	}, {
		// --reset-then-reuse-values: the new chart's defaults, the previous user values,
		// then the new ones.
		name:       "reset-then-reuse-values",
		opts:       action.UpgradeOptions{ResetThenReuseValues: true, Values: map[string]any{"b": "new-b"}},
		wantConfig: map[string]any{"a": "user-a", "b": "new-b", "nested": map[string]any{"p": 10.0}},
		wantSeen:   map[string]any{"a": "user-a", "b": "new-b", "c": "c2", "nested": map[string]any{"p": 10.0, "q": 2.0}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			e := actiontest.NewEnv()
			install(t, e, "vals", testChart(t, "1.0.0", valuesV1), map[string]any{"a": "user-a", "nested": map[string]any{"p": 10}}, action.DeployOptions{})
			opts := tc.opts
			opts.Name, opts.Chart = "vals", testChart(t, "2.0.0", valuesV2)
			res := upgrade(t, e, opts)
			rec := revision(t, e, "vals", 2)
			if !reflect.DeepEqual(rec.Config, tc.wantConfig) {
				t.Errorf("recorded user values %v, want %v", rec.Config, tc.wantConfig)
			}
			if got := seenValues(t, e, "vals"); !reflect.DeepEqual(got, tc.wantSeen) {
				t.Errorf("templates saw %v, want %v", got, tc.wantSeen)
			}
			if !reflect.DeepEqual(jsonRoundTrip(t, res.Release.Values), tc.wantSeen) {
				t.Errorf("recorded coalesced values %v, want %v", res.Release.Values, tc.wantSeen)
			}
		})
	}
}

// TestUpgradeValuesFromLastDeployed pins that, as in Helm, the previous values are the
// last deployed revision's, not those of a later failed one; and that a release whose
// only revisions failed reuses the latest.
func TestUpgradeValuesFromLastDeployed(t *testing.T) {
	e := actiontest.NewEnv()
	f := testChart(t, "1.0.0", valuesV1)
	install(t, e, "vals", f, map[string]any{"a": "good"}, action.DeployOptions{})
	e.Apply.FailWait(errors.New("never ready"))
	_, err := action.Upgrade{Config: e.Config}.Run(t.Context(), action.UpgradeOptions{
		Name: "vals", Namespace: ns, Chart: f, Values: map[string]any{"a": "bad"}, DeployOptions: action.DeployOptions{Wait: true},
	})
	if err == nil {
		t.Fatal("the upgrade whose wait fails succeeded")
	}
	e.Apply.FailWait(nil)
	upgrade(t, e, action.UpgradeOptions{Name: "vals", Chart: f})
	if got := revision(t, e, "vals", 3).Config; !reflect.DeepEqual(got, map[string]any{"a": "good"}) {
		t.Fatalf("revision 3 reused %v, want the last deployed revision's {a: good}", got)
	}
	if got := statuses(t, e, "vals"); got != "1:superseded 2:failed 3:deployed" {
		t.Fatalf("history %s", got)
	}

	// Only failed revisions: the latest one's values.
	e = actiontest.NewEnv()
	e.Apply.FailWait(errors.New("never ready"))
	_, err = action.Install{Config: e.Config}.Run(t.Context(), action.InstallOptions{
		Name: "vals", Namespace: ns, Chart: f, Values: map[string]any{"a": "first"}, DeployOptions: action.DeployOptions{Wait: true},
	})
	if err == nil {
		t.Fatal("the install whose wait fails succeeded")
	}
	e.Apply.FailWait(nil)
	upgrade(t, e, action.UpgradeOptions{Name: "vals", Chart: f})
	if got := revision(t, e, "vals", 2); !reflect.DeepEqual(got.Config, map[string]any{"a": "first"}) || got.Status != release.StatusDeployed {
		t.Fatalf("revision 2: %s with %v, want deployed with the failed revision's {a: first}", got.Status, got.Config)
	}
}

// TestDiffUpgradeValuesFromLastDeployed pins that diff upgrade renders with the values
// upgrade would use: after a failed upgrade that turned extra off (and pruned it), a
// diff without values reuses the deployed revision's values, so the extra ConfigMap
// comes back; and the diff writes nothing.
func TestDiffUpgradeValuesFromLastDeployed(t *testing.T) {
	e := actiontest.NewEnv()
	f := testChart(t, "1.0.0", "extra: false\n")
	install(t, e, "web", f, map[string]any{"extra": true}, action.DeployOptions{})
	e.Apply.FailWait(errors.New("never ready"))
	if _, err := (action.Upgrade{Config: e.Config}).Run(t.Context(), action.UpgradeOptions{
		Name: "web", Namespace: ns, Chart: f, Values: map[string]any{"extra": false}, DeployOptions: action.DeployOptions{Wait: true},
	}); err == nil {
		t.Fatal("the upgrade whose wait fails succeeded")
	}
	if e.Apply.Get("ConfigMap", ns, "web-extra") != nil {
		t.Fatal("the failed upgrade did not prune web-extra")
	}
	before, writes := snapshot(t, e, "web"), len(e.Apply.Writes())
	res, err := action.DiffUpgrade{Config: e.Config}.Run(t.Context(), action.DiffUpgradeOptions{
		Upgrade: action.UpgradeOptions{Name: "web", Namespace: ns, Chart: f},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.From != "revision 1" {
		t.Fatalf("diff from %q, want revision 1", res.From)
	}
	var extra *apply.ObjectDiff
	for i, o := range res.Objects {
		if o.Object.Name == "web-extra" {
			extra = &res.Objects[i]
		}
	}
	if extra == nil || extra.Action != apply.ActionCreated {
		t.Fatalf("web-extra in the diff: %+v, want created (revision 1's values reused)", extra)
	}
	if !reflect.DeepEqual(snapshot(t, e, "web"), before) || len(e.Apply.Writes()) != writes {
		t.Fatal("diff upgrade wrote")
	}
}
