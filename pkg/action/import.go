package action

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/helmimport"
	"github.com/hoist-dev/hoist/pkg/kube"
	"github.com/hoist-dev/hoist/pkg/release"
)

// DefaultHelmFieldManagers are the field managers whose fields ImportHelm takes over:
// Helm's (v3 patches and v4 server-side applies as "helm") and kubectl's client-side
// apply (objects created with kubectl apply and adopted by Helm).
var DefaultHelmFieldManagers = []string{"helm", "kubectl-client-side-apply"}

// ImportHelmOptions configure ImportHelm.
type ImportHelmOptions struct {
	Name, Namespace string
	// FieldManagers whose fields hoist takes over (DefaultHelmFieldManagers when nil).
	FieldManagers []string
	// DeleteHelmHistory deletes Helm's release Secrets once hoist's records are written.
	DeleteHelmHistory bool
}

// ImportResult is what ImportHelm did.
type ImportResult struct {
	// Revisions are the hoist records written, oldest first.
	Revisions []*release.Release `json:"revisions"`
	// Ownership is the outcome of the field take-over, per object of the deployed revision.
	Ownership *apply.ChangeSet `json:"-"`
	// Deleted are the Helm Secrets deleted (DeleteHelmHistory).
	Deleted []string `json:"deletedHelmSecrets,omitempty"`
	LockFacts
}

// HelmRecords reads and deletes Helm's own release records.
type HelmRecords interface {
	// Secrets and ConfigMaps list Helm's records of a release in ns.
	Secrets(ctx context.Context, ns, name string) ([]corev1.Secret, error)
	ConfigMaps(ctx context.Context, ns, name string) ([]corev1.ConfigMap, error)
	// Delete removes one record (a ConfigMap when configMap is set).
	Delete(ctx context.Context, ns, recordName string, configMap bool) error
	// Namespaced reports whether a kind is namespaced (Helm's records keep objects'
	// namespaces implicit).
	Namespaced(gvk schema.GroupVersionKind) (bool, error)
}

// ImportHelm adopts a release made by Helm 3 or 4 (see Run).
type ImportHelm struct {
	Config *Configuration
	Helm   HelmRecords
}

