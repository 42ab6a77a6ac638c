package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/action"
)

func newRollbackCmd(s *settings) *cobra.Command {
	var df deployFlags
	cmd := &cobra.Command{
		Use:   "rollback NAME [REVISION]",
		Short: "Roll a release back to an earlier revision",
		Long: `Roll back to REVISION (default: the one before the latest) by applying its manifest
and values as a new revision. Objects the target revision does not have are removed.`,
		Example: `  hoist rollback web          # to the previous revision
  hoist rollback web 3 --wait`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			rev, err := optionalRevision(args, 1)
			if err != nil {
				return err
			}
			opts, err := df.resolve()
			if err != nil {
				return err
			}
			cfg, err := s.config(cmd)
			if err != nil {
				return err
			}
			res, err := action.Rollback{Config: cfg}.Run(cmd.Context(), action.RollbackOptions{
				Name: args[0], Namespace: s.Namespace(), Revision: rev, DeployOptions: opts,
			})
			if res != nil {
				if perr := printResult(cmd, &df.output, res, false); perr != nil && err == nil {
					err = perr
				}
			}
			return err
		},
	}
	df.register(cmd, false)
	return cmd
}

func newUninstallCmd(s *settings) *cobra.Command {
	var opts action.UninstallOptions
	cmd := &cobra.Command{
		Use:     "uninstall NAME...",
		Aliases: []string{"delete", "un"},
		Short:   "Uninstall releases",
		Long: `Delete a release's objects (in reverse install order; objects annotated
helm.sh/resource-policy: keep and CRDs are left alone) and its history, unless
--keep-history.`,
		Example: `  hoist uninstall web -n prod
  hoist uninstall web --keep-history --wait`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := s.config(cmd)
			if err != nil {
				return err
			}
			for _, name := range args {
				res, err := action.Uninstall{Config: cfg}.Run(cmd.Context(), withRelease(opts, name, s.Namespace()))
				if err != nil {
					return err
				}
				msg := fmt.Sprintf("release %q uninstalled", name)
				if res.Changes != nil {
					msg += " (" + res.Changes.Summary() + ")"
				}
				fmt.Fprintln(cmd.OutOrStdout(), msg)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.KeepHistory, "keep-history", false, "keep the release's history, marked uninstalled")
	f.BoolVar(&opts.NoHooks, "no-hooks", false, "do not run the delete hooks")
	f.BoolVar(&opts.Wait, "wait", false, "wait until every object is gone")
	f.DurationVar(&opts.Timeout, "timeout", 0, "time to wait for any one operation (default 5m)")
	f.StringVar(&opts.Description, "description", "", "a custom description")
	f.BoolVar(&opts.DryRun, "dry-run", false, "show what would be uninstalled")
	return cmd
}

// parseRevision reads a REVISION argument: a positive number.
func parseRevision(arg string) (int, error) {
	n, err := strconv.Atoi(arg)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("revision %q: want a positive number", arg)
	}
	return n, nil
}

// optionalRevision reads an optional REVISION argument at args[i]; 0 when absent.
func optionalRevision(args []string, i int) (int, error) {
	if len(args) <= i {
		return 0, nil
	}
	return parseRevision(args[i])
}

// withRelease is opts for one of the releases named on the command line.
func withRelease(opts action.UninstallOptions, name, ns string) action.UninstallOptions {
	opts.Name, opts.Namespace = name, ns
	return opts
}
