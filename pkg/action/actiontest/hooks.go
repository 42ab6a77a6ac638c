package actiontest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hoist-dev/hoist/pkg/release"
)

// HookRun is one hook run the Hooks fake saw.
type HookRun struct {
	Release   string
	Namespace string
	Revision  int
	// Name and Kind are the hook's object; Events the events it is declared for.
	Name   string
	Kind   string
	Events []release.HookEvent
	// Err is what the run returned.
	Err error
}

// Hooks is an in-memory action.HookRunner: it records every run in order and fails the
// hooks it was told to, recording the run in the hook's LastRun as the real one does.
type Hooks struct {
	// Now stamps LastRun (time.Now when nil).
	Now func() time.Time

	mu    sync.Mutex
	runs  []HookRun
	fails map[string]error
}

// Fail makes every run of the hook with this name fail with err (nil clears it).
func (h *Hooks) Fail(name string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fails == nil {
		h.fails = map[string]error{}
	}
	if err == nil {
		delete(h.fails, name)
		return
	}
	h.fails[name] = err
}

// RunHook implements action.HookRunner.
func (h *Hooks) RunHook(ctx context.Context, r *release.Release, hk *release.Hook, _ time.Duration) error {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	h.mu.Lock()
	err := h.fails[hk.Name]
	h.mu.Unlock()
	if err == nil {
		err = ctx.Err()
	}
	hk.LastRun = release.HookRun{StartedAt: now(), CompletedAt: now(), Phase: "Succeeded"}
	if err != nil {
		hk.LastRun.Phase = "Failed"
		err = fmt.Errorf("hook %s/%s: %w", hk.Kind, hk.Name, err)
	}
	h.mu.Lock()
	h.runs = append(h.runs, HookRun{
		Release: r.Name, Namespace: r.Namespace, Revision: r.Revision,
		Name: hk.Name, Kind: hk.Kind, Events: append([]release.HookEvent(nil), hk.Events...), Err: err,
	})
	h.mu.Unlock()
	return err
}

// Runs are the runs so far, in order.
func (h *Hooks) Runs() []HookRun {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]HookRun(nil), h.runs...)
}

// Names are the names of the hooks run so far, in order.
func (h *Hooks) Names() []string {
	var out []string
	for _, r := range h.Runs() {
		out = append(out, r.Name)
	}
	return out
}
