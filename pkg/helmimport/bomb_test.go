package helmimport

import (
	"encoding/base64"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/boundtest"

	"github.com/hoist-dev/hoist/pkg/release"
)

// TestHelmRecordGzipBomb: a Helm record Secret whose record decompresses to 512 MiB
// (680 KiB of base64, small enough for a Secret) is refused at release.MaxDecodedSize,
// naming the Secret and the limit, in bounded time and memory.
func TestHelmRecordGzipBomb(t *testing.T) {
	sec := helmSecret(t, "ns", "demo", 1, "deployed", minimalJSON("demo", "ns", 1, "deployed"), nil)
	sec.Data[DataKey] = []byte(base64.StdEncoding.EncodeToString(boundtest.GzipBomb(512)))
	t.Logf("bomb: %d KiB of base64", len(sec.Data[DataKey])>>10)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := DecodeSecret(sec, Options{})
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("refused in %v, %d KiB allocated: %v", took.Round(time.Millisecond), alloc>>10, err)
	if !errors.Is(err, ErrCorrupt) || !errors.Is(err, release.ErrTooLarge) ||
		!strings.HasPrefix(err.Error(), "secret ns/"+SecretName("demo", 1)+": ") || !strings.Contains(err.Error(), "128 MiB once decompressed") {
		t.Errorf("error %v, want ErrCorrupt naming the Secret and the limit", err)
	}
	if took > 3*time.Second || alloc > 16<<20 {
		t.Errorf("bomb took %v and %d MiB", took, alloc>>20)
	}
}
