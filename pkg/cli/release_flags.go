package cli

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/postrender"
	"github.com/hoist-dev/hoist/pkg/release/storage"
	"github.com/hoist-dev/hoist/pkg/source"
)

// deployFlags are the flags install, upgrade and rollback share.
type deployFlags struct {
	opts   action.DeployOptions
	labels map[string]string
	dryRun string
	output outputFlag
}

func (d *deployFlags) register(cmd *cobra.Command, withRender bool) {
	f := cmd.Flags()
	f.BoolVar(&d.opts.Wait, "wait", false, "wait until every object is ready (kstatus), showing progress")
	f.BoolVar(&d.opts.WaitForJobs, "wait-for-jobs", false, "with --wait, also wait for Jobs to complete")
	f.DurationVar(&d.opts.Timeout, "timeout", 5*time.Minute, "time to wait for any one operation (hooks, readiness)")
	f.BoolVar(&d.opts.Atomic, "atomic", false, "on failure, roll back (upgrade) or uninstall (install); implies --wait")
	f.BoolVar(&d.opts.Atomic, "rollback-on-failure", false, "alias of --atomic (Helm v4's name)")
	f.BoolVar(&d.opts.NoHooks, "no-hooks", false, "do not run hooks")
	f.BoolVar(&d.opts.ForceReplace, "force-replace", false, "delete and recreate objects whose immutable fields changed")
	f.StringVar(&d.opts.Description, "description", "", "a custom description for the revision")
	f.IntVar(&d.opts.HistoryMax, "history-max", 10, "keep at most this many revisions (0: no limit); the last deployed one is always kept")
	d.output.register(cmd)
	if withRender {
		f.BoolVar(&d.opts.SkipCRDs, "skip-crds", false, "do not create or update the CRDs of crds/ directories")
		f.BoolVar(&d.opts.TakeOwnership, "take-ownership", false, "adopt existing objects that belong to no release or another one")
		f.StringToStringVar(&d.labels, "labels", nil, "labels for the release record (key1=v1,key2=v2)")
		f.StringVar(&d.dryRun, "dry-run", "", `simulate: "client" renders only; "server" also has the API server validate every object; nothing is written`)
		f.Lookup("dry-run").NoOptDefVal = "client"
		f.BoolVar(&d.opts.HideSecret, "hide-secret", false, "with --dry-run, leave Secrets out of the manifest printed (each replaced by a comment)")
		f.Bool("force-conflicts", true, "take over fields other managers own (always on: hoist applies with force and reports the conflicts)")
	}
}

// resolve validates the flags into options.
func (d *deployFlags) resolve() (action.DeployOptions, error) {
	o := d.opts
	dr, err := action.ParseDryRun(d.dryRun)
	if err != nil {
		return o, err
	}
	o.DryRun = dr
	o.Labels = d.labels
	return o, nil
}

// leaseDuration is $HOIST_LEASE_DURATION: how long a release lock lives without
// renewal (default 30 s), after which another operation may take it over. Shorter
// makes a crashed operation's release usable sooner; longer tolerates slower networks.
func leaseDuration() (time.Duration, error) {
	s := os.Getenv("HOIST_LEASE_DURATION")
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 3*time.Second {
		return 0, fmt.Errorf("HOIST_LEASE_DURATION=%q: want a duration of at least 3s (such as 30s)", s)
	}
	return d, nil
}

// identity names this process as a lock holder.
func identity() string {
	host, _ := os.Hostname()
	user := os.Getenv("USER")
	if user == "" {
		user = "unknown"
	}
	return strings.Join([]string{user, host, fmt.Sprint(os.Getpid())}, "@")
}

// config builds the release use cases' configuration from the global flags.
func (s *settings) config(cmd *cobra.Command) (*action.Configuration, error) {
	clients, err := s.Clients()
	if err != nil {
		return nil, err
	}
	cfg := action.NewConfiguration(clients, "hoist "+identity(), slog.New(newMessageHandler(cmd.ErrOrStderr())))
	if d, err := leaseDuration(); err != nil {
		return nil, err
	} else if d > 0 {
		cfg.Locker.(*storage.LeaseLocker).Duration = d
	}
	cfg.Progress = newProgressPrinter(cmd.ErrOrStderr()).update
	return cfg, nil
}

// reuseFlags are upgrade's choice of values: --reuse-values, --reset-values and
// --reset-then-reuse-values (upgrade and diff upgrade).
type reuseFlags struct{ reuse, reset, resetThenReuse bool }

func (r *reuseFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&r.reuse, "reuse-values", false, "merge the new values over the previous revision's")
	f.BoolVar(&r.reset, "reset-values", false, "use the chart's defaults and the new values only")
	f.BoolVar(&r.resetThenReuse, "reset-then-reuse-values", false, "the chart's defaults, then the previous user values, then the new ones")
	cmd.MarkFlagsMutuallyExclusive("reuse-values", "reset-values", "reset-then-reuse-values")
}

// apply sets the choice in upgrade options.
func (r *reuseFlags) apply(o *action.UpgradeOptions) {
	o.ReuseValues, o.ResetValues, o.ResetThenReuseValues = r.reuse, r.reset, r.resetThenReuse
}

// renderInputs are the flags of the commands that render a chart for a release
// (install, upgrade, diff upgrade): values, the chart reference's and the
// post-renderers'.
type renderInputs struct {
	vals valuesFlags
	cf   chartFlags
	pr   postRenderFlags
}

func (in *renderInputs) register(cmd *cobra.Command) {
	in.vals.Register(cmd)
	in.cf.Register(cmd.Flags())
	in.pr.Register(cmd)
}

// resolve merges the user's values, builds the post-renderer and fetches the chart
// (or kustomize package) ref names.
func (in *renderInputs) resolve(cmd *cobra.Command, deps Deps, s *settings, ref string) (map[string]any, postrender.PostRenderer, *source.Fetched, error) {
	vals, err := in.vals.Merge(deps)
	if err != nil {
		return nil, nil, nil, err
	}
	pr, err := buildPostRenderer(in.pr)
	if err != nil {
		return nil, nil, nil, err
	}
	fetched, err := s.fetchChart(cmd.Context(), ref, in.cf)
	if err != nil {
		return nil, nil, nil, err
	}
	return vals, pr, fetched, nil
}
