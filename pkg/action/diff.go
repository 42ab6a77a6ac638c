package action

import (
	"context"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/release"
)

// DiffOptions configure the diff use cases.
type DiffOptions struct {
	// Context is the number of context lines of the unified diffs.
	Context     int
	ShowSecrets bool
}

// DiffResult is what an operation would change, object by object.
type DiffResult struct {
	Release   string `json:"release"`
	Namespace string `json:"namespace"`
	// From and To name the two sides ("revision 3", "upgrade", "rollback to 2").
	From string `json:"from"`
	To   string `json:"to"`
	// Objects in apply order, then the deleted ones.
	Objects []apply.ObjectDiff `json:"objects"`
}

// Changed reports whether the operation would create, change or delete anything.
func (r *DiffResult) Changed() bool {
	for _, o := range r.Objects {
		switch o.Action {
		case apply.ActionCreated, apply.ActionConfigured, apply.ActionReplaced, apply.ActionDeleted:
			return true
		}
	}
	return false
}

// Count returns how many objects have each action.
func (r *DiffResult) Count() map[apply.Action]int {
	out := map[apply.Action]int{}
	for _, o := range r.Objects {
		out[o.Action]++
	}
	return out
}

// Drifted counts the objects with drifted fields.
func (r *DiffResult) Drifted() int {
	n := 0
	for _, o := range r.Objects {
		if len(o.DriftedFields) > 0 {
			n++
		}
	}
	return n
}

// DiffUpgrade shows what `upgrade` with these options would change, without writing
// anything: it renders the chart as upgrade does, asks the API server for a dry-run
// apply of every object, and compares with the last deployed revision and the cluster.
type DiffUpgrade struct{ Config *Configuration }

// DiffUpgradeOptions are the upgrade's options and the diff's.
type DiffUpgradeOptions struct {
	Upgrade UpgradeOptions
	DiffOptions
}

// Run computes the diff.
func (a DiffUpgrade) Run(ctx context.Context, o DiffUpgradeOptions) (*DiffResult, error) {
	cfg, opts, dopts := a.Config, o.Upgrade, o.DiffOptions
	if err := release.ValidateName(opts.Name); err != nil {
		return nil, err
	}
	h, err := cfg.existingHistory(ctx, opts.Namespace, opts.Name)
	if err != nil {
		return nil, err
	}
	latest := release.Latest(h)
	if latest.Status == release.StatusUninstalled {
		return nil, fmt.Errorf("release %s in %s: %w", opts.Name, opts.Namespace, ErrReleaseNotFound)
	}
	base := release.LastDeployed(h)
	if base == nil {
		base = latest
	}
	vals, _ := userValues(opts, base) // as Upgrade does
	_, objs, crds, err := cfg.renderForCluster(ctx, opts.Chart, opts.Name, opts.Namespace, latest.Revision+1, true, vals, false, opts.PostRenderer)
	if err != nil {
		return nil, err
	}
	desired := objs
	if !opts.SkipCRDs {
		desired = append(append([]*unstructured.Unstructured{}, crds...), objs...)
	}
	res := &DiffResult{Release: opts.Name, Namespace: opts.Namespace, From: fmt.Sprintf("revision %d", base.Revision), To: "upgrade"}
	return res, cfg.plan(ctx, res, base, desired, cfg.liveObjects(h), opts.DeployOptions, dopts)
}

// DiffRollback shows what `rollback NAME REVISION` would change.
type DiffRollback struct{ Config *Configuration }

// DiffRollbackOptions configure DiffRollback.Run.
type DiffRollbackOptions struct {
	Name, Namespace string
	// Revision to roll back to (0: the one before the latest, as rollback).
	Revision int
	DiffOptions
}

