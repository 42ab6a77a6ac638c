package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/action"
)

func newShowCmd(s *settings) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show chart|values|readme|crds|all CHART",
		Short: "Show a chart's Chart.yaml, values, README or CRDs",
		Example: `  hoist show values ./charts/web
  hoist show chart ./web-1.2.0.tgz
  hoist show all ./charts/web`,
	}
	for _, w := range []struct {
		what  action.ShowWhat
		short string
	}{
		{action.ShowChart, "Show the chart's Chart.yaml"},
		{action.ShowValues, "Show the chart's values.yaml, comments included"},
		{action.ShowReadme, "Show the chart's README"},
		{action.ShowCRDs, "Show the CRDs of the chart and its subcharts"},
		{action.ShowAll, "Show Chart.yaml, values, README and CRDs"},
	} {
		var cf chartFlags
		sub := &cobra.Command{
			Use:   string(w.what) + " CHART",
			Short: w.short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				res, err := action.Show{Charts: s.chartSource()}.Run(cmd.Context(), action.ShowOptions{Chart: chartSourceOptions(args[0], cf), What: w.what})
				if err != nil {
					return err
				}
				_, err = fmt.Fprint(cmd.OutOrStdout(), res.Output)
				return err
			},
		}
		cf.Register(sub.Flags())
		cmd.AddCommand(sub)
	}
	return cmd
}
