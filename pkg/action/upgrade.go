package action

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/values"
)

// ErrNoDeployedRelease is returned by upgrade when the release has never been deployed.
var ErrNoDeployedRelease = errors.New("has no deployed releases")

// Upgrade upgrades a release to a chart and values.
type Upgrade struct{ Config *Configuration }

// UpgradeOptions configures Upgrade.Run.
type UpgradeOptions struct {
	Name      string
	Namespace string
	Chart     *source.Fetched
	Values    map[string]any
	// Install installs the release when it does not exist (upgrade --install).
	Install         bool
	CreateNamespace bool
	// ReuseValues merges Values over the last revision's user values; ResetValues
	// uses the chart's defaults and Values only (the default when neither is set and
	// Values are given, as in Helm); ResetThenReuseValues is Helm's
	// --reset-then-reuse-values.
	ReuseValues          bool
	ResetValues          bool
	ResetThenReuseValues bool
	DeployOptions
}

// Run upgrades the release.
func (a Upgrade) Run(ctx context.Context, opts UpgradeOptions) (*Result, error) {
	cfg := a.Config
	if err := release.ValidateName(opts.Name); err != nil {
		return nil, err
	}
	var err error
	if opts.DeployOptions, err = opts.resolved(); err != nil {
		return nil, err
	}
	begin := cfg.begin
	if opts.DryRun != DryRunNone {
		begin = cfg.beginDryRun
	}
	op, err := begin(ctx, opts.Namespace, opts.Name, opts.Install && opts.CreateNamespace && opts.DryRun == DryRunNone)
	if err != nil {
		return nil, err
	}
	defer op.end()
	cfg, ctx = op.cfg, op.ctx
	h, err := cfg.history(ctx, opts.Namespace, opts.Name)
	if err != nil {
		return nil, err
	}
	latest := release.Latest(h)
	if latest == nil || latest.Status == release.StatusUninstalled {
		if !opts.Install {
			return nil, fmt.Errorf("release %s in %s: %w (use upgrade --install to install it)", opts.Name, opts.Namespace, ErrReleaseNotFound)
		}
		in := InstallOptions{
			Name: opts.Name, Namespace: opts.Namespace, Chart: opts.Chart, Values: opts.Values,
			CreateNamespace: opts.CreateNamespace, DeployOptions: opts.DeployOptions,
		}
		if opts.DryRun == DryRunClient {
			return Install(a).render(ctx, in, 1)
		}
		return Install{Config: cfg}.install(op, in)
	}
	// Helm upgrades a release whose only revisions failed from the latest one.
	if release.LastDeployed(h) == nil && latest.Status != release.StatusFailed {
		return nil, fmt.Errorf("release %s in %s: %w", opts.Name, opts.Namespace, ErrNoDeployedRelease)
	}
	// As in Helm, the previous values are the last deployed revision's, not those of a
	// failed one after it; a release whose only revisions failed has the latest's.
	current := release.LastDeployed(h)
	if current == nil {
		current = latest
	}
	vals, config := userValues(opts, current)
	rd, objs, crds, err := cfg.renderForCluster(ctx, opts.Chart, opts.Name, opts.Namespace, latest.Revision+1, true, vals, opts.DryRun == DryRunClient, opts.PostRenderer)
	if err != nil {
		return nil, err
	}
	r := newRecord(cfg, opts.Name, opts.Namespace, latest.Revision+1, opts.Chart, config, rd, opts.DeployOptions)
	r.FirstDeployed = firstDeployed(h, r.FirstDeployed)
	if opts.DryRun == DryRunClient {
		r.SetStatus(release.StatusPendingUpgrade, "Dry run complete")
		return &Result{Release: r, LockFacts: op.facts}, nil
	}
	d := &deployment{op: op, rel: r, live: cfg.liveObjects(h), objs: objs, crds: crds, opts: opts.DeployOptions, pending: release.StatusPendingUpgrade}
	d.event.pre, d.event.post = engine.PreUpgrade, engine.PostUpgrade
	res, err := d.run(ctx)
	// Only a rollout that failed is undone, not one recorded deployed whose bookkeeping
	// (superseding, pruning history) failed after it.
	if err != nil && opts.Atomic && opts.DryRun == DryRunNone && res != nil && r.Status == release.StatusFailed && op.lost() == nil {
		target := release.LastDeployed(h)
		if target == nil {
			return res, err
		}
		cfg.log().Warn(fmt.Sprintf("upgrade of %s failed; rolling back to revision %d (--atomic): %v", opts.Name, target.Revision, err),
			"release", opts.Name, "namespace", opts.Namespace, "revision", r.Revision, "rollbackTo", target.Revision)
		// The rollback runs even after the caller's cancellation, within its own deadline.
		cctx, cancel := op.cleanup(opts.timeout())
		defer cancel()
		rres, rerr := (Rollback{Config: cfg}).rollback(cctx, op, target, RollbackOptions{
			DeployOptions: DeployOptions{Wait: opts.Wait, WaitForJobs: opts.WaitForJobs, Timeout: opts.Timeout, NoHooks: opts.NoHooks,
				ForceReplace: opts.ForceReplace, HistoryMax: opts.HistoryMax,
				Description: fmt.Sprintf("Rollback to %d: upgrade to revision %d failed", target.Revision, r.Revision)},
		})
		// A rollback recorded deployed happened, even if its bookkeeping failed after.
		if rres != nil && rres.Release.Status == release.StatusDeployed {
			res.RolledBack, res.RolledBackTo = true, target.Revision
		}
		if rerr != nil {
			return res, errors.Join(err, fmt.Errorf("rolling back after the failed upgrade: %w", rerr))
		}
	}
	return res, err
}

// userValues applies Helm's rules for which user values an upgrade uses: those to render
// with, and those to record as the user's (what the next upgrade reuses).
func userValues(opts UpgradeOptions, current *release.Release) (render, record map[string]any) {
	switch {
	case opts.ResetValues:
		return opts.Values, opts.Values
	case opts.ReuseValues:
		// Helm renders over the previous revision's coalesced values (as the chart's
		// defaults) but records only the user's: the new values over the previous ones.
		base := current.Values
		if base == nil {
			base = current.Config
		}
		return values.MergeMaps(copyMap(base), opts.Values), values.MergeMaps(copyMap(current.Config), opts.Values)
	case opts.ResetThenReuseValues:
		// The new chart's defaults, then the old user values, then the new ones.
		v := values.MergeMaps(copyMap(current.Config), opts.Values)
		return v, v
	case len(opts.Values) == 0:
		// Helm reuses the previous values when none are given and none are reset.
		v := copyMap(current.Config)
		return v, v
	}
	return opts.Values, opts.Values
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if mm, ok := v.(map[string]any); ok {
			v = copyMap(mm)
		}
		out[k] = v
	}
	return out
}

// firstDeployed keeps the release's first deployment time across revisions.
func firstDeployed(h []*release.Release, now time.Time) time.Time {
	for _, r := range h { // oldest first
		if !r.FirstDeployed.IsZero() {
			return r.FirstDeployed
		}
	}
	return now
}
