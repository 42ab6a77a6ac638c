package action

import (
	"context"
	"fmt"

	"github.com/hoist-dev/hoist/pkg/release"
)

// Unlock removes a release's lock, for when the operation that held it is gone and
// waiting for the take-over is not wanted (or its lease was left by a machine whose
// clock is far off).
type Unlock struct{ Config *Configuration }

// UnlockOptions configure Unlock.Run.
type UnlockOptions struct {
	Name, Namespace string
	// Force removes the lock even while its holder renews it: only when that operation
	// is known to be gone (two writers at once is what the lock prevents).
	Force bool
}

// UnlockResult says whose lock was removed.
type UnlockResult struct {
	Release   string `json:"release"`
	Namespace string `json:"namespace"`
	// Holder is who held the lock ("" when the release was not locked).
	Holder string `json:"holder,omitempty"`
}

// Run removes the lock; without Force it first watches it for its lease's duration and
// refuses if the holder renews it. Revisions the holder left pending are marked failed
// by the next operation.
func (a Unlock) Run(ctx context.Context, opts UnlockOptions) (*UnlockResult, error) {
	if err := release.ValidateName(opts.Name); err != nil {
		return nil, err
	}
	holder, err := a.Config.Locker.Unlock(ctx, opts.Namespace, opts.Name, opts.Force)
	res := &UnlockResult{Release: opts.Name, Namespace: opts.Namespace, Holder: holder}
	if err != nil {
		return res, err
	}
	if holder != "" {
		a.Config.log().Warn(fmt.Sprintf("removed the lock of %s, held by %s", opts.Name, holder),
			"release", opts.Name, "namespace", opts.Namespace, "holder", holder, "force", opts.Force)
	}
	return res, nil
}
