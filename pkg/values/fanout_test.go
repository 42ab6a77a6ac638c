package values

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/boundtest"
	"github.com/hoist-dev/hoist/pkg/chart"
)

// TestAliasFanOut is the hostile chart of issue 16: seven levels of charts, each
// taking the next level's chart under ten aliases (under 3 KB of Chart.yaml
// files), asks for 11,111,111 chart instances. It must be refused before any copy
// is made, naming a chart and the limit.
func TestAliasFanOut(t *testing.T) {
	const levels, aliases = 7, 10
	root := t.TempDir()
	dir := root
	for i := 0; i < levels; i++ {
		var b strings.Builder
		fmt.Fprintf(&b, "apiVersion: v2\nname: c%d\nversion: 1.0.0\n", i)
		if i < levels-1 {
			b.WriteString("dependencies:\n")
			for a := 0; a < aliases; a++ {
				fmt.Fprintf(&b, "- name: c%d\n  version: 1.0.0\n  alias: a%d\n", i+1, a)
			}
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(dir, "charts", fmt.Sprintf("c%d", i+1))
	}

	boundtest.Run(t, 5*time.Second, 64<<20, func(context.Context) {
		c, err := chart.Load(root)
		if err != nil {
			t.Error(err)
			return
		}
		err = ProcessDependencies(c, nil)
		if !errors.Is(err, ErrTooManyChartInstances) {
			t.Errorf("got %v, want %v", err, ErrTooManyChartInstances)
			return
		}
		if msg := err.Error(); !strings.Contains(msg, "chart c0.c1.c2.c3:") || !strings.Contains(msg, fmt.Sprint(MaxChartInstances)) {
			t.Errorf("error %q names neither the chart nor the limit", msg)
		}
		if len(c.Dependencies()) != 1 || len(c.Dependencies()[0].Dependencies()) != 1 {
			t.Error("the chart was expanded before the refusal")
		}
	})
}

// TestChartInstanceLimit: a chart that becomes exactly MaxChartInstances charts is
// processed; one more is refused. Copies count whole subtrees, and disabled
// dependencies count too (the limit is checked before conditions are read).
func TestChartInstanceLimit(t *testing.T) {
	build := func(n int) *chart.Chart {
		// root + n aliases of mid, each with its leaf: 1 + 2n charts.
		var reqs []*chart.Dependency
		for a := 0; a < n; a++ {
			reqs = append(reqs, dep("mid", "1.0.0", alias(fmt.Sprintf("m%d", a)), cond(fmt.Sprintf("m%d.on", a))))
		}
		root := mkChart(t, "root", "1.0.0", "", reqs...)
		mid := mkChart(t, "mid", "1.0.0", "", dep("leaf", "1.0.0"))
		mid.AddDependency(mkChart(t, "leaf", "1.0.0", ""))
		root.AddDependency(mid)
		return root
	}
	atLimit := (MaxChartInstances - 1) / 2
	c := build(atLimit)
	off := map[string]any{}
	for a := 0; a < atLimit; a++ {
		off[fmt.Sprintf("m%d", a)] = map[string]any{"on": false}
	}
	if err := ProcessDependencies(c, off); err != nil {
		t.Fatalf("%d instances: %v", 1+2*atLimit, err)
	}
	if len(c.Dependencies()) != 0 {
		t.Errorf("disabled aliases kept: %d", len(c.Dependencies()))
	}
	if err := ProcessDependencies(build(atLimit+1), nil); !errors.Is(err, ErrTooManyChartInstances) || !strings.Contains(err.Error(), "chart root:") {
		t.Errorf("%d instances: got %v", 1+2*(atLimit+1), err)
	}
}
