package render

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// BenchmarkTemplateLargestCorpusChart renders argo-rollouts (the corpus case with the
// largest output, about 1 MB), loading included, as `hoist template` does.
func BenchmarkTemplateLargestCorpusChart(b *testing.B) {
	dir := filepath.Join("..", "..", "..", "shared", "conformance", "charts", "argo-rollouts")
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("conformance corpus not found at %s (it lives in ../shared): skipped", dir)
	}
	b.ReportAllocs()
	for b.Loop() {
		c, err := chart.Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		res, err := Template{}.Run(context.Background(), c, TemplateOptions{Render: Options{
			ReleaseName: "argo-rollouts", Namespace: "argo-rollouts", Revision: 1, Values: map[string]any{},
		}})
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(res.Output)))
	}
}
