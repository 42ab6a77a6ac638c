package action

import (
	"context"
	"errors"
	"fmt"

	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/source"
)

// ErrNameInUse is returned by install for a release that exists and is not uninstalled.
var ErrNameInUse = errors.New("cannot re-use a name that is still in use")

// Install installs a chart as a new release.
type Install struct{ Config *Configuration }

// InstallOptions configures Install.Run.
type InstallOptions struct {
	Name      string
	Namespace string
	Chart     *source.Fetched
	// Values are the user's values (-f, --set…).
	Values          map[string]any
	CreateNamespace bool
	DeployOptions
}

// Run installs the release: revision 1, or the next revision of a release uninstalled
// with --keep-history.
func (a Install) Run(ctx context.Context, opts InstallOptions) (*Result, error) {
	if err := release.ValidateName(opts.Name); err != nil {
		return nil, err
	}
	var err error
	if opts.DeployOptions, err = opts.resolved(); err != nil {
		return nil, err
	}
	if opts.DryRun == DryRunClient {
		return a.render(ctx, opts, 1)
	}
	begin := a.Config.begin
	if opts.DryRun != DryRunNone {
		begin = a.Config.beginDryRun
	}
	op, err := begin(ctx, opts.Namespace, opts.Name, opts.CreateNamespace && opts.DryRun == DryRunNone)
	if err != nil {
		return nil, err
	}
	defer op.end()
	return a.install(op, opts)
}

// install runs under the lock op holds.
func (a Install) install(op *operation, opts InstallOptions) (*Result, error) {
	cfg, ctx := op.cfg, op.ctx
	h, err := cfg.history(ctx, opts.Namespace, opts.Name)
	if err != nil {
		return nil, err
	}
	revision := 1
	if latest := release.Latest(h); latest != nil {
		// As in Helm, only an uninstalled or failed release name can be installed again.
		if latest.Status != release.StatusUninstalled && latest.Status != release.StatusFailed {
			return nil, fmt.Errorf("release %s in %s: %w (latest revision %d is %s; use upgrade)", opts.Name, opts.Namespace, ErrNameInUse, latest.Revision, latest.Status)
		}
		revision = latest.Revision + 1
	}
	rd, objs, crds, err := cfg.renderForCluster(ctx, opts.Chart, opts.Name, opts.Namespace, revision, false, opts.Values, false, opts.PostRenderer)
	if err != nil {
		return nil, err
	}
	r := newRecord(cfg, opts.Name, opts.Namespace, revision, opts.Chart, opts.Values, rd, opts.DeployOptions)
	// A failed install may have applied objects: the new revision prunes those it lacks.
	d := &deployment{op: op, rel: r, live: cfg.liveObjects(h), objs: objs, crds: crds, opts: opts.DeployOptions, pending: release.StatusPendingInstall}
	d.event.pre, d.event.post = engine.PreInstall, engine.PostInstall
	res, err := d.run(ctx)
	// Only a rollout that failed is undone, not one recorded deployed whose bookkeeping
	// (superseding, pruning history) failed after it.
	if err != nil && opts.Atomic && opts.DryRun == DryRunNone && res != nil && r.Status == release.StatusFailed && op.lost() == nil {
		cfg.log().Warn(fmt.Sprintf("install of %s failed; uninstalling it (--atomic): %v", opts.Name, err),
			"release", opts.Name, "namespace", opts.Namespace, "revision", r.Revision)
		// The undo runs even after the caller's cancellation, within its own deadline.
		cctx, cancel := op.cleanup(opts.timeout())
		defer cancel()
		if _, uerr := (Uninstall{Config: cfg}).uninstall(cctx, op, UninstallOptions{Name: opts.Name, Namespace: opts.Namespace, NoHooks: opts.NoHooks, Timeout: opts.timeout()}); uerr != nil {
			return res, errors.Join(err, fmt.Errorf("uninstalling after the failed install: %w", uerr))
		}
		res.RolledBack = true
	}
	return res, err
}

// render is install --dry-run=client: render only, no cluster.
func (a Install) render(ctx context.Context, opts InstallOptions, revision int) (*Result, error) {
	rd, _, _, err := a.Config.renderForCluster(ctx, opts.Chart, opts.Name, opts.Namespace, revision, false, opts.Values, true, opts.PostRenderer)
	if err != nil {
		return nil, err
	}
	r := newRecord(a.Config, opts.Name, opts.Namespace, revision, opts.Chart, opts.Values, rd, opts.DeployOptions)
	r.SetStatus(release.StatusPendingInstall, "Dry run complete")
	return &Result{Release: r}, nil
}

func newRecord(cfg *Configuration, name, ns string, revision int, f *source.Fetched, vals map[string]any, rd *Rendered, dep DeployOptions) *release.Release {
	now := cfg.now()
	if vals == nil {
		vals = map[string]any{}
	}
	return &release.Release{
		Format: release.FormatV1, Name: name, Namespace: ns, Revision: revision,
		FirstDeployed: now, LastDeployed: now,
		Chart:      release.ChartInfo{Metadata: f.Chart.Metadata, Digest: f.Digest, Source: f.Source},
		Config:     vals,
		Values:     rd.Values,
		Manifest:   manifestOf(rd, dep.HideSecret),
		Hooks:      hooksOf(rd),
		Notes:      rd.Notes,
		Labels:     dep.Labels,
		Postrender: postrenderRecord(dep.PostRenderer),
	}
}
