package action

import (
	"context"
	"fmt"

	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/release"
)

// Rollback rolls a release back to an earlier revision, as a new revision.
type Rollback struct{ Config *Configuration }

// RollbackOptions configures Rollback.Run.
type RollbackOptions struct {
	Name      string
	Namespace string
	// Revision to roll back to; 0 means the one before the latest deployed.
	Revision int
	DeployOptions
}

// Run rolls back.
func (a Rollback) Run(ctx context.Context, opts RollbackOptions) (*Result, error) {
	var err error
	if opts.DeployOptions, err = opts.resolved(); err != nil {
		return nil, err
	}
	begin := a.Config.begin
	if opts.DryRun != DryRunNone {
		begin = a.Config.beginDryRun
	}
	op, err := begin(ctx, opts.Namespace, opts.Name, false)
	if err != nil {
		return nil, err
	}
	defer op.end()
	cfg, ctx := op.cfg, op.ctx
	h, err := cfg.existingHistory(ctx, opts.Namespace, opts.Name)
	if err != nil {
		return nil, err
	}
	latest := release.Latest(h)
	target := opts.Revision
	if target == 0 {
		// The revision before the latest one, as Helm does.
		target = latest.Revision - 1
	}
	to, err := revisionOf(h, opts.Namespace, opts.Name, target)
	if err != nil {
		return nil, err
	}
	return a.rollback(ctx, op, to, opts)
}

// rollback makes revision latest+1 from the target revision's chart, values and
// manifest, and rolls it out.
func (a Rollback) rollback(ctx context.Context, op *operation, to *release.Release, opts RollbackOptions) (*Result, error) {
	cfg := op.cfg
	h, err := cfg.history(ctx, to.Namespace, to.Name)
	if err != nil {
		return nil, err
	}
	objs, err := cfg.Apply.Build(to.Manifest, to.Namespace)
	if err != nil {
		return nil, fmt.Errorf("revision %d of %s: %w", to.Revision, to.Name, err)
	}
	now := cfg.now()
	r := &release.Release{
		Format: release.FormatV1, Name: to.Name, Namespace: to.Namespace, Revision: release.Latest(h).Revision + 1,
		FirstDeployed: firstDeployed(h, now), LastDeployed: now,
		Chart: to.Chart, Config: to.Config, Values: to.Values, Manifest: to.Manifest,
		Hooks: freshHooks(to.Hooks), Notes: to.Notes, Labels: to.Labels, Postrender: to.Postrender,
	}
	if opts.Description == "" {
		opts.Description = fmt.Sprintf("Rollback to %d", to.Revision)
	}
	d := &deployment{op: op, rel: r, live: cfg.liveObjects(h), objs: objs, opts: opts.DeployOptions, pending: release.StatusPendingRollback}
	d.event.pre, d.event.post = engine.PreRollback, engine.PostRollback
	return d.run(ctx)
}

// freshHooks copies a revision's hooks without their last runs: a new revision records
// only the runs it makes.
func freshHooks(hs []*release.Hook) []*release.Hook {
	out := make([]*release.Hook, len(hs))
	for i, h := range hs {
		c := *h
		c.LastRun = release.HookRun{}
		out[i] = &c
	}
	return out
}
