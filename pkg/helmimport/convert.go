package helmimport

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
	"github.com/hoist-dev/hoist/pkg/values"
)

// SourcePrefix starts the Chart.Source of an imported revision: "helm:<chart>-<version>".
// It names the chart Helm installed; it is not a reference hoist can fetch.
const SourcePrefix = "helm:"

// ScopeFunc reports whether objects of a kind are namespaced (normally from the
// cluster's REST mapper). It returns an error wrapping ErrUnknownKind for a kind the
// cluster does not serve; any other error stops the conversion.
type ScopeFunc func(gvk schema.GroupVersionKind) (namespaced bool, err error)

// ErrUnknownKind is what a ScopeFunc wraps for a kind the cluster does not serve.
var ErrUnknownKind = errors.New("kind not served by the cluster")

// Options adjust the conversion of Helm revisions. The zero value is valid.
type Options struct {
	// Scope, when set, fills Inventory (see the Inventory function): the manifest's
	// objects, with the release's namespace for namespaced kinds that name none and no
	// namespace for cluster-scoped ones, as Helm applied them. If a kind is unknown
	// (ErrUnknownKind), as an old revision's apiVersion may be, or the manifest cannot be
	// read, Inventory is left empty for that revision; other errors of Scope are
	// returned. Without Scope, Inventory is left empty: hoist then reads the objects
	// from the manifest when it needs them.
	Scope ScopeFunc
}

// helmStatuses maps Helm's statuses (Helm 3 and 4 have the same) to hoist's.
var helmStatuses = map[string]release.Status{
	"unknown":          release.StatusUnknown,
	"deployed":         release.StatusDeployed,
	"uninstalled":      release.StatusUninstalled,
	"superseded":       release.StatusSuperseded,
	"failed":           release.StatusFailed,
	"uninstalling":     release.StatusUninstalling,
	"pending-install":  release.StatusPendingInstall,
	"pending-upgrade":  release.StatusPendingUpgrade,
	"pending-rollback": release.StatusPendingRollback,
}

// helmHookEvents maps the events Helm records (its hook annotation values) to hoist's.
// "test-success" is Helm's older name for "test".
var helmHookEvents = map[string]engine.HookEvent{
	"pre-install":   engine.PreInstall,
	"post-install":  engine.PostInstall,
	"pre-delete":    engine.PreDelete,
	"post-delete":   engine.PostDelete,
	"pre-upgrade":   engine.PreUpgrade,
	"post-upgrade":  engine.PostUpgrade,
	"pre-rollback":  engine.PreRollback,
	"post-rollback": engine.PostRollback,
	"test":          engine.Test,
	"test-success":  engine.Test,
}

// helmHookPhases maps Helm's hook phases to hoist's; hoist has no "Unknown" phase.
var helmHookPhases = map[string]string{
	"":          "",
	"Unknown":   "",
	"Running":   "Running",
	"Succeeded": "Succeeded",
	"Failed":    "Failed",
}

// helmSystemLabels are the labels Helm sets on its storage objects itself; the others
// are the user's --labels.
var helmSystemLabels = map[string]bool{
	"name": true, "owner": true, "status": true, "version": true, "createdAt": true, "modifiedAt": true,
}

