package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/chart"
)

// dependencyFlags are the flags of `dependency update` and `dependency build`.
type dependencyFlags struct {
	rf          registryFlags
	skipRefresh bool
}

func (f *dependencyFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.skipRefresh, "skip-refresh", false, "do not refresh the indexes of added chart repositories first")
	f.rf.Register(cmd.Flags(), "insecure-skip-tls-verify", true)
}

// dependencySources are where dependencies come from: Git and the added chart
// repositories from the environment (OCI is built from the registry options).
func dependencySources(d Deps) action.DependencySources {
	return action.DependencySources{Git: gitSource(), Repos: repoManager(userAgent(d.Build), 0)}
}

// options are the use cases' options for the chart in dir.
func (f *dependencyFlags) options(d Deps, dir string) (action.DependencyOptions, error) {
	t, err := sourceDateEpoch()
	return action.DependencyOptions{Dir: dir, SkipRefresh: f.skipRefresh, SourceDateEpoch: t, Registry: registryOptions(&f.rf, d)}, err
}

// sourceDateEpoch reads SOURCE_DATE_EPOCH (nil when unset).
func sourceDateEpoch() (*time.Time, error) {
	t, err := chart.SourceDateEpoch(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil || t.IsZero() {
		return nil, err
	}
	return &t, nil
}

func newDependencyCmd(d Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "dependency",
		Aliases: []string{"dep", "dependencies"},
		Short:   "Manage a chart's dependencies (Chart.lock and charts/)",
		Long: `Manage the dependencies a chart declares in Chart.yaml (requirements.yaml for
apiVersion v1 charts), as helm dependency does.

A dependency's repository is one of:
  oci://HOST/PATH                   an OCI registry (the chart is HOST/PATH/NAME)
  https://HOST/PATH                 a chart repository (index.yaml), added or not
  @NAME or alias:NAME               a repository added with hoist repo add
  file://../PATH                    a chart directory, packaged into charts/
  git+https://HOST/REPO//DIR?ref=R  a chart in a Git repository
  (empty)                           an unpacked chart already in charts/NAME

update resolves each version constraint, vendors the archives into charts/ and
writes Chart.lock; build fetches exactly what Chart.lock records.

--username and --password are for the one OCI registry the oci:// dependencies
name, and are refused when they name several: a registry never sees another's
credentials (helm sends them to all). Each registry otherwise gets the credentials
stored for it by hoist registry login or docker login.`,
	}
	cmd.AddCommand(newDependencyUpdateCmd(d), newDependencyBuildCmd(d), newDependencyListCmd())
	return cmd
}

func newDependencyUpdateCmd(d Deps) *cobra.Command {
	var f dependencyFlags
	cmd := &cobra.Command{
		Use:     "update CHART_DIR",
		Aliases: []string{"up"},
		Short:   "Resolve the dependencies to versions, vendor them into charts/ and write Chart.lock",
		Long: `Resolve each dependency of Chart.yaml to the highest version its constraint
allows, write the archives into charts/ (removing other versions of the same
charts) and record the versions in Chart.lock with Helm's digest, so that helm
dependency build accepts it too. Chart.lock is left alone when nothing changed.
Its generated time is SOURCE_DATE_EPOCH when that is set.`,
		Example: `  hoist dependency update ./charts/web
  hoist dep up ./charts/web --plain-http   # an oci:// dependency on a local registry`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := f.options(d, depChartDir(args))
			if err != nil {
				return err
			}
			res, err := action.DependencyUpdate{DependencySources: dependencySources(d)}.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			printDependencyResult(cmd.OutOrStdout(), res)
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func newDependencyBuildCmd(d Deps) *cobra.Command {
	var f dependencyFlags
	cmd := &cobra.Command{
		Use:   "build CHART_DIR",
		Short: "Fetch the versions Chart.lock records into charts/",
		Long: `Fetch into charts/ exactly the versions Chart.lock (requirements.lock) records.
It fails when Chart.lock no longer matches Chart.yaml: run hoist dependency update
then. Without a lock file it runs an update, as helm does.`,
		Example: `  hoist dependency build ./charts/web`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := f.options(d, depChartDir(args))
			if err != nil {
				return err
			}
			res, err := action.DependencyBuild{DependencySources: dependencySources(d)}.Run(cmd.Context(), opts)
			if res.NoLock {
				fmt.Fprintln(cmd.ErrOrStderr(), "No lock file: updating the dependencies.")
			}
			if err != nil {
				return err
			}
			printDependencyResult(cmd.OutOrStdout(), res)
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func printDependencyResult(out io.Writer, res action.DependencyResult) {
	for _, l := range res.Dependencies {
		switch {
		case l.Archive != "":
			fmt.Fprintf(out, "Saved %s %s from %s to %s\n", l.Name, l.Version, l.Repository, l.Archive)
		default:
			fmt.Fprintf(out, "Checked %s %s in charts/\n", l.Name, l.Version)
		}
	}
	for _, r := range res.Removed {
		fmt.Fprintf(out, "Removed outdated %s\n", r)
	}
	switch {
	case res.LockWritten:
		fmt.Fprintf(out, "Wrote %s\n", res.LockFile)
	case len(res.Dependencies) == 0:
		fmt.Fprintln(out, "No dependencies.")
	}
}

func newDependencyListCmd() *cobra.Command {
	var o outputFlag
	cmd := &cobra.Command{
		Use:     "list CHART_DIR",
		Aliases: []string{"ls"},
		Short:   "List the dependencies of a chart and the state of charts/",
		Long: `List the dependencies of Chart.yaml with their status in charts/: ok (an
archive of a matching version), unpacked (a directory of a matching version),
missing, wrong version, misnamed (an archive named after the dependency holds
another chart), corrupt, invalid version, too many matches.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := action.DependencyList{}.Run(cmd.Context(), action.DependencyListOptions{Dir: depChartDir(args)})
			if err != nil {
				return err
			}
			for _, w := range l.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: %s\n", w)
			}
			return o.print(cmd.OutOrStdout(), l.Dependencies, func(t *table) {
				t.row("NAME", "VERSION", "REPOSITORY", "STATUS")
				for _, s := range l.Dependencies {
					t.row(s.Name, s.Version, s.Repository, s.Status)
				}
			})
		},
	}
	o.register(cmd)
	return cmd
}

func depChartDir(args []string) string {
	if len(args) == 0 {
		return "."
	}
	return args[0]
}
