package git

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// bigRepo is a repository whose main branch has a chart and extra files.
func bigRepo(t *testing.T, extra map[string]string) (*workRepo, string) {
	t.Helper()
	r := newWorkRepo(t)
	files := chartFiles("charts/web", "1.0.0")
	for p, c := range extra {
		files[p] = c
	}
	return r, r.commit(files, "big")
}

func randomString(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assertRefused checks the error names the repository, the ref and the limit, and
// that the fetch left nothing in the cache.
func assertRefused(t *testing.T, err error, cache string, want ...string) {
	t.Helper()
	if !errors.Is(err, ErrLimitExceeded) {
		t.Fatalf("got %v, want ErrLimitExceeded", err)
	}
	t.Log(err)
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err, w)
		}
	}
	entries, rerr := os.ReadDir(cache)
	if rerr != nil || len(entries) != 0 {
		t.Errorf("cache holds %v (%v) after a refused fetch", entries, rerr)
	}
}

// allocated runs f and returns the bytes it allocated on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestLimitsFile: file:// reads the repository in place, so the file and checkout
// limits apply while writing the checkout.
func TestLimitsFile(t *testing.T) {
	ctx := context.Background()

	t.Run("file too large", func(t *testing.T) {
		// 24 MiB of zeros: a few KB in the repository, never read into memory.
		r, commit := bigRepo(t, map[string]string{"assets/big.bin": strings.Repeat("\x00", 24<<20)})
		cache := t.TempDir()
		g := getter(t, Options{CacheDir: cache, Limits: Limits{MaxFileSize: 1 << 20}})
		var err error
		start := time.Now()
		alloc := allocated(func() {
			_, err = g.Get(ctx, parse(t, "git+file://"+r.Bare+"//charts/web?ref=main"))
		})
		assertRefused(t, err, cache, "file://"+r.Bare, `ref "main"`, commit, "assets/big.bin", "24 MiB", "file size limit of 1 MiB")
		if alloc > 8<<20 {
			t.Errorf("refusing the file allocated %d MiB", alloc>>20)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("refusing the file took %s", d)
		} else {
			t.Logf("refused in %s, %d KiB allocated", d, alloc>>10)
		}
	})

	t.Run("checkout too large", func(t *testing.T) {
		extra := map[string]string{}
		for _, n := range []string{"a", "b", "c"} {
			extra["data/"+n] = strings.Repeat(n, 400<<10)
		}
		r, _ := bigRepo(t, extra)
		cache := t.TempDir()
		g := getter(t, Options{CacheDir: cache, Limits: Limits{MaxCheckoutSize: 1 << 20}})
		_, err := g.Get(ctx, parse(t, "git+file://"+r.Bare+"//charts/web?ref=main"))
		assertRefused(t, err, cache, "file://"+r.Bare, `ref "main"`, "checkout size limit of 1 MiB")

		// The same repository within the default limits.
		got, err := getter(t, Options{}).Get(ctx, parse(t, "git+file://"+r.Bare+"//charts/web?ref=main"))
		if err != nil || got.Version != "1.0.0" {
			t.Fatalf("default limits: %+v, %v", got, err)
		}
	})

	t.Run("other commits stay cached", func(t *testing.T) {
		r, small := bigRepo(t, nil)
		big := r.commit(map[string]string{"big.bin": randomString(t, 2<<20)}, "big")
		cache := t.TempDir()
		g := getter(t, Options{CacheDir: cache, Limits: Limits{MaxFileSize: 1 << 20}})
		if _, err := g.Get(ctx, parse(t, "git+file://"+r.Bare+"//charts/web?ref="+small)); err != nil {
			t.Fatal(err)
		}
		_, err := g.Get(ctx, parse(t, "git+file://"+r.Bare+"//charts/web?ref=main"))
		if !errors.Is(err, ErrLimitExceeded) {
			t.Fatalf("got %v", err)
		}
		entries, _ := filepath.Glob(filepath.Join(cache, "*", "*"))
		if len(entries) != 1 || filepath.Base(entries[0]) != small {
			t.Fatalf("cache holds %v, want only %s (not %s)", entries, small, big)
		}
	})
}

