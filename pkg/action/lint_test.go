package action

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/chart/charttest"
)

func TestLint(t *testing.T) {
	ctx := context.Background()
	good := filepath.Join(t.TempDir(), "good")
	if _, err := (Create{}).Run(ctx, CreateOptions{Dir: good}); err != nil {
		t.Fatal(err)
	}
	bad := writeChart(t, "Bad_Name", "1.0.0")
	charttest.WriteFiles(t, bad, map[string]string{"templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n"})
	res, err := Lint{}.Run(ctx, LintOptions{Charts: []string{good, bad, filepath.Join(t.TempDir(), "missing")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Reports) != 3 || res.Failed != 2 {
		t.Fatalf("%d reports, %d failed: %+v", len(res.Reports), res.Failed, res.Reports)
	}
	if r := res.Reports[0]; r.Failed(true) {
		t.Errorf("the starter chart fails a strict lint: %+v", r.Messages)
	}
	var msgs []string
	for _, m := range res.Reports[1].Messages {
		msgs = append(msgs, m.Severity.String()+" "+m.Message)
	}
	got := strings.Join(msgs, "\n")
	for _, want := range []string{`WARNING name "Bad_Name" should be lower-case`, "ERROR a Deployment must contain matchLabels"} {
		if !strings.Contains(got, want) {
			t.Errorf("messages lack %q:\n%s", want, got)
		}
	}
	// Subcharts are linted after their parent, with --with-subcharts only.
	res, err = Lint{}.Run(ctx, LintOptions{Charts: []string{good}, WithSubcharts: true})
	if err != nil || len(res.Reports) != 1 {
		t.Errorf("a chart without subcharts: %+v, %v", res, err)
	}
}
