package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/engine"
)

func newLintCmd(deps Deps, s *settings) *cobra.Command {
	var (
		vals        valuesFlags
		opts        action.LintOptions
		kubeVersion string
		output      outputFlag
	)
	cmd := &cobra.Command{
		Use:   "lint [CHART...]",
		Short: "Check charts for problems",
		Long: `Check that each chart is well formed: Chart.yaml, values and values.schema.json,
dependencies, and that every template renders to valid YAML with valid names. Messages
are INFO, WARNING or ERROR with the file they are about; errors (and with --strict,
warnings) make the command fail.`,
		Example: `  hoist lint ./charts/web
  hoist lint ./charts/web --strict -f prod.yaml --with-subcharts`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Charts = args
			if len(opts.Charts) == 0 {
				opts.Charts = []string{"."}
			}
			if kubeVersion != "" {
				kv, err := engine.ParseKubeVersion(kubeVersion)
				if err != nil {
					return fmt.Errorf("invalid kube version %q: %w", kubeVersion, err)
				}
				opts.KubeVersion = kv
			}
			userVals, err := vals.Merge(deps)
			if err != nil {
				return err
			}
			opts.Values = userVals
			opts.Namespace = s.Namespace()
			res, err := action.Lint{}.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			all := res.Reports // -o json|yaml prints the reports, as before
			err = output.print(cmd.OutOrStdout(), all, func(t *table) {
				for i, r := range all {
					if i > 0 {
						t.row("")
					}
					t.row("==> Linting " + r.Chart)
					for _, m := range r.Messages {
						t.row(fmt.Sprintf("[%s] %s: %s", m.Severity, m.Path, m.Message))
					}
				}
				t.row("")
			})
			if err != nil {
				return err
			}
			summary := fmt.Sprintf("%d chart(s) linted, %d chart(s) failed", len(all), res.Failed)
			if res.Failed > 0 {
				return fmt.Errorf("%s", summary)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), summary)
			return err
		},
	}
	vals.Register(cmd)
	f := cmd.Flags()
	f.BoolVar(&opts.Strict, "strict", false, "fail on warnings, and on missing values in templates")
	f.BoolVar(&opts.WithSubcharts, "with-subcharts", false, "lint the subcharts too")
	f.BoolVar(&opts.SkipSchemaValidation, "skip-schema-validation", false, "do not validate values against values.schema.json")
	f.StringVar(&kubeVersion, "kube-version", "", "Kubernetes version used for .Capabilities.KubeVersion and kubeVersion checks")
	output.register(cmd)
	return cmd
}