// ImportHelm adopts a release made by Helm 3 or 4: it reads Helm's release Secrets
// (sh.helm.release.v1.NAME.vN, or Helm's ConfigMap records), writes a hoist record for
// every revision (values, manifests, hooks, statuses, descriptions), and makes hoist's
// field manager the owner of the fields Helm (and kubectl's client-side apply) owns on
// the objects of the deployed revision, so that the first hoist upgrade neither
// conflicts nor leaves fields behind. Helm's Secrets stay unless DeleteHelmHistory.
//
// Everything is read and checked before anything is written: a corrupt or unknown
// record, a release hoist already has, or a Helm operation in progress stop the import
// with nothing written. Should writing the records fail, those written are removed.
func (a ImportHelm) Run(ctx context.Context, opts ImportHelmOptions) (*ImportResult, error) {
	if err := release.ValidateName(opts.Name); err != nil {
		return nil, err
	}
	ns, name := opts.Namespace, opts.Name
	op, err := a.Config.begin(ctx, ns, name, false)
	if err != nil {
		return nil, err
	}
	defer op.end()
	cfg, ctx := op.cfg, op.ctx
	h, err := cfg.history(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if len(h) > 0 {
		return nil, fmt.Errorf("release %s in %s already has hoist records (revisions %d to %d); nothing imported", name, ns, h[0].Revision, h[len(h)-1].Revision)
	}
	revs, sources, err := a.readHelmRevisions(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	latest := revs[len(revs)-1]
	if latest.Status.IsPending() {
		return nil, fmt.Errorf("the Helm release %s in %s is %s at revision %d: a Helm operation is running or was interrupted; let it finish (or roll it back with helm) and import again; nothing imported", name, ns, latest.Status, latest.Revision)
	}
	if latest.Status == release.StatusUninstalled {
		return nil, fmt.Errorf("the Helm release %s in %s is uninstalled; nothing to import", name, ns)
	}

	// Take over the fields of the deployed revision's objects.
	res := &ImportResult{LockFacts: op.facts}
	deployed := release.LastDeployed(revs)
	if deployed == nil {
		deployed = latest
	}
	objs, err := cfg.Apply.Build(deployed.Manifest, ns)
	if err != nil {
		return nil, fmt.Errorf("revision %d of the Helm release %s: %w; nothing imported", deployed.Revision, name, err)
	}
	managers := opts.FieldManagers
	if managers == nil {
		managers = DefaultHelmFieldManagers
	}
	cs, err := cfg.Apply.TakeOver(ctx, objs, apply.TakeOverOptions{From: managers})
	res.Ownership = cs
	if err != nil {
		return res, fmt.Errorf("taking over the fields of Helm revision %d: %w; no hoist record written", deployed.Revision, err)
	}
	if cs != nil {
		cfg.log().Info("field ownership: "+cs.Summary(), "release", name, "namespace", ns)
	}

	// Write the records, oldest first; remove them all if one fails.
	for _, r := range revs {
		if err := cfg.Storage.Create(ctx, r); err != nil {
			var cleanup []error
			cctx, cancel := op.cleanup(0)
			for _, w := range res.Revisions {
				if derr := cfg.Storage.Delete(cctx, ns, name, w.Revision); derr != nil {
					cleanup = append(cleanup, derr)
				}
			}
			cancel()
			return nil, errors.Join(fmt.Errorf("writing the hoist record of Helm revision %d: %w; the records written are removed", r.Revision, err), errors.Join(cleanup...))
		}
		res.Revisions = append(res.Revisions, r)
	}
	if opts.DeleteHelmHistory {
		for _, s := range sources {
			if err := op.check(); err != nil {
				return res, fmt.Errorf("the release is imported, but Helm's record %s is not deleted: %w", s.name, err)
			}
			if err := a.Helm.Delete(ctx, ns, s.name, s.configMap); err != nil {
				return res, fmt.Errorf("the release is imported, but deleting Helm's record %s failed: %w", s.name, err)
			}
			res.Deleted = append(res.Deleted, s.name)
		}
	}
	return res, nil
}

// helmSource is where a Helm revision was stored.
type helmSource struct {
	name      string
	configMap bool
}

// readHelmRevisions reads a Helm release's records: Secrets, else ConfigMaps.
func (a ImportHelm) readHelmRevisions(ctx context.Context, ns, name string) ([]*release.Release, []helmSource, error) {
	opts := helmimport.Options{Scope: a.Helm.Namespaced}
	secrets, err := a.Helm.Secrets(ctx, ns, name)
	if err != nil {
		return nil, nil, fmt.Errorf("reading Helm's records of %s in %s: %w", name, ns, err)
	}
	var sources []helmSource
	var revs []*release.Release
	if len(secrets) > 0 {
		revs, err = helmimport.Revisions(secrets, name, opts)
		for _, s := range secrets {
			sources = append(sources, helmSource{name: s.Name})
		}
	} else {
		cms, lerr := a.Helm.ConfigMaps(ctx, ns, name)
		if lerr != nil {
			return nil, nil, fmt.Errorf("reading Helm's records of %s in %s: %w", name, ns, lerr)
		}
		if len(cms) == 0 {
			return nil, nil, fmt.Errorf("no Helm release %s in %s: no %s* Secrets or ConfigMaps labelled %s", name, ns, helmimport.NamePrefix+name+".v", helmimport.ListSelector(name))
		}
		revs, err = helmimport.ConfigMapRevisions(cms, name, opts)
		for _, c := range cms {
			sources = append(sources, helmSource{name: c.Name, configMap: true})
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("the Helm release %s in %s: %w; nothing imported", name, ns, err)
	}
	if len(revs) == 0 {
		return nil, nil, fmt.Errorf("no Helm release %s in %s", name, ns)
	}
	return revs, sources, nil
}

// KubeHelmRecords are Helm's records in a cluster.
type KubeHelmRecords struct{ Clients *kube.Clients }

// Secrets implements HelmRecords.
func (k KubeHelmRecords) Secrets(ctx context.Context, ns, name string) ([]corev1.Secret, error) {
	l, err := k.Clients.Typed.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: helmimport.ListSelector(name)})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

// ConfigMaps implements HelmRecords.
func (k KubeHelmRecords) ConfigMaps(ctx context.Context, ns, name string) ([]corev1.ConfigMap, error) {
	l, err := k.Clients.Typed.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: helmimport.ListSelector(name)})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

// Delete implements HelmRecords.
func (k KubeHelmRecords) Delete(ctx context.Context, ns, recordName string, configMap bool) error {
	if configMap {
		return k.Clients.Typed.CoreV1().ConfigMaps(ns).Delete(ctx, recordName, metav1.DeleteOptions{})
	}
	return k.Clients.Typed.CoreV1().Secrets(ns).Delete(ctx, recordName, metav1.DeleteOptions{})
}

// Namespaced implements HelmRecords.
func (k KubeHelmRecords) Namespaced(gvk schema.GroupVersionKind) (bool, error) {
	mp, err := k.Clients.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return false, err
	}
	return mp.Scope.Name() == meta.RESTScopeNameNamespace, nil
}
