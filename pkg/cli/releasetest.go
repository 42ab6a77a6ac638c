package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/release"
)

func newReleaseTestCmd(s *settings) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:     "test NAME",
		Short:   "Run a release's tests (its helm.sh/hook: test hooks)",
		Example: `  hoist test web -n prod --timeout 2m`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := s.config(cmd)
			if err != nil {
				return err
			}
			res, err := action.ReleaseTest{Config: cfg}.Run(cmd.Context(), action.ReleaseTestOptions{Name: args[0], Namespace: s.Namespace(), Timeout: timeout})
			if res != nil {
				r := res.Release
				t := &table{}
				t.row("TEST", "PHASE", "STARTED", "COMPLETED")
				for _, h := range r.Hooks {
					if h.HasEvent(release.HookEvent(engine.Test)) {
						t.row(h.Kind+"/"+h.Name, h.LastRun.Phase, h.LastRun.StartedAt.Local().Format(time.TimeOnly), h.LastRun.CompletedAt.Local().Format(time.TimeOnly))
					}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "NAME: %s\nREVISION: %d\n", r.Name, r.Revision)
				_ = t.write(cmd.OutOrStdout())
			}
			return err
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "time to wait for each test")
	return cmd
}
