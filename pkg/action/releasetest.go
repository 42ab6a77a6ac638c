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

// ReleaseTestOptions configures ReleaseTest.Run.
type ReleaseTestOptions struct {
	Name      string
	Namespace string
	// Timeout bounds each test hook (default 5 minutes).
	Timeout time.Duration
}

// ReleaseTestResult is the tested revision, its hooks' last runs recorded.
type ReleaseTestResult struct {
	Release *release.Release
	LockFacts
}

// Run runs the test hooks of the latest deployed revision and records their outcome;
// a failed test is the error returned, with the result.
func (a ReleaseTest) Run(ctx context.Context, opts ReleaseTestOptions) (*ReleaseTestResult, error) {
	op, err := a.Config.begin(ctx, opts.Namespace, opts.Name, false)
	if err != nil {
		return nil, err
	}
	defer op.end()
	cfg, ctx := op.cfg, op.ctx
	h, err := cfg.history(ctx, opts.Namespace, opts.Name)
	if err != nil {
		return nil, err
	}
	r := release.LastDeployed(h)
	if r == nil {
		return nil, fmt.Errorf("release %s in %s has no deployed revision to test", opts.Name, opts.Namespace)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	res := &ReleaseTestResult{Release: r, LockFacts: op.facts}
	runErr := cfg.runHooks(ctx, r, engine.Test, timeout)
	if lost := op.lost(); lost != nil {
		return res, fmt.Errorf("testing %s: %w; the results are not recorded", r.Key(), lost)
	}
	// Recorded even after the caller's cancellation, within a bounded time.
	cctx, cancel := op.cleanup(0)
	defer cancel()
	if err := cfg.Storage.Update(cctx, r); err != nil {
		return res, fmt.Errorf("recording test results of %s: %w", r.Key(), err)
	}
	return res, runErr
}
