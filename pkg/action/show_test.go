package action

import (
	"context"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/chart/charttest"
)

func TestShowAndDependencyList(t *testing.T) {
	ctx := context.Background()
	dir := writeChart(t, "web", "1.0.0")
	charttest.WriteFiles(t, dir, map[string]string{
		"values.yaml": "# the replicas\nreplicas: 1\n",
		"README.md":   "# web\n",
	})
	for what, want := range map[ShowWhat]string{
		ShowChart:  "name: web\n",
		ShowValues: "# the replicas\nreplicas: 1\n",
		ShowReadme: "# web\n",
		ShowAll:    "---\n# the replicas",
	} {
		res, err := Show{}.Run(ctx, ShowOptions{Chart: ChartSourceOptions{Ref: dir}, What: what})
		if err != nil || !strings.Contains(res.Output, want) {
			t.Errorf("show %s: %q, %v; want %q in it", what, res.Output, err, want)
		}
	}
	if _, err := (Show{}).Run(ctx, ShowOptions{Chart: ChartSourceOptions{Ref: "stable/web"}, What: ShowChart}); err == nil {
		t.Error("show without a repository getter fetched stable/web")
	}

	parent := setupDeps(t)
	l, err := DependencyList{}.Run(ctx, DependencyListOptions{Dir: parent})
	if err != nil || len(l.Dependencies) != 1 || l.Dependencies[0].Status != "missing" {
		t.Errorf("list: %+v, %v", l, err)
	}
}

// setupDeps writes a chart depending on web, which charts/ lacks.
func setupDeps(t *testing.T) string {
	dir := writeChart(t, "parent", "1.0.0")
	charttest.WriteFiles(t, dir, map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n- name: web\n  version: ^1.0.0\n  repository: https://charts.example.com/stable\n",
	})
	return dir
}