// UserLabels returns the labels of a Helm storage object that are the user's (Helm's
// own removed), or nil if there are none.
func UserLabels(objectLabels map[string]string) map[string]string {
	var out map[string]string
	for k, v := range objectLabels {
		if helmSystemLabels[k] {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}

// Convert turns a Helm record into a hoist record. labels are the user's labels
// (UserLabels of the storage object's). The record's namespace must be set. Errors
// wrap ErrNotRecord or ErrUnsupported (or are the Scope's).
func Convert(rec *Record, labels map[string]string, opts Options) (*release.Release, error) {
	if rec == nil {
		return nil, fmt.Errorf("%w: empty", ErrNotRecord)
	}
	switch {
	case rec.Name == "":
		return nil, fmt.Errorf("%w: no release name", ErrNotRecord)
	case rec.Version <= 0:
		return nil, fmt.Errorf("%w: release %q has no revision (\"version\")", ErrNotRecord, rec.Name)
	case rec.Namespace == "":
		return nil, fmt.Errorf("%w: release %q has no namespace", ErrNotRecord, rec.Name)
	case rec.Info == nil:
		return nil, fmt.Errorf("%w: release %q has no \"info\"", ErrNotRecord, rec.Name)
	case rec.Chart == nil || rec.Chart.Metadata == nil:
		return nil, fmt.Errorf("%w: release %q has no chart metadata", ErrNotRecord, rec.Name)
	case rec.Chart.Metadata.Name == "" || rec.Chart.Metadata.Version == "":
		return nil, fmt.Errorf("%w: release %q: the chart has no name or version", ErrNotRecord, rec.Name)
	}
	if err := release.ValidateName(rec.Name); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	key := fmt.Sprintf("release %s.v%d", rec.Name, rec.Version)
	status, ok := helmStatuses[rec.Info.Status]
	if !ok {
		if rec.Info.Status == "" {
			return nil, fmt.Errorf("%w: %s has no status", ErrNotRecord, key)
		}
		return nil, fmt.Errorf("%w: %s has status %q, which Helm does not have", ErrNotRecord, key, rec.Info.Status)
	}
	for k := range labels {
		if storage.IsSystemLabel(k) {
			return nil, fmt.Errorf("%w: %s has the label %q, which hoist's release storage reserves (remove it from the Helm Secret first)", ErrUnsupported, key, k)
		}
	}
	hooks, err := convertHooks(rec.Hooks)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}

	md := copyMetadata(rec.Chart.Metadata)
	config := copyValues(rec.Config)
	if config == nil {
		config = map[string]any{}
	}
	// `helm get values --all`: the user values over the stored chart's defaults. The
	// stored chart has no subcharts, so this is all Helm itself knows.
	vals, err := values.Coalesce(&chart.Chart{Metadata: md, Values: copyValues(rec.Chart.Values)}, config)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: computing values: %w", ErrNotRecord, key, err)
	}

	r := &release.Release{
		Format:        release.FormatV1,
		Name:          rec.Name,
		Namespace:     rec.Namespace,
		Revision:      rec.Version,
		Status:        status,
		Description:   rec.Info.Description,
		FirstDeployed: rec.Info.FirstDeployed,
		LastDeployed:  rec.Info.LastDeployed,
		Deleted:       rec.Info.Deleted,
		Chart: release.ChartInfo{
			Metadata: md,
			Source:   SourcePrefix + md.Name + "-" + md.Version,
		},
		Config:   config,
		Values:   vals,
		Manifest: rec.Manifest,
		Hooks:    hooks,
		Notes:    rec.Info.Notes,
	}
	if len(labels) > 0 {
		r.Labels = maps.Clone(labels)
	}
	if opts.Scope != nil {
		// A manifest hoist cannot read, or with a kind the cluster no longer serves,
		// leaves Inventory empty: hoist falls back on the manifest, as for its own records.
		if m, err := parseManifest(rec.Manifest); err == nil {
			inv, err := m.resolve(rec.Namespace, opts.Scope)
			switch {
			case errors.Is(err, ErrUnknownKind):
			case err != nil:
				return nil, fmt.Errorf("%s: %w", key, err)
			default:
				r.Inventory = inv
			}
		}
	}
	return r, nil
}

func convertHooks(in []*Hook) ([]*release.Hook, error) {
	var out []*release.Hook
	for i, h := range in {
		if h == nil {
			return nil, fmt.Errorf("%w: hook %d is null", ErrNotRecord, i+1)
		}
		what := fmt.Sprintf("hook %d (%s/%s)", i+1, h.Kind, h.Name)
		events := make([]release.HookEvent, 0, len(h.Events))
		for _, e := range h.Events {
			ev, ok := helmHookEvents[e]
			if !ok {
				return nil, fmt.Errorf("%w: %s has the event %q, which Helm does not have", ErrNotRecord, what, e)
			}
			if !slices.Contains(events, release.HookEvent(ev)) {
				events = append(events, release.HookEvent(ev))
			}
		}
		phase, ok := helmHookPhases[h.LastRun.Phase]
		if !ok {
			return nil, fmt.Errorf("%w: %s has the phase %q, which Helm does not have", ErrNotRecord, what, h.LastRun.Phase)
		}
		hk := &release.Hook{
			Name:           h.Name,
			Kind:           h.Kind,
			Path:           h.Path,
			Manifest:       h.Manifest,
			Events:         events,
			Weight:         h.Weight,
			DeletePolicies: append([]string{}, h.DeletePolicies...),
			LastRun:        release.HookRun{StartedAt: h.LastRun.StartedAt, CompletedAt: h.LastRun.CompletedAt, Phase: phase},
		}
		if len(h.OutputLogPolicies) > 0 {
			hk.OutputLogPolicies = append([]string{}, h.OutputLogPolicies...)
		}
		out = append(out, hk)
	}
	return out, nil
}

// copyMetadata copies the metadata so that the hoist record shares nothing with rec.
func copyMetadata(m *chart.Metadata) *chart.Metadata {
	c := *m
	c.Sources = append([]string(nil), m.Sources...)
	c.Keywords = append([]string(nil), m.Keywords...)
	c.Annotations = maps.Clone(m.Annotations)
	c.Maintainers = nil
	for _, mt := range m.Maintainers {
		if mt != nil {
			x := *mt
			c.Maintainers = append(c.Maintainers, &x)
		}
	}
	c.Dependencies = nil
	for _, d := range m.Dependencies {
		if d != nil {
			x := *d
			x.Tags = append([]string(nil), d.Tags...)
			x.ImportValues = append([]any(nil), d.ImportValues...)
			c.Dependencies = append(c.Dependencies, &x)
		}
	}
	return &c
}

// copyValues copies values decoded from JSON (maps, slices and scalars).
func copyValues(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyValue(v)
	}
	return out
}

func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyValues(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyValue(e)
		}
		return out
	}
	return v
}