// TestLimitsHTTP: over the network the pack is refused before go-git reads it:
// for its size, or for the size of an object in it.
func TestLimitsHTTP(t *testing.T) {
	ctx := context.Background()

	t.Run("object too large", func(t *testing.T) {
		r, _ := bigRepo(t, map[string]string{"assets/big.bin": strings.Repeat("\x00", 24<<20)})
		srv := httpServer(t, filepath.Dir(r.Bare))
		cache := t.TempDir()
		g := getter(t, Options{CacheDir: cache, Limits: Limits{MaxFileSize: 1 << 20}})
		var err error
		start := time.Now()
		alloc := allocated(func() {
			_, err = g.Get(ctx, parse(t, "git+"+srv.URL+"/repo.git//charts/web?ref=main"))
		})
		assertRefused(t, err, cache, srv.URL+"/repo.git", `ref "main"`, "blob object of 24 MiB", "file size limit of 1 MiB")
		if alloc > 8<<20 {
			t.Errorf("refusing the pack allocated %d MiB", alloc>>20)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("refusing the pack took %s", d)
		} else {
			t.Logf("refused in %s, %d KiB allocated", d, alloc>>10)
		}
	})

	t.Run("pack too large", func(t *testing.T) {
		// Random bytes do not compress: the pack is over 3 MiB.
		r, _ := bigRepo(t, map[string]string{"assets/big.bin": randomString(t, 3<<20)})
		srv := httpServer(t, filepath.Dir(r.Bare))
		cache := t.TempDir()
		g := getter(t, Options{CacheDir: cache, Limits: Limits{MaxPackSize: 1 << 20}})
		_, err := g.Get(ctx, parse(t, "git+"+srv.URL+"/repo.git//charts/web?ref=main"))
		assertRefused(t, err, cache, srv.URL+"/repo.git", `ref "main"`, "pack size limit of 1 MiB")

		// The same repository within the default limits.
		got, err := getter(t, Options{}).Get(ctx, parse(t, "git+"+srv.URL+"/repo.git//charts/web?ref=main"))
		if err != nil || got.Version != "1.0.0" {
			t.Fatalf("default limits: %+v, %v", got, err)
		}
	})

	t.Run("pack inflating too much", func(t *testing.T) {
		// 4 × 400 KiB of one letter each: 1.6 MiB decompressed from a pack of a few
		// KB, and no file a delta of another.
		extra := map[string]string{}
		for _, n := range []string{"a", "b", "c", "d"} {
			extra["data/"+n] = strings.Repeat(n, 400<<10)
		}
		r, _ := bigRepo(t, extra)
		srv := httpServer(t, filepath.Dir(r.Bare))
		cache := t.TempDir()
		g := getter(t, Options{CacheDir: cache, Limits: Limits{MaxPackSize: 128 << 10}})
		_, err := g.Get(ctx, parse(t, "git+"+srv.URL+"/repo.git//charts/web?ref=main"))
		assertRefused(t, err, cache, srv.URL+"/repo.git", `ref "main"`, "more than 1 MiB decompressed")
	})
}

func TestDeltaHeader(t *testing.T) {
	for _, tc := range []struct {
		in     []byte
		target uint64
		ok     bool
	}{
		{[]byte{0x05, 0x07}, 7, true},
		{[]byte{0x80, 0x01, 0x80, 0x80, 0x40}, 1 << 20, true},
		{[]byte{0x05}, 0, false},
		{[]byte{0x05, 0x80}, 0, false},
	} {
		var d deltaHeader
		_, _ = d.Write(tc.in)
		got, ok := d.target()
		if got != tc.target || ok != tc.ok {
			t.Errorf("%x: %d, %v; want %d, %v", tc.in, got, ok, tc.target, tc.ok)
		}
	}
}

// packObject encodes one object of a pack: the type and size header, then its
// data deflated. ofs is the distance back to the base of an OFS delta.
func packObject(t *testing.T, typ byte, data []byte, ofs int64) []byte {
	t.Helper()
	n := len(data)
	hdr := []byte{typ<<4 | byte(n&0x0f)}
	for n >>= 4; n > 0; n >>= 7 {
		hdr[len(hdr)-1] |= 0x80
		hdr = append(hdr, byte(n&0x7f))
	}
	if typ == 6 { // OFS_DELTA: big-endian, each continued byte off by one
		enc := []byte{byte(ofs & 0x7f)}
		for ofs >>= 7; ofs > 0; ofs >>= 7 {
			ofs--
			enc = append([]byte{0x80 | byte(ofs&0x7f)}, enc...)
		}
		hdr = append(hdr, enc...)
	}
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return append(hdr, buf.Bytes()...)
}

// TestCheckObjectSizesDelta: a delta of a few bytes that claims to make a 1 GiB
// object is refused from its header, before any of it is applied.
func TestCheckObjectSizesDelta(t *testing.T) {
	base := packObject(t, 3, []byte("hello"), 0) // a blob
	// Base size 5, target size 1 GiB (LEB128), then one copy instruction.
	delta := []byte{0x05, 0x80, 0x80, 0x80, 0x80, 0x04, 0x91, 0x00, 0x05}
	pack := []byte("PACK\x00\x00\x00\x02\x00\x00\x00\x02")
	ofs := int64(len(base))
	pack = append(pack, base...)
	pack = append(pack, packObject(t, 6, delta, ofs)...)
	pack = append(pack, make([]byte, 20)...) // the checksum, not read

	err := checkObjectSizes(bytes.NewReader(pack), 1<<20, 1<<30)
	if !errors.Is(err, ErrLimitExceeded) || !strings.Contains(err.Error(), "delta making an object of 1.0 GiB") {
		t.Fatalf("got %v", err)
	}
	if err := checkObjectSizes(bytes.NewReader(pack), 2<<30, 1<<30); err != nil {
		t.Fatalf("within the limits: %v", err)
	}
}
