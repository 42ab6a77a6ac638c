package action

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/release"
)

// Uninstall removes a release's objects and, unless asked to keep it, its history.
type Uninstall struct{ Config *Configuration }

// UninstallOptions configures Uninstall.Run.
type UninstallOptions struct {
	Name        string
	Namespace   string
	KeepHistory bool
	NoHooks     bool
	Wait        bool
	Timeout     time.Duration
	Description string
	DryRun      bool
}

// Run uninstalls the release.
func (a Uninstall) Run(ctx context.Context, opts UninstallOptions) (*Result, error) {
	begin := a.Config.begin
	if opts.DryRun {
		begin = a.Config.beginDryRun
	}
	op, err := begin(ctx, opts.Namespace, opts.Name, false)
	if err != nil {
		return nil, err
	}
	defer op.end()
	return a.uninstall(op.ctx, op, opts)
}

// uninstall runs under the lock op holds (install --atomic uninstalls under its own).
func (a Uninstall) uninstall(ctx context.Context, op *operation, opts UninstallOptions) (*Result, error) {
	cfg := op.cfg
	ns, name := opts.Namespace, opts.Name
	h, err := cfg.existingHistory(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	latest := release.Latest(h)
	if latest.Status == release.StatusUninstalled && opts.KeepHistory {
		return nil, fmt.Errorf("release %s in %s is already uninstalled", name, ns)
	}
	res := &Result{Release: latest, LockFacts: op.facts}
	if opts.DryRun {
		return res, nil
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	if latest.Status != release.StatusUninstalled {
		latest.SetStatus(release.StatusUninstalling, "Deletion in progress")
		if err := cfg.Storage.Update(ctx, latest); err != nil {
			return nil, fmt.Errorf("recording %s: %w", latest.Key(), err)
		}
		if !opts.NoHooks {
			if err := cfg.runHooks(ctx, latest, engine.PreDelete, timeout); err != nil {
				return res, op.recordFailure(latest, "Uninstallation", err)
			}
		}
		objs := cfg.liveObjects(h)
		cs, err := cfg.Apply.Delete(ctx, objs, apply.DeleteOptions{Owner: owner(latest), Wait: opts.Wait, Timeout: timeout})
		res.Changes = cs
		if err != nil {
			return res, op.recordFailure(latest, "Uninstallation", err)
		}
		if !opts.NoHooks {
			if err := cfg.runHooks(ctx, latest, engine.PostDelete, timeout); err != nil {
				return res, op.recordFailure(latest, "Uninstallation", err)
			}
		}
	}
	if !opts.KeepHistory {
		for _, r := range h {
			if err := cfg.Storage.Delete(ctx, ns, name, r.Revision); err != nil {
				return res, fmt.Errorf("deleting history of %s: %w", name, err)
			}
		}
		return res, nil
	}
	desc := opts.Description
	if desc == "" {
		desc = "Uninstallation complete"
	}
	latest.SetStatus(release.StatusUninstalled, desc)
	latest.Deleted = cfg.now()
	if err := cfg.Storage.Update(ctx, latest); err != nil {
		return res, fmt.Errorf("recording %s: %w", latest.Key(), err)
	}
	return res, nil
}

// objectsOf lists a revision's objects: its inventory, else (older records) its manifest.
func objectsOf(cfg *Configuration, r *release.Release) []release.ObjectRef {
	if len(r.Inventory) > 0 {
		return slices.Clone(r.Inventory)
	}
	objs, err := cfg.Apply.Build(r.Manifest, r.Namespace)
	if err != nil {
		return nil
	}
	return apply.RefsOf(objs)
}
