package helmimport

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/release"
)

// Errors wrapped by every decoding error, for callers to branch on.
var (
	// ErrCorrupt: the data is not base64, gzip or JSON, or decompresses to too much.
	ErrCorrupt = errors.New("corrupt Helm release record")
	// ErrNotRecord: the object or JSON is not a release record Helm 3 or 4 writes.
	ErrNotRecord = errors.New("not a Helm release record")
	// ErrMismatch: the record contradicts its storage object or belongs to another release.
	ErrMismatch = errors.New("mismatched Helm release record")
	// ErrUnsupported: a valid Helm record that hoist cannot store.
	ErrUnsupported = errors.New("cannot import Helm release record")
)

// Record is the JSON of Helm's release object (Helm 3's release.Release, Helm 4's
// release/v1.Release), with the fields hoist imports. The chart's templates and files
// are not kept.
type Record struct {
	Name      string         `json:"name"`
	Namespace string         `json:"namespace"`
	Version   int            `json:"version"`
	Info      *Info          `json:"info"`
	Chart     *Chart         `json:"chart"`
	Config    map[string]any `json:"config"`
	Manifest  string         `json:"manifest"`
	Hooks     []*Hook        `json:"hooks"`
	// ApplyMethod is "ssa" or "csa" (Helm 4); empty means client-side apply.
	ApplyMethod string `json:"apply_method"`
}

// Info is Helm's release info.
type Info struct {
	FirstDeployed time.Time
	LastDeployed  time.Time
	Deleted       time.Time
	Description   string
	Status        string
	// RollbackRevision is the revision a rollback went back to (Helm after 4.2), or 0.
	RollbackRevision int
	Notes            string
}

// Chart is the part of Helm's stored chart that hoist keeps.
type Chart struct {
	// Metadata is Chart.yaml; Helm's JSON keys are hoist's.
	Metadata *chart.Metadata `json:"metadata"`
	// Values are the chart's default values (values.yaml).
	Values map[string]any `json:"values"`
}

// Hook is Helm's record of a hook.
type Hook struct {
	Name              string        `json:"name"`
	Kind              string        `json:"kind"`
	Path              string        `json:"path"`
	Manifest          string        `json:"manifest"`
	Events            []string      `json:"events"`
	LastRun           HookExecution `json:"last_run"`
	Weight            int           `json:"weight"`
	DeletePolicies    []string      `json:"delete_policies"`
	OutputLogPolicies []string      `json:"output_log_policies"`
}

// HookExecution is Helm's record of a hook's last run.
type HookExecution struct {
	StartedAt   time.Time
	CompletedAt time.Time
	// Phase is "Unknown", "Running", "Succeeded", "Failed", or empty if it never ran.
	Phase string
}

// helmTime reads a time as both Helm versions write it: RFC 3339, or "" or null (or
// absent) for none. Helm 3 writes "" for a zero time; Helm 4 leaves it out.
type helmTime struct{ time.Time }

func (t *helmTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" || string(b) == `""` {
		t.Time = time.Time{}
		return nil
	}
	return t.Time.UnmarshalJSON(b)
}

// UnmarshalJSON reads Helm's info object.
func (i *Info) UnmarshalJSON(b []byte) error {
	var raw struct {
		FirstDeployed    helmTime `json:"first_deployed"`
		LastDeployed     helmTime `json:"last_deployed"`
		Deleted          helmTime `json:"deleted"`
		Description      string   `json:"description"`
		Status           string   `json:"status"`
		RollbackRevision int      `json:"rollback_revision"`
		Notes            string   `json:"notes"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("info: %w", err)
	}
	*i = Info{
		FirstDeployed: raw.FirstDeployed.Time, LastDeployed: raw.LastDeployed.Time, Deleted: raw.Deleted.Time,
		Description: raw.Description, Status: raw.Status, RollbackRevision: raw.RollbackRevision, Notes: raw.Notes,
	}
	return nil
}

// UnmarshalJSON reads Helm's last_run object.
func (h *HookExecution) UnmarshalJSON(b []byte) error {
	var raw struct {
		StartedAt   helmTime `json:"started_at"`
		CompletedAt helmTime `json:"completed_at"`
		Phase       string   `json:"phase"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("hook last_run: %w", err)
	}
	*h = HookExecution{StartedAt: raw.StartedAt.Time, CompletedAt: raw.CompletedAt.Time, Phase: raw.Phase}
	return nil
}

// gzipMagic starts gzip data; Helm decompresses only data that starts with it.
var gzipMagic = []byte{0x1f, 0x8b, 0x08}

// DecodeRecord decodes the value Helm stores under the key "release" (of a Secret's
// data, as held by a corev1.Secret, or of a ConfigMap's): base64 text of gzip-compressed
// or plain JSON. Errors wrap ErrCorrupt, or ErrNotRecord for JSON of the wrong shape.
// The record is not checked beyond its JSON; DecodeSecret and Convert check it.
func DecodeRecord(data []byte) (*Record, error) {
	return decodeRecord(data, release.MaxDecodedSize)
}

// decodeRecord is DecodeRecord with a bound on the decoded size.
func decodeRecord(data []byte, limit int) (*Record, error) {
	b := make([]byte, base64.StdEncoding.DecodedLen(len(data)))
	n, err := base64.StdEncoding.Decode(b, data)
	if err != nil {
		return nil, fmt.Errorf("%w: base64: %w", ErrCorrupt, err)
	}
	b = b[:n]
	if len(b) > 3 && bytes.Equal(b[:3], gzipMagic) {
		body, err := release.Gunzip(b, int64(limit))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		b = body
	} else if len(b) > limit {
		return nil, fmt.Errorf("%w: larger than the limit of %s", ErrCorrupt, release.Size(int64(limit)))
	}
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		var syntaxErr *json.SyntaxError
		if errors.As(err, &syntaxErr) {
			return nil, fmt.Errorf("%w: JSON: %w", ErrCorrupt, err)
		}
		// Valid JSON of the wrong shape: a field of another type, a time that is not one.
		return nil, fmt.Errorf("%w: %w", ErrNotRecord, err)
	}
	return &rec, nil
}
