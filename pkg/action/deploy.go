package action

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/postrender"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
	"github.com/hoist-dev/hoist/pkg/source"
)

// DryRun says whether an operation only simulates.
type DryRun string

// The dry-run modes.
const (
	// DryRunNone applies for real.
	DryRunNone DryRun = ""
	// DryRunClient renders only: no cluster is asked anything.
	DryRunClient DryRun = "client"
	// DryRunServer also has the API server validate every object, writing nothing.
	DryRunServer DryRun = "server"
)

// ParseDryRun reads Helm's --dry-run values: "client" (or "true", or the flag alone),
// "server", and "none" or "false" for none.
func ParseDryRun(s string) (DryRun, error) {
	switch s {
	case "", "none", "false":
		return DryRunNone, nil
	case "client", "true":
		return DryRunClient, nil
	case "server":
		return DryRunServer, nil
	}
	return DryRunNone, fmt.Errorf("--dry-run=%s: want client or server", s)
}

// DeployOptions are the options install, upgrade and rollback share.
type DeployOptions struct {
	// Wait waits until every object is ready; Atomic implies it.
	Wait        bool
	WaitForJobs bool
	Timeout     time.Duration
	// Atomic rolls back (upgrade) or uninstalls (install) on failure, and waits.
	Atomic        bool
	NoHooks       bool
	SkipCRDs      bool
	TakeOwnership bool
	ForceReplace  bool
	DryRun        DryRun
	// HideSecret leaves the Secrets (v1) out of a dry run's manifest, each replaced
	// by a comment, as Helm's --hide-secret does. Only with DryRun: a real
	// operation records the manifest it applied.
	HideSecret  bool
	Description string
	Labels      map[string]string
	HistoryMax  int
	// PostRenderer changes the rendered manifests and hooks (install, upgrade); the
	// files of a kustomize overlay are recorded in the revision.
	PostRenderer postrender.PostRenderer
}

// resolved checks the options and applies the rules between them: --atomic waits,
// since a failure it would undo is often only seen while waiting.
func (o DeployOptions) resolved() (DeployOptions, error) {
	for k := range o.Labels {
		if storage.IsSystemLabel(k) {
			return o, fmt.Errorf("--labels: %q is reserved for the release storage", k)
		}
	}
	if o.HideSecret && o.DryRun == DryRunNone {
		return o, errors.New("--hide-secret needs --dry-run: it hides Secrets from the manifest a dry run prints")
	}
	if o.Atomic {
		o.Wait = true
	}
	return o, nil
}

func (o DeployOptions) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return 5 * time.Minute
}

// Result is what a release operation did.
type Result struct {
	Release *release.Release
	// Changes are the applied objects' outcomes (empty for a client dry run).
	Changes *apply.ChangeSet
	// Pruned are the objects removed because the chart no longer has them.
	Pruned *apply.ChangeSet
	// RolledBack is set when --atomic undid a failed operation (the error returned is
	// that failure); RolledBackTo is the revision an upgrade went back to (0 when a
	// failed install was uninstalled).
	RolledBack   bool
	RolledBackTo int
	LockFacts
}

// ForcedConflicts counts the fields taken over from other field managers.
func (r *Result) ForcedConflicts() int {
	n := 0
	if r != nil && r.Changes != nil {
		for _, ch := range r.Changes.Changes {
			n += len(ch.Conflicts)
		}
	}
	return n
}

// deployment is one revision being rolled out.
type deployment struct {
	op  *operation
	rel *release.Release
	// live are the objects the release may have in the cluster before this revision
	// (see liveObjects): those the revision lacks are pruned.
	live    []release.ObjectRef
	objs    []*unstructured.Unstructured
	crds    []*unstructured.Unstructured
	opts    DeployOptions
	pending release.Status
	event   struct{ pre, post engine.HookEvent }
}

