package apply_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/pkg/apply"
)

// bigChart is the benchmark chart of ../../../shared/bench: 500 ConfigMaps, 20
// Deployments and 20 Services.
const bigChart = "../../../shared/bench/big-chart"

// renderBigChart renders the benchmark chart at a revision with bin/hoist template, or,
// without the binary or the chart, writes the same documents itself.
func renderBigChart(b *testing.B, rev int) string {
	b.Helper()
	bin, _ := filepath.Abs("../../bin/hoist")
	if _, err := os.Stat(bin); err == nil {
		if _, err := os.Stat(bigChart); err == nil {
			out, err := exec.Command(bin, "template", "bench", bigChart, "--set", fmt.Sprintf("rev=%d", rev)).Output()
			if err != nil {
				b.Fatalf("hoist template: %v", err)
			}
			return string(out)
		}
	}
	b.Logf("rendering the benchmark chart without bin/hoist")
	var s strings.Builder
	for i := range 500 {
		sum := sha256.Sum256(fmt.Appendf(nil, "%d-%d", rev, i))
		fmt.Fprintf(&s, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\n  labels:\n    app.kubernetes.io/instance: bench\ndata:\n  index: \"%d\"\n  payload: \"%x\"\n", i, i, sum)
	}
	for i := range 20 {
		fmt.Fprintf(&s, `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-%[1]d
spec:
  replicas: 2
  selector:
    matchLabels: {app: web-%[1]d}
  template:
    metadata:
      labels: {app: web-%[1]d}
    spec:
      containers:
      - name: c
        image: "nginx:1.%[2]d"
        env: [{name: REV, value: "%[2]d"}]
---
apiVersion: v1
kind: Service
metadata:
  name: web-%[1]d
spec:
  selector: {app: web-%[1]d}
  ports: [{port: 80}]
`, i, rev)
	}
	return s.String()
}

// BenchmarkE2EApplyBigChart applies the 540 objects of the benchmark chart: a first
// install into a fresh namespace, a re-apply with nothing changed (with the managed-fields
// proof, and with a dry run for every object), a changed upgrade (every object changes),
// and a changed upgrade followed by a wait for the 20 rollouts.
func BenchmarkE2EApplyBigChart(b *testing.B) {
	e := newE2E(b)
	manifests := map[int]string{1: renderBigChart(b, 1), 2: renderBigChart(b, 2)}
	ctx := context.Background()
	report := func(b *testing.B) {
		b.ReportMetric(float64(e.counter.writes.Load())/float64(b.N), "writes/op")
		b.ReportMetric(float64(e.counter.all.Load())/float64(b.N), "requests/op")
	}
	installed := func(b *testing.B) (string, apply.ApplyOptions) {
		ns := e.namespace(b)
		opts := apply.ApplyOptions{Owner: apply.Owner{ReleaseName: "bench", ReleaseNamespace: ns}}
		if _, err := e.m.Apply(ctx, e.build(b, manifests[1], ns), opts); err != nil {
			b.Fatal(err)
		}
		return ns, opts
	}

	b.Run("install", func(b *testing.B) {
		var total time.Duration
		for range b.N {
			b.StopTimer()
			ns := e.namespace(b)
			objs := e.build(b, manifests[1], ns)
			opts := apply.ApplyOptions{Owner: apply.Owner{ReleaseName: "bench", ReleaseNamespace: ns}}
			e.counter.reset()
			start := time.Now()
			b.StartTimer()
			cs, err := e.m.Apply(ctx, objs, opts)
			total += time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			if cs.Count(apply.ActionCreated) != 540 {
				b.Fatalf("install: %s", cs.Summary())
			}
		}
		b.ReportMetric(float64(e.counter.writes.Load()), "writes/op") // last iteration
		b.ReportMetric(float64(e.counter.all.Load()), "requests/op")
		b.Logf("install: %s per apply", (total / time.Duration(b.N)).Round(time.Millisecond))
	})

	for _, always := range []bool{false, true} {
		name := "unchanged"
		if always {
			name = "unchanged-always-dry-run"
		}
		b.Run(name, func(b *testing.B) {
			ns, opts := installed(b)
			opts.AlwaysDryRun = always
			objs := e.build(b, manifests[1], ns)
			e.counter.reset()
			b.ResetTimer()
			for range b.N {
				cs, err := e.m.Apply(ctx, objs, opts)
				if err != nil {
					b.Fatal(err)
				}
				if cs.Summary() != "540 unchanged" {
					b.Fatalf("re-apply: %s", cs.Summary())
				}
			}
			b.StopTimer()
			report(b)
			if w := e.counter.writes.Load(); w != 0 {
				b.Errorf("unchanged re-apply wrote %d times", w)
			}
		})
	}

	b.Run("changed", func(b *testing.B) {
		ns, opts := installed(b)
		v1, v2 := e.build(b, manifests[1], ns), e.build(b, manifests[2], ns)
		e.counter.reset()
		b.ResetTimer()
		for i := range b.N {
			objs := v2
			if i%2 == 1 {
				objs = v1
			}
			cs, err := e.m.Apply(ctx, objs, opts)
			if err != nil {
				b.Fatal(err)
			}
			if cs.Count(apply.ActionConfigured) != 520 {
				b.Fatalf("changed upgrade: %s", cs.Summary())
			}
		}
		b.StopTimer()
		report(b)
	})

	b.Run("changed-wait", func(b *testing.B) {
		ns, opts := installed(b)
		v1, v2 := e.build(b, manifests[1], ns), e.build(b, manifests[2], ns)
		if err := e.m.Wait(ctx, apply.RefsOf(v1), apply.WaitOptions{Timeout: 5 * time.Minute}); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := range b.N {
			objs := v2
			if i%2 == 1 {
				objs = v1
			}
			if _, err := e.m.Apply(ctx, objs, opts); err != nil {
				b.Fatal(err)
			}
			if err := e.m.Wait(ctx, apply.RefsOf(objs), apply.WaitOptions{Timeout: 5 * time.Minute}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