// Run computes the diff.
func (a DiffRollback) Run(ctx context.Context, o DiffRollbackOptions) (*DiffResult, error) {
	cfg, ns, name, revision, dopts := a.Config, o.Namespace, o.Name, o.Revision, o.DiffOptions
	h, err := cfg.existingHistory(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	latest := release.Latest(h)
	if revision == 0 {
		revision = latest.Revision - 1
	}
	to, err := revisionOf(h, ns, name, revision)
	if err != nil {
		return nil, err
	}
	base := release.LastDeployed(h)
	if base == nil {
		base = latest
	}
	desired, err := cfg.Apply.Build(to.Manifest, ns)
	if err != nil {
		return nil, fmt.Errorf("revision %d of %s: %w", to.Revision, name, err)
	}
	res := &DiffResult{Release: name, Namespace: ns, From: fmt.Sprintf("revision %d", base.Revision), To: fmt.Sprintf("rollback to %d", to.Revision)}
	return res, cfg.plan(ctx, res, base, desired, cfg.liveObjects(h), DeployOptions{}, dopts)
}

// DiffRevisions compares the manifests two revisions recorded; the cluster is not read.
type DiffRevisions struct{ Config *Configuration }

// DiffRevisionsOptions configure DiffRevisions.Run.
type DiffRevisionsOptions struct {
	Name, Namespace string
	// From and To are the two revisions.
	From, To int
	DiffOptions
}

// Run computes the diff.
func (d DiffRevisions) Run(ctx context.Context, opts DiffRevisionsOptions) (*DiffResult, error) {
	cfg, ns, name, r1, r2, dopts := d.Config, opts.Namespace, opts.Name, opts.From, opts.To, opts.DiffOptions
	h, err := cfg.existingHistory(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	a, err := revisionOf(h, ns, name, r1)
	if err != nil {
		return nil, err
	}
	b, err := revisionOf(h, ns, name, r2)
	if err != nil {
		return nil, err
	}
	from, err := cfg.Apply.Build(a.Manifest, ns)
	if err != nil {
		return nil, fmt.Errorf("revision %d of %s: %w", r1, name, err)
	}
	to, err := cfg.Apply.Build(b.Manifest, ns)
	if err != nil {
		return nil, fmt.Errorf("revision %d of %s: %w", r2, name, err)
	}
	res := &DiffResult{Release: name, Namespace: ns, From: fmt.Sprintf("revision %d", r1), To: fmt.Sprintf("revision %d", r2)}
	o := apply.DiffOptions{Context: dopts.Context, ShowSecrets: dopts.ShowSecrets, LastName: res.From, DesiredName: res.To}
	old := byKey(from)
	seen := map[release.ObjectRef]bool{}
	for _, d := range to {
		k := keyOf(apply.RefOf(d))
		seen[k] = true
		l := old[k]
		action := apply.ActionCreated
		if l != nil {
			action = apply.ActionConfigured
			if reflect.DeepEqual(apply.Normalize(l), apply.Normalize(d)) {
				action = apply.ActionUnchanged
			}
		}
		res.Objects = append(res.Objects, apply.Diff(apply.RefOf(d), action, l, d, nil, nil, o))
	}
	for _, l := range from {
		if k := keyOf(apply.RefOf(l)); !seen[k] {
			res.Objects = append(res.Objects, apply.Diff(apply.RefOf(l), apply.ActionDeleted, l, nil, nil, nil, o))
		}
	}
	return res, nil
}

// plan makes the server-side dry run of applying desired (and pruning what it no longer
// has), and fills res with the diff of each object against base's manifest and the
// cluster.
func (c *Configuration) plan(ctx context.Context, res *DiffResult, base *release.Release, desired []*unstructured.Unstructured, live []release.ObjectRef, dep DeployOptions, dopts DiffOptions) error {
	last, err := c.Apply.Build(base.Manifest, base.Namespace)
	if err != nil {
		return fmt.Errorf("revision %d of %s: %w", base.Revision, base.Name, err)
	}
	owner := apply.Owner{ReleaseName: res.Release, ReleaseNamespace: res.Namespace}
	cs, err := c.Apply.Apply(ctx, desired, apply.ApplyOptions{
		Owner: owner, TakeOwnership: dep.TakeOwnership, ForceReplace: dep.ForceReplace,
		DryRun: true, KeepObjects: true, Order: engine.InstallOrder,
	})
	if err != nil {
		return fmt.Errorf("dry run of the %s: %w", res.To, err)
	}
	var pruned *apply.ChangeSet
	if len(live) > 0 {
		if pruned, err = c.Apply.Prune(ctx, live, desired, apply.PruneOptions{Owner: owner, DryRun: true}); err != nil {
			return fmt.Errorf("dry run of the %s: %w", res.To, err)
		}
	}
	o := apply.DiffOptions{Context: dopts.Context, ShowSecrets: dopts.ShowSecrets, FieldManager: c.FieldManager, Schemas: c.Apply.Schemas(), LastName: res.From, DesiredName: res.To}
	lastBy, desiredBy := byKey(last), byKey(desired)
	for _, ch := range cs.Changes {
		k := keyOf(ch.Object)
		d := apply.Diff(ch.Object, ch.Action, lastBy[k], desiredBy[k], ch.Live, ch.Result, o)
		d.Message = ch.Message
		if len(ch.Conflicts) > 0 {
			d.Message = joinMessage(d.Message, fmt.Sprintf("takes over %d field(s) from other managers", len(ch.Conflicts)))
		}
		res.Objects = append(res.Objects, d)
	}
	if pruned != nil {
		for _, ch := range pruned.Changes {
			if ch.Action == apply.ActionSkipped && ch.Message == "already gone" {
				continue
			}
			d := apply.Diff(ch.Object, ch.Action, lastBy[keyOf(ch.Object)], nil, ch.Live, nil, o)
			if ch.Action != apply.ActionDeleted {
				d.Chart = ""
			}
			if ch.Message != "dry run" {
				d.Message = ch.Message
			}
			res.Objects = append(res.Objects, d)
		}
	}
	return nil
}

func joinMessage(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// keyOf identifies an object without its apiVersion (an apiVersion change is not a
// different object), as liveObjects does.
func keyOf(o release.ObjectRef) release.ObjectRef {
	o.Version = ""
	return o
}

func byKey(objs []*unstructured.Unstructured) map[release.ObjectRef]*unstructured.Unstructured {
	out := make(map[release.ObjectRef]*unstructured.Unstructured, len(objs))
	for _, o := range objs {
		out[keyOf(apply.RefOf(o))] = o
	}
	return out
}

// ObjectDrift is how one object of a release differs from what its revision applied.
type ObjectDrift struct {
	Object release.ObjectRef `json:"object"`
	// Deleted: the object is gone from the cluster.
	Deleted bool               `json:"deleted,omitempty"`
	Fields  []apply.FieldDrift `json:"fields,omitempty"`
}

// DriftResult is the drift of a release's last deployed revision.
type DriftResult struct {
	Release   string        `json:"release"`
	Namespace string        `json:"namespace"`
	Revision  int           `json:"revision"`
	Objects   []ObjectDrift `json:"objects"`
	// Checked is how many objects were compared.
	Checked int `json:"checked"`
}

// Drift compares the live objects of the release's last deployed revision with what
// that revision applied: each drifted field with the managers that own it now, and each
// deleted object.
type Drift struct{ Config *Configuration }

// DriftOptions configure Drift.Run.
type DriftOptions struct {
	Name, Namespace string
	// ShowSecrets shows Secret values instead of masking them.
	ShowSecrets bool
}

// Run computes the drift.
func (a Drift) Run(ctx context.Context, o DriftOptions) (*DriftResult, error) {
	cfg, ns, name, showSecrets := a.Config, o.Namespace, o.Name, o.ShowSecrets
	h, err := cfg.existingHistory(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	r := release.LastDeployed(h)
	if r == nil {
		return nil, fmt.Errorf("release %s in %s: %w", name, ns, ErrNoDeployedRelease)
	}
	applied, err := cfg.Apply.Build(r.Manifest, ns)
	if err != nil {
		return nil, fmt.Errorf("revision %d of %s: %w", r.Revision, name, err)
	}
	lives, err := cfg.Apply.Live(ctx, apply.RefsOf(applied))
	if err != nil {
		return nil, err
	}
	res := &DriftResult{Release: name, Namespace: ns, Revision: r.Revision, Checked: len(applied)}
	for i, obj := range applied {
		o := apply.RefOf(obj)
		if lives[i] == nil {
			res.Objects = append(res.Objects, ObjectDrift{Object: o, Deleted: true})
			continue
		}
		fields := cfg.Apply.Drift(obj, lives[i])
		if len(fields) == 0 {
			continue
		}
		if !showSecrets {
			apply.MaskDrift(o, fields)
		}
		res.Objects = append(res.Objects, ObjectDrift{Object: o, Fields: fields})
	}
	return res, nil
}
