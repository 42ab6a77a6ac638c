package action

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
	cfg := a.Config
	if err := release.ValidateName(opts.Name); err != nil {
		return nil, err
	}
	if opts.DryRun == "client" {
		return a.render(ctx, opts, 1)
	}
	// The namespace must exist before the lock (a Lease in it) can be taken.
	lock, err := cfg.lockIn(ctx, opts.Namespace, opts.Name, opts.CreateNamespace && opts.DryRun == "")
	if err != nil {
		return nil, err
	}
	defer lock.Release()
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
	d := &deployment{cfg: cfg, rel: r, live: cfg.liveObjects(h), objs: objs, crds: crds, opts: opts.DeployOptions, pending: release.StatusPendingInstall}
	d.event.pre, d.event.post = engine.PreInstall, engine.PostInstall
	res, err := d.run(ctx)
	if err != nil && opts.Atomic && opts.DryRun == "" && res != nil {
		cfg.logf("install of %s failed; uninstalling it (--atomic): %v", opts.Name, err)
		if _, uerr := (Uninstall{Config: cfg}).run(context.WithoutCancel(ctx), opts.Namespace, opts.Name, UninstallOptions{NoHooks: opts.NoHooks, Timeout: opts.timeout()}, false); uerr != nil {
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
		Manifest:   manifestOf(rd),
		Hooks:      hooksOf(rd),
		Notes:      rd.Notes,
		Labels:     dep.Labels,
		Postrender: postrenderRecord(dep.PostRenderer),
	}
}

func createNamespace(ctx context.Context, cfg *Configuration, ns string) error {
	_, err := cfg.Clients.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"name": ns}},
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	return nil
}
