package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/action"
)

func newCreateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "create NAME",
		Short: "Create a new chart with a working starter application",
		Long: `Create a directory NAME holding a chart for a web application: Deployment, Service,
ServiceAccount, optional Ingress and HorizontalPodAutoscaler, NOTES.txt and a test hook.
It renders and lints clean; change values.yaml and templates/ to fit your application.`,
		Example: `  hoist create web
  hoist create charts/api`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := action.Create{}.Run(cmd.Context(), action.CreateOptions{Dir: args[0]})
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Created chart %s in %s\n", res.Name, res.Dir)
			return err
		},
	}
}
