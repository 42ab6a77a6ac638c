package action_test

import (
	"fmt"
	"testing"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/action/actiontest"
)

// TestHistoryMax pins --history-max as release.Prunable (and Helm's removeLeastRecent)
// has it: the oldest revisions go first, the last deployed one and the latest stay.
func TestHistoryMax(t *testing.T) {
	e := actiontest.NewEnv()
	f := defaultChart(t)
	keep3 := action.DeployOptions{HistoryMax: 3}
	install(t, e, "web", f, nil, keep3)
	for i := 2; i <= 5; i++ {
		upgrade(t, e, action.UpgradeOptions{Name: "web", Chart: f, Values: map[string]any{"msg": fmt.Sprint(i)}, DeployOptions: keep3})
	}
	if got := statuses(t, e, "web"); got != "3:superseded 4:superseded 5:deployed" {
		t.Fatalf("history %s", got)
	}
	// No limit: nothing is pruned.
	upgrade(t, e, action.UpgradeOptions{Name: "web", Chart: f, Values: map[string]any{"msg": "6"}})
	if got := statuses(t, e, "web"); got != "3:superseded 4:superseded 5:superseded 6:deployed" {
		t.Fatalf("history %s", got)
	}
}

// TestHistoryMaxKeepsLastDeployed pins that failed upgrades count against --history-max
// too (a controller retrying a failing upgrade must not pile up records), and that the
// last deployed revision, the one to roll back to, is never pruned.
func TestHistoryMaxKeepsLastDeployed(t *testing.T) {
	e := actiontest.NewEnv()
	f := defaultChart(t)
	keep2 := action.DeployOptions{HistoryMax: 2, Wait: true}
	install(t, e, "web", f, nil, keep2)
	e.Apply.FailWait(errNotReady)
	for i := 2; i <= 4; i++ {
		_, err := action.Upgrade{Config: e.Config}.Run(t.Context(), action.UpgradeOptions{
			Name: "web", Namespace: ns, Chart: f, Values: map[string]any{"msg": fmt.Sprint(i)}, DeployOptions: keep2,
		})
		if err == nil {
			t.Fatalf("upgrade %d succeeded", i)
		}
	}
	if got := statuses(t, e, "web"); got != "1:deployed 4:failed" {
		t.Fatalf("history %s, want the last deployed revision and the latest", got)
	}
	// The rollback target is still there.
	e.Apply.FailWait(nil)
	res, err := action.Rollback{Config: e.Config}.Run(t.Context(), action.RollbackOptions{Name: "web", Namespace: ns, Revision: 1, DeployOptions: keep2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Release.Revision != 5 {
		t.Fatalf("rollback made revision %d", res.Release.Revision)
	}
	if got := statuses(t, e, "web"); got != "4:failed 5:deployed" {
		t.Fatalf("history %s", got)
	}
}
