package apply

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/release"
)

// DeleteOptions configure Delete.
type DeleteOptions struct {
	// Owner, when set, limits deletion to objects this release owns: the others are
	// skipped. Leave it zero to delete whoever owns the objects.
	Owner Owner
	// DeleteCRDs deletes CustomResourceDefinitions too (and with them every custom
	// resource of their kinds, cluster-wide); without it they are kept.
	DeleteCRDs bool
	// Propagation is the deletion propagation policy (default Background, as Helm).
	Propagation metav1.DeletionPropagation
	// DryRun makes server-side dry-run deletions: nothing is deleted.
	DryRun bool
	// Wait waits until the deleted objects are gone, up to Timeout (0: as long as the
	// context allows).
	Wait    bool
	Timeout time.Duration
	// Order is the kind order of the stages (engine.UninstallOrder when nil); kinds not in
	// it, custom resources mostly, are deleted first.
	Order engine.KindOrder
}

// PruneOptions configure Prune; Owner is required.
type PruneOptions struct {
	Owner       Owner
	DeleteCRDs  bool
	Propagation metav1.DeletionPropagation
	DryRun      bool
	Wait        bool
	Timeout     time.Duration
}

// Prune deletes the objects of previous (the last revision's inventory) that current no
// longer has, in uninstall order; objects are matched by group, kind, namespace and name,
// so an apiVersion change is not a removal. Only objects still owned by opts.Owner are
// deleted; helm.sh/resource-policy: keep and CRDs are kept (see Delete).
func (m *Manager) Prune(ctx context.Context, previous []release.ObjectRef, current []*unstructured.Unstructured, opts PruneOptions) (*ChangeSet, error) {
	if opts.Owner.ReleaseName == "" || opts.Owner.ReleaseNamespace == "" {
		return nil, errors.New("apply: PruneOptions.Owner needs a release name and namespace")
	}
	keep := map[key]bool{}
	for _, o := range current {
		keep[keyOf(RefOf(o))] = true
	}
	var gone []release.ObjectRef
	for _, p := range previous {
		if !keep[keyOf(p)] {
			keep[keyOf(p)] = true // once, even if listed twice
			gone = append(gone, p)
		}
	}
	return m.Delete(ctx, gone, DeleteOptions{
		Owner: opts.Owner, DeleteCRDs: opts.DeleteCRDs, Propagation: opts.Propagation,
		DryRun: opts.DryRun, Wait: opts.Wait, Timeout: opts.Timeout,
	})
}

// Delete deletes objects (uninstall) in uninstall order, a stage per kind, the objects
// of a stage concurrently. Objects already gone are skipped, and so are objects not owned
// by opts.Owner when it is set; objects annotated helm.sh/resource-policy: keep, and
// CustomResourceDefinitions unless opts.DeleteCRDs, are kept. The error joins the
// failures (and the wait's, with opts.Wait).
func (m *Manager) Delete(ctx context.Context, objs []release.ObjectRef, opts DeleteOptions) (*ChangeSet, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	order := opts.Order
	if order == nil {
		order = engine.UninstallOrder
	}
	propagation := opts.Propagation
	if propagation == "" {
		propagation = metav1.DeletePropagationBackground
	}
	changes := make([]Change, len(objs))
	mappings := make([]*meta.RESTMapping, len(objs))
	for i, o := range objs {
		changes[i].Object = o
		mp, err := m.mapping(o)
		switch {
		case err == nil:
			mappings[i] = mp
		case errors.Is(err, ErrUnknownKind):
			changes[i].Action, changes[i].Message = ActionSkipped, "already gone: the cluster no longer serves its kind"
		default:
			changes[i].Action, changes[i].Err = ActionFailed, fmt.Errorf("%s: %w", o, err)
		}
	}
	lives := m.fetchLive(ctx, objs, mappings)
	uids := make([]types.UID, len(objs))
	for i, o := range objs {
		if mappings[i] == nil {
			continue
		}
		l := lives[i]
		c := &changes[i]
		switch {
		case l.err != nil:
			c.Action, c.Err = ActionFailed, l.err
		case l.obj == nil:
			c.Action, c.Message = ActionSkipped, "already gone"
		case !opts.Owner.isZero() && checkOwner(o, l.obj, opts.Owner) != nil:
			cur, _ := ownerOf(l.obj)
			c.Action, c.Message = ActionSkipped, "not owned by "+opts.Owner.String()+", it belongs to "+cur.String()
		case l.obj.GetAnnotations()[AnnotationResourcePolicy] == ResourcePolicyKeep:
			c.Action, c.Message = ActionKept, AnnotationResourcePolicy+": "+ResourcePolicyKeep
		case isCRD(o) && !opts.DeleteCRDs:
			c.Action, c.Message = ActionKept, "CustomResourceDefinitions are deleted only when asked"
		default:
			uids[i] = l.obj.GetUID()
		}
	}

	var deleted []release.ObjectRef
	var deletedUIDs []types.UID
	var ordered []Change
	for _, st := range stages(objs, order, true) {
		forEach(ctx, len(st), m.concurrency(), func(ctx context.Context, j int) {
			i := st[j]
			if changes[i].Action != "" {
				return
			}
			o, uid := objs[i], uids[i]
			do := metav1.DeleteOptions{PropagationPolicy: &propagation, Preconditions: &metav1.Preconditions{UID: &uid}}
			if opts.DryRun {
				do.DryRun = []string{metav1.DryRunAll}
			}
			err := m.resource(mappings[i], o.Namespace).Delete(ctx, o.Name, do)
			switch {
			case apierrors.IsNotFound(err):
				changes[i].Action, changes[i].Message = ActionSkipped, "already gone"
			case apierrors.IsConflict(err): // the UID precondition: it was recreated meanwhile
				changes[i].Action, changes[i].Message = ActionSkipped, "already gone (an object of the same name was created since)"
			case err != nil:
				changes[i].Action, changes[i].Err = ActionFailed, fmt.Errorf("%s: delete: %w", o, err)
			default:
				changes[i].Action = ActionDeleted
				if opts.DryRun {
					changes[i].Message = "dry run"
					changes[i].Live = lives[i].obj
				}
			}
		})
		for _, i := range st {
			ordered = append(ordered, changes[i])
			if changes[i].Action == ActionDeleted && !opts.DryRun {
				deleted = append(deleted, objs[i])
				deletedUIDs = append(deletedUIDs, uids[i])
			}
		}
	}
	cs := &ChangeSet{Changes: ordered}
	err := cs.Err()
	if opts.Wait && len(deleted) > 0 {
		if werr := m.waitGone(ctx, deleted, deletedUIDs, opts.Timeout); werr != nil {
			err = errors.Join(err, fmt.Errorf("waiting for deleted objects to be gone: %w", werr))
		}
	}
	return cs, err
}
