package action

import (
	"context"
	"fmt"
	"time"

	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/release"
)

// ReleaseTest runs a release's test hooks (helm.sh/hook: test).
type ReleaseTest struct{ Config *Configuration }

// Run runs the test hooks of the latest deployed revision and records their outcome.
func (a ReleaseTest) Run(ctx context.Context, ns, name string, timeout time.Duration) (*release.Release, error) {
	cfg := a.Config
	lock, err := cfg.lock(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	h, err := cfg.history(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	r := release.LastDeployed(h)
	if r == nil {
		return nil, fmt.Errorf("release %s in %s has no deployed revision to test", name, ns)
	}
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	runErr := cfg.runHooks(ctx, r, engine.Test, timeout)
	if err := cfg.Storage.Update(context.WithoutCancel(ctx), r); err != nil {
		return r, fmt.Errorf("recording test results of %s: %w", r.Key(), err)
	}
	return r, runErr
}
