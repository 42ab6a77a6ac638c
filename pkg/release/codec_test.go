package release

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/boundtest"
)

// TestGunzipBomb: data that decompresses to 1 GiB is refused once past the limit, in
// bounded time and without holding the decompressed data; data at the limit decodes.
func TestGunzipBomb(t *testing.T) {
	member := boundtest.GzipBomb(16) // one member of 16 MiB
	// 64 members of 16 MiB: 1 GiB from about 1 MiB.
	bomb := boundtest.GzipBomb(1024)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := Decode(bomb)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d KiB bomb refused in %v, %d KiB allocated", len(bomb)>>10, took.Round(time.Millisecond), alloc>>10)
	if !errors.Is(err, ErrFormat) || !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "128 MiB once decompressed") {
		t.Errorf("Decode(bomb) = %v, want ErrFormat and ErrTooLarge naming the limit", err)
	}
	if took > 3*time.Second || alloc > 16<<20 {
		t.Errorf("bomb took %v and %d MiB", took, alloc>>20)
	}

	if b, err := Gunzip(member, 16<<20); err != nil || len(b) != 16<<20 {
		t.Errorf("data at the limit: %d bytes, %v", len(b), err)
	}
	if _, err := Gunzip(member, 16<<20-1); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "16777215 bytes") {
		t.Errorf("a byte over the limit: %v", err)
	}
	if _, err := Gunzip(member[:100], 16<<20); err == nil || errors.Is(err, ErrTooLarge) {
		t.Errorf("truncated data: %v", err)
	}
}
