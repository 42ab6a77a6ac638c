package action

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/source"
)

// ShowWhat selects what Show prints.
type ShowWhat string

// What Show can print.
const (
	ShowChart  ShowWhat = "chart"
	ShowValues ShowWhat = "values"
	ShowReadme ShowWhat = "readme"
	ShowCRDs   ShowWhat = "crds"
	ShowAll    ShowWhat = "all"
)

// ChartFetcher fetches the chart a reference names (ChartSource).
type ChartFetcher interface {
	Run(ctx context.Context, opts ChartSourceOptions) (*source.Fetched, error)
}

// Show shows a chart's Chart.yaml, values.yaml (as written, comments kept), README
// and CRDs, as `helm show` does.
type Show struct {
	// Charts fetches the chart; nil means a ChartSource for local charts only.
	Charts ChartFetcher
}

// ShowOptions configure Show.Run.
type ShowOptions struct {
	// Chart names the chart; it is fetched without a digest, which Show needs not.
	Chart ChartSourceOptions `json:"chart"`
	What  ShowWhat           `json:"what"`
}

// ShowResult is the text to print.
type ShowResult struct {
	Output string `json:"output"`
}

// Run fetches the chart and lays out what opts.What asks for.
func (a Show) Run(ctx context.Context, opts ShowOptions) (ShowResult, error) {
	charts := a.Charts
	if charts == nil {
		charts = ChartSource{}
	}
	co := opts.Chart
	co.NoDigest = true
	f, err := charts.Run(ctx, co)
	if err != nil {
		return ShowResult{}, err
	}
	out, err := show(f.Chart, opts.What)
	return ShowResult{Output: out}, err
}

func show(c *chart.Chart, what ShowWhat) (string, error) {
	var out strings.Builder
	all := what == ShowAll
	if what == ShowChart || all {
		b, err := yaml.Marshal(c.Metadata)
		if err != nil {
			return "", fmt.Errorf("encoding Chart.yaml of %s: %w", c.Name(), err)
		}
		fmt.Fprintf(&out, "%s\n", b)
	}
	if (what == ShowValues || all) && c.Values != nil {
		if all {
			out.WriteString("---\n")
		}
		fmt.Fprintln(&out, string(c.RawValues))
	}
	if what == ShowReadme || all {
		if r := readme(c); r != nil {
			if all {
				out.WriteString("---\n")
			}
			fmt.Fprintf(&out, "%s\n", r.Data)
		}
	}
	if what == ShowCRDs || all {
		for _, crd := range c.CRDObjects() {
			if !bytes.HasPrefix(crd.File.Data, []byte("---")) {
				out.WriteString("---\n")
			}
			fmt.Fprintf(&out, "%s\n", crd.File.Data)
		}
	}
	return out.String(), nil
}

func readme(c *chart.Chart) *chart.File {
	for _, f := range c.Files {
		for _, n := range []string{"readme.md", "readme.txt", "readme"} {
			if f != nil && strings.EqualFold(f.Name, n) {
				return f
			}
		}
	}
	return nil
}
