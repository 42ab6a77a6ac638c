package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/action"
)

func newUnlockCmd(s *settings) *cobra.Command {
	var (
		force  bool
		output outputFlag
	)
	cmd := &cobra.Command{
		Use:   "unlock NAME",
		Short: "Remove a release's lock left by an operation that is gone",
		Long: `Every operation on a release holds a lock (a Lease renewed while it runs). When an
operation dies, the next one takes over once the lease has gone unrenewed for its
duration (30 s by default), measured on its own clock. unlock removes the lock now: it
watches the lease for that duration and refuses if its holder renews it (the operation
is alive). With --force it removes the lock at once: use it only when you know the
holder is gone. Revisions the holder left pending are marked failed by the next
operation.`,
		Example: `  hoist unlock web -n prod
  hoist unlock web -n prod --force`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := s.config(cmd)
			if err != nil {
				return err
			}
			res, err := action.Unlock{Config: cfg}.Run(cmd.Context(), action.UnlockOptions{Name: args[0], Namespace: s.Namespace(), Force: force})
			if err != nil {
				return err
			}
			if output.format == "table" {
				if res.Holder == "" {
					fmt.Fprintf(cmd.OutOrStdout(), "release %q was not locked\n", res.Release)
				} else {
					fmt.Fprintf(cmd.OutOrStdout(), "release %q unlocked (it was held by %s)\n", res.Release, res.Holder)
				}
				return nil
			}
			return output.print(cmd.OutOrStdout(), res, nil)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "remove the lock even if its holder still renews it")
	output.register(cmd)
	return cmd
}
