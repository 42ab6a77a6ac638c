package release

import (
	"fmt"
	"regexp"
	"time"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// FormatV1 is the record format version written in every record.
const FormatV1 = "hoist.dev/release.v1"

// Status is the state of a revision.
type Status string

// Statuses.
const (
	StatusUnknown         Status = "unknown"
	StatusDeployed        Status = "deployed"
	StatusSuperseded      Status = "superseded"
	StatusFailed          Status = "failed"
	StatusPendingInstall  Status = "pending-install"
	StatusPendingUpgrade  Status = "pending-upgrade"
	StatusPendingRollback Status = "pending-rollback"
	StatusUninstalling    Status = "uninstalling"
	StatusUninstalled     Status = "uninstalled"
)

// IsPending reports whether an operation is (or was, if it crashed) under way.
func (s Status) IsPending() bool {
	switch s {
	case StatusPendingInstall, StatusPendingUpgrade, StatusPendingRollback, StatusUninstalling:
		return true
	}
	return false
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusDeployed, StatusSuperseded, StatusFailed, StatusPendingInstall, StatusPendingUpgrade,
		StatusPendingRollback, StatusUninstalling, StatusUninstalled, StatusUnknown:
		return true
	}
	return false
}

// ChartInfo identifies the chart a revision was made from.
type ChartInfo struct {
	Metadata *chart.Metadata `json:"metadata"`
	// Digest is the chart's digest as fetched ("sha256:…" or "git:<commit>").
	Digest string `json:"digest,omitempty"`
	// Source is a reference that fetches exactly this chart again.
	Source string `json:"source,omitempty"`
}

// HookRun is the outcome of a hook's last run.
type HookRun struct {
	StartedAt   time.Time `json:"startedAt,omitzero"`
	CompletedAt time.Time `json:"completedAt,omitzero"`
	Phase       string    `json:"phase,omitempty"` // Running, Succeeded, Failed
}

// HookEvent is when a hook runs ("pre-install", "post-upgrade", "test", …: Helm's
// names).
type HookEvent string

// Hook is a hook of the revision, as recorded, and its last run. The record owns this
// shape: the template engine's hook type may change without changing the format.
type Hook struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Path     string `json:"path"`
	Manifest string `json:"manifest"`
	// Events are when the hook runs.
	Events []HookEvent `json:"events"`
	// Weight orders hooks of an event (lowest first, then by name).
	Weight            int      `json:"weight"`
	DeletePolicies    []string `json:"deletePolicies"`
	OutputLogPolicies []string `json:"outputLogPolicies,omitempty"`
	LastRun           HookRun  `json:"lastRun,omitzero"`
}

// HasEvent reports whether the hook runs on e.
func (h *Hook) HasEvent(e HookEvent) bool {
	for _, x := range h.Events {
		if x == e {
			return true
		}
	}
	return false
}

// Release is one revision of a release.
type Release struct {
	Format    string `json:"format"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Revision  int    `json:"revision"`
	Status    Status `json:"status"`
	// Description says what happened ("Install complete", "Upgrade failed: …").
	Description   string    `json:"description,omitempty"`
	FirstDeployed time.Time `json:"firstDeployed,omitzero"`
	LastDeployed  time.Time `json:"lastDeployed,omitzero"`
	Deleted       time.Time `json:"deleted,omitzero"`

	Chart ChartInfo `json:"chart"`
	// Config are the values the user supplied (-f, --set…).
	Config map[string]any `json:"config"`
	// Values are the coalesced values the templates saw (`get values --all`).
	Values map[string]any `json:"values,omitempty"`
	// Manifest is the rendered manifest (non-hook documents), as applied.
	Manifest string  `json:"manifest"`
	Hooks    []*Hook `json:"hooks,omitempty"`
	Notes    string  `json:"notes,omitempty"`
	// Labels are the user's labels (--labels), also set on the storage object.
	Labels map[string]string `json:"labels,omitempty"`
	// Postrender records the inputs of a kustomize overlay, so a rollback reproduces it.
	Postrender map[string]string `json:"postrender,omitempty"`
	// Inventory lists the objects the revision applied (what a later revision prunes).
	Inventory []ObjectRef `json:"inventory,omitempty"`

	// StoredVersion is the storage's version of the record when it was read or written
	// (a Secret's resourceVersion); an update is conditional on it. Not recorded.
	StoredVersion string `json:"-"`
}

// ObjectRef identifies an object: in the inventory, and in every result of pkg/apply.
type ObjectRef struct {
	Group     string `json:"group,omitempty"`
	Version   string `json:"version"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String is "Kind/namespace/name", or "Kind/name" for cluster-scoped objects.
func (o ObjectRef) String() string {
	if o.Namespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + "/" + o.Namespace + "/" + o.Name
}

var nameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// MaxNameLen is the longest release name: it must fit in storage object names and labels.
const MaxNameLen = 53

// ValidateName checks a release name: a DNS-1123 subdomain of at most 53 characters.
func ValidateName(name string) error {
	if name == "" || len(name) > MaxNameLen || !nameRE.MatchString(name) {
		return fmt.Errorf("invalid release name %q: must be at most %d characters of lower-case letters, digits, '-' and '.', starting and ending with a letter or digit", name, MaxNameLen)
	}
	return nil
}

// Key names a revision in messages: "name.v3 in namespace".
func (r *Release) Key() string {
	return fmt.Sprintf("%s.v%d in %s", r.Name, r.Revision, r.Namespace)
}

// SetStatus sets the status and description.
func (r *Release) SetStatus(s Status, desc string) {
	r.Status = s
	r.Description = desc
}
