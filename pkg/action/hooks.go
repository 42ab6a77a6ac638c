package action

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/release"
)

// Hook delete policies.
const (
	hookBeforeCreation = "before-hook-creation"
	hookSucceeded      = "hook-succeeded"
	hookFailed         = "hook-failed"
)

// HookRunner runs one hook of a revision: creates its object, waits for it as its kind
// and delete policies say, and records the run in h.LastRun.
type HookRunner interface {
	RunHook(ctx context.Context, r *release.Release, h *release.Hook, timeout time.Duration) error
}

// runHooks runs the hooks of r for event, by weight then name. Jobs and Pods are
// waited for until they complete; a failure names the hook and shows its pods' logs.
func (c *Configuration) runHooks(ctx context.Context, r *release.Release, event engine.HookEvent, timeout time.Duration) error {
	var hooks []*release.Hook
	for _, h := range r.Hooks {
		if h.HasEvent(release.HookEvent(event)) {
			hooks = append(hooks, h)
		}
	}
	sort.SliceStable(hooks, func(i, j int) bool {
		if hooks[i].Weight != hooks[j].Weight {
			return hooks[i].Weight < hooks[j].Weight
		}
		return hooks[i].Name < hooks[j].Name
	})
	for _, h := range hooks {
		if err := c.Hooks.RunHook(ctx, r, h, timeout); err != nil {
			return fmt.Errorf("%s hook %s/%s: %w", event, h.Kind, h.Name, err)
		}
	}
	return nil
}