// run performs the rollout of d.rel, recording its progress in storage.
func (d *deployment) run(ctx context.Context) (*Result, error) {
	cfg, r := d.op.cfg, d.rel
	res := &Result{Release: r, LockFacts: d.op.facts}
	if d.opts.DryRun != DryRunNone {
		return d.dryRun(ctx, res)
	}
	r.SetStatus(d.pending, "Operation in progress")
	if err := cfg.Storage.Create(ctx, r); err != nil {
		return nil, err // the storage names the revision
	}
	fail := func(err error) (*Result, error) {
		err = d.op.recordFailure(r, d.verb(), err)
		// A failed revision counts against --history-max too, as in Helm, so that retried
		// failures do not pile up records; not once the lock is lost (nothing is written).
		if d.opts.HistoryMax > 0 && d.op.lost() == nil {
			pctx, cancel := d.op.cleanup(0)
			defer cancel()
			if perr := cfg.pruneHistory(pctx, r.Namespace, r.Name, d.opts.HistoryMax); perr != nil {
				err = errors.Join(err, perr)
			}
		}
		return res, err
	}
	if len(d.crds) > 0 && !d.opts.SkipCRDs {
		cs, err := cfg.Apply.Apply(ctx, d.crds, apply.ApplyOptions{Owner: owner(r), TakeOwnership: true})
		if err != nil {
			return fail(fmt.Errorf("applying CRDs: %w", err))
		}
		cfg.log().Info("CRDs: "+cs.Summary(), "release", r.Name, "namespace", r.Namespace, "revision", r.Revision)
	}
	if !d.opts.NoHooks {
		if err := cfg.runHooks(ctx, r, d.event.pre, d.opts.timeout()); err != nil {
			return fail(err)
		}
	}
	cs, err := cfg.Apply.Apply(ctx, d.objs, apply.ApplyOptions{
		Owner: owner(r), TakeOwnership: d.opts.TakeOwnership, ForceReplace: d.opts.ForceReplace, Order: engine.InstallOrder,
	})
	res.Changes = cs
	if err != nil {
		// What was applied before the failure belongs to the release: the next revision
		// prunes it if it does not have it.
		r.Inventory = cs.Objects(apply.ActionCreated, apply.ActionConfigured, apply.ActionReplaced, apply.ActionUnchanged)
		return fail(err)
	}
	r.Inventory = apply.RefsOf(d.objs)
	if len(d.live) > 0 {
		pruned, err := cfg.Apply.Prune(ctx, d.live, d.objs, apply.PruneOptions{Owner: owner(r)})
		res.Pruned = pruned
		if err != nil {
			return fail(err)
		}
	}
	if d.opts.Wait || d.opts.WaitForJobs {
		if err := cfg.Apply.Wait(ctx, apply.RefsOf(d.objs), apply.WaitOptions{
			Timeout: d.opts.timeout(), WaitForJobs: d.opts.WaitForJobs, Progress: cfg.Progress,
		}); err != nil {
			return fail(err)
		}
	}
	if !d.opts.NoHooks {
		if err := cfg.runHooks(ctx, r, d.event.post, d.opts.timeout()); err != nil {
			return fail(err)
		}
	}
	desc := d.opts.Description
	if desc == "" {
		desc = d.verb() + " complete"
	}
	r.SetStatus(release.StatusDeployed, desc)
	r.LastDeployed = cfg.now()
	if err := cfg.Storage.Update(ctx, r); err != nil {
		return res, err // the storage names the revision
	}
	if err := cfg.supersede(ctx, r); err != nil {
		return res, err
	}
	if err := cfg.pruneHistory(ctx, r.Namespace, r.Name, d.opts.HistoryMax); err != nil {
		return res, err
	}
	return res, nil
}

