package action

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/helmimport"
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
func ImportHelm(ctx context.Context, cfg *Configuration, opts ImportHelmOptions) (*ImportResult, error) {
	if err := release.ValidateName(opts.Name); err != nil {
		return nil, err
	}
	ns, name := opts.Namespace, opts.Name
	lock, err := cfg.lock(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	h, err := cfg.history(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if len(h) > 0 {
		return nil, fmt.Errorf("release %s in %s already has hoist records (revisions %d to %d); nothing imported", name, ns, h[0].Revision, h[len(h)-1].Revision)
	}
	revs, sources, err := readHelmRevisions(ctx, cfg, ns, name)
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
	res := &ImportResult{}
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
		cfg.logf("field ownership: %s", cs.Summary())
	}

	// Write the records, oldest first; remove them all if one fails.
	for _, r := range revs {
		if err := cfg.Storage.Create(ctx, r); err != nil {
			var cleanup []error
			for _, w := range res.Revisions {
				if derr := cfg.Storage.Delete(context.WithoutCancel(ctx), ns, name, w.Revision); derr != nil {
					cleanup = append(cleanup, derr)
				}
			}
			return nil, errors.Join(fmt.Errorf("writing the hoist record of Helm revision %d: %w; the records written are removed", r.Revision, err), errors.Join(cleanup...))
		}
		res.Revisions = append(res.Revisions, r)
	}
	if opts.DeleteHelmHistory {
		for _, s := range sources {
			if err := deleteHelmRecord(ctx, cfg, ns, s); err != nil {
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
func readHelmRevisions(ctx context.Context, cfg *Configuration, ns, name string) ([]*release.Release, []helmSource, error) {
	opts := helmimport.Options{Scope: func(gvk schema.GroupVersionKind) (bool, error) {
		mp, err := cfg.Clients.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return false, err
		}
		return mp.Scope.Name() == meta.RESTScopeNameNamespace, nil
	}}
	sel := metav1.ListOptions{LabelSelector: helmimport.ListSelector(name)}
	secrets, err := cfg.Clients.Typed.CoreV1().Secrets(ns).List(ctx, sel)
	if err != nil {
		return nil, nil, fmt.Errorf("reading Helm's records of %s in %s: %w", name, ns, err)
	}
	var sources []helmSource
	var revs []*release.Release
	if len(secrets.Items) > 0 {
		revs, err = helmimport.Revisions(secrets.Items, name, opts)
		for _, s := range secrets.Items {
			sources = append(sources, helmSource{name: s.Name})
		}
	} else {
		cms, lerr := cfg.Clients.Typed.CoreV1().ConfigMaps(ns).List(ctx, sel)
		if lerr != nil {
			return nil, nil, fmt.Errorf("reading Helm's records of %s in %s: %w", name, ns, lerr)
		}
		if len(cms.Items) == 0 {
			return nil, nil, fmt.Errorf("no Helm release %s in %s: no %s* Secrets or ConfigMaps labelled %s", name, ns, helmimport.NamePrefix+name+".v", helmimport.ListSelector(name))
		}
		revs, err = helmimport.ConfigMapRevisions(cms.Items, name, opts)
		for _, c := range cms.Items {
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

func deleteHelmRecord(ctx context.Context, cfg *Configuration, ns string, s helmSource) error {
	if s.configMap {
		return cfg.Clients.Typed.CoreV1().ConfigMaps(ns).Delete(ctx, s.name, metav1.DeleteOptions{})
	}
	return cfg.Clients.Typed.CoreV1().Secrets(ns).Delete(ctx, s.name, metav1.DeleteOptions{})
}
