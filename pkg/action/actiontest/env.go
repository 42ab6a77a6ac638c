package actiontest

import (
	"bytes"
	"log/slog"
	"sync"
	"time"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/release/storage"
)

// Env is an *action.Configuration wired to in-memory fakes, and the fakes themselves
// for a test to steer and inspect.
type Env struct {
	Config  *action.Configuration
	Storage *storage.Memory
	Locker  *storage.MemoryLocker
	Apply   *Applier
	Cluster *Cluster
	Hooks   *Hooks
	// Log holds what the operations logged (text handler).
	Log *SyncBuffer
}

// NewEnv returns an Env: empty storage, no lock held, no objects, and a clock that
// starts at 2025-01-01 and advances a second at every reading, so timestamps are
// distinct and reproducible.
func NewEnv() *Env {
	clock := Clock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	ap := NewApplier()
	e := &Env{
		Storage: storage.NewMemory(),
		Locker:  &storage.MemoryLocker{},
		Apply:   ap,
		Cluster: &Cluster{Objects: ap},
		Hooks:   &Hooks{Now: clock},
		Log:     &SyncBuffer{},
	}
	e.Config = &action.Configuration{
		Cluster: e.Cluster, Storage: e.Storage, Locker: e.Locker, Apply: e.Apply, Hooks: e.Hooks,
		FieldManager: "hoist", Now: clock, Log: slog.New(slog.NewTextHandler(e.Log, nil)),
		CleanupTimeout: 10 * time.Second,
	}
	return e
}

// NewConfiguration returns a ready Configuration on fresh fakes (NewEnv().Config).
func NewConfiguration() *action.Configuration { return NewEnv().Config }

// Clock returns a clock that reads start, then a second later at every call; safe for
// concurrent use.
func Clock(start time.Time) func() time.Time {
	var mu sync.Mutex
	t := start
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now := t
		t = t.Add(time.Second)
		return now
	}
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers (a log handler's target).
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The fakes implement action's boundaries.
var (
	_ action.Applier    = (*Applier)(nil)
	_ action.Cluster    = (*Cluster)(nil)
	_ action.HookRunner = (*Hooks)(nil)
)