// dryRun renders (client) or also asks the server to validate every object (server),
// never writing anything.
func (d *deployment) dryRun(ctx context.Context, res *Result) (*Result, error) {
	d.rel.SetStatus(d.pending, "Dry run complete")
	if d.opts.DryRun == DryRunServer {
		cs, err := d.op.cfg.Apply.Apply(ctx, append(append([]*unstructured.Unstructured{}, d.crds...), d.objs...), apply.ApplyOptions{
			Owner: owner(d.rel), TakeOwnership: d.opts.TakeOwnership, DryRun: true, Order: engine.InstallOrder,
		})
		res.Changes = cs
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

func (d *deployment) verb() string {
	switch d.pending {
	case release.StatusPendingInstall:
		return "Install"
	case release.StatusPendingRollback:
		return "Rollback"
	}
	return "Upgrade"
}

// recordFailure records that the revision failed, unless the operation lost its lock:
// then it writes nothing (the new holder records what happened) and says so. The
// record is written even after the caller's cancellation, within a bounded time.
func (o *operation) recordFailure(r *release.Release, verb string, err error) error {
	if lost := o.lost(); lost != nil {
		// Only in memory, for the caller to show: the new holder has the record.
		r.SetStatus(release.StatusFailed, fmt.Sprintf("%s stopped: %v", verb, lost))
		o.cfg.log().Error(fmt.Sprintf("%s of %s stopped: %v; nothing more was written", verb, r.Name, lost),
			"release", r.Name, "namespace", r.Namespace, "revision", r.Revision)
		if errors.Is(err, storage.ErrLockLost) {
			return fmt.Errorf("%w; nothing more was written", err)
		}
		return fmt.Errorf("%w (and %w; nothing more was written)", err, lost)
	}
	r.SetStatus(release.StatusFailed, fmt.Sprintf("%s failed: %v", verb, err))
	ctx, cancel := o.cleanup(0)
	defer cancel()
	if uerr := o.cfg.Storage.Update(ctx, r); uerr != nil {
		return errors.Join(err, fmt.Errorf("recording the failure: %w", uerr))
	}
	return err
}

// supersede marks every other deployed revision superseded.
func (c *Configuration) supersede(ctx context.Context, current *release.Release) error {
	h, err := c.history(ctx, current.Namespace, current.Name)
	if err != nil {
		return err
	}
	for _, r := range h {
		if r.Revision != current.Revision && r.Status == release.StatusDeployed {
			r.SetStatus(release.StatusSuperseded, r.Description)
			if err := c.Storage.Update(ctx, r); err != nil {
				return fmt.Errorf("marking %s superseded: %w", r.Key(), err)
			}
		}
	}
	return nil
}

func owner(r *release.Release) apply.Owner {
	return apply.Owner{ReleaseName: r.Name, ReleaseNamespace: r.Namespace}
}

// liveObjects are the objects a release may have in the cluster, each once (the newest
// revision's apiVersion): those of its last deployed revision and of every later one,
// since a failed revision may have applied objects before it failed and an interrupted
// one too. An uninstalled revision ends the list: its objects were deleted.
func (c *Configuration) liveObjects(h []*release.Release) []release.ObjectRef {
	var out []release.ObjectRef
	seen := map[release.ObjectRef]bool{}
	for i := len(h) - 1; i >= 0; i-- {
		r := h[i]
		if r.Status == release.StatusUninstalled {
			break
		}
		for _, o := range objectsOf(c, r) {
			if k := keyOf(o); !seen[k] {
				seen[k] = true
				out = append(out, o)
			}
		}
		if r.Status == release.StatusDeployed || r.Status == release.StatusSuperseded {
			break
		}
	}
	return out
}

// renderForCluster renders a chart with the cluster's capabilities and lookup, and
// builds the objects: manifests, hooks and the CRDs of crds/ directories.
func (c *Configuration) renderForCluster(ctx context.Context, f *source.Fetched, name, ns string, revision int, isUpgrade bool, vals map[string]any, dryRunClient bool, pr postrender.PostRenderer) (*Rendered, []*unstructured.Unstructured, []*unstructured.Unstructured, error) {
	caps := engine.DefaultCapabilities()
	var look engine.Lookuper
	if !dryRunClient {
		var err error
		if caps, err = c.Cluster.Capabilities(ctx); err != nil {
			return nil, nil, nil, err
		}
		look = c.Cluster
	}
	rd, err := RenderFetched(ctx, f, RenderOptions{
		ReleaseName: name, Namespace: ns, Revision: revision, IsUpgrade: isUpgrade,
		Values: vals, Capabilities: caps, Lookup: look, PostRenderer: pr,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	if dryRunClient {
		return rd, nil, nil, nil
	}
	var crdText strings.Builder
	for _, crd := range rd.CRDs {
		crdText.WriteString("---\n")
		crdText.Write(crd.File.Data)
		crdText.WriteString("\n")
	}
	crds, err := c.Apply.Build(crdText.String(), ns)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("CRDs of the chart: %w", err)
	}
	// Build the manifest together with the CRDs, so custom resources of kinds the chart
	// itself defines are accepted before those CRDs exist in the cluster.
	all, err := c.Apply.Build(crdText.String()+manifestOf(rd, false), ns)
	if err != nil {
		return nil, nil, nil, err
	}
	objs := all[len(crds):]
	return rd, objs, crds, nil
}

// manifestOf joins the rendered manifests as they are recorded and applied.
func manifestOf(rd *Rendered, hideSecrets bool) string {
	var b strings.Builder
	for _, m := range rd.Manifests {
		if hideSecrets && isSecret(m) {
			// Helm's words, so that tools reading helm's output read hoist's.
			fmt.Fprintf(&b, "---\n# Source: %s\n# HIDDEN: The Secret output has been suppressed\n", m.Name)
			continue
		}
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.Name, m.Content)
	}
	return b.String()
}

// isSecret reports whether m is a core v1 Secret. A document without a parsed head
// (a post-renderer's output) is read here; one that does not parse cannot be applied
// either, and is left as it is.
func isSecret(m engine.Manifest) bool {
	h := m.Head
	if h == nil {
		h = new(engine.Head)
		if yaml.Unmarshal([]byte(m.Content), h) != nil {
			return false
		}
	}
	return h.APIVersion == "v1" && h.Kind == "Secret"
}

func hooksOf(rd *Rendered) []*release.Hook {
	out := make([]*release.Hook, 0, len(rd.Hooks))
	for _, h := range rd.Hooks {
		events := make([]release.HookEvent, len(h.Events))
		for i, e := range h.Events {
			events[i] = release.HookEvent(e)
		}
		out = append(out, &release.Hook{
			Name: h.Name, Kind: h.Kind, Path: h.Path, Manifest: h.Manifest, Events: events, Weight: h.Weight,
			DeletePolicies: h.DeletePolicies, OutputLogPolicies: h.OutputLogPolicies,
		})
	}
	return out
}
