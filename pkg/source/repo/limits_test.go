package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// bigIndex is an index of n versions spread over n/50 charts, each entry about 350
// bytes, like those of a large public repository.
func bigIndex(n int) []byte {
	entries := make([]indexEntry, 0, n)
	for i := range n {
		entries = append(entries, indexEntry{
			name: fmt.Sprintf("chart-%05d", i/50), version: fmt.Sprintf("%d.%d.0", i%50/10, i%10),
			url: fmt.Sprintf("chart-%05d-%d.tgz", i/50, i%50), digest: strings.Repeat("ab", 32),
			description: "A chart with a description of ordinary length for benchmarking", appVersion: "1.2.3",
			keywords: []string{"one", "two"},
		})
	}
	return indexYAML(entries...)
}

// peakHeap runs f and returns the highest HeapAlloc above the starting one, sampled
// every millisecond (ReadMemStats stops the world, so samples are consistent).
func peakHeap(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base && ms.HeapAlloc-base > peak.Load() {
				peak.Store(ms.HeapAlloc - base)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	return peak.Load()
}

// endlessIndex serves an index that never ends, without a Content-Length, and counts
// the bytes it got to write; announce, if set, is sent as the Content-Length.
type endlessIndex struct {
	written  atomic.Int64
	announce string
}

func (e *endlessIndex) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if e.announce != "" {
		w.Header().Set("Content-Length", e.announce)
	}
	if _, err := io.WriteString(w, "apiVersion: v1\nentries:\n"); err != nil {
		return
	}
	chunk := []byte(strings.Repeat("  web:\n  - name: web\n    version: 1.0.0\n    urls: [web.tgz]\n", 1000))
	for r.Context().Err() == nil {
		n, err := w.Write(chunk)
		e.written.Add(int64(n))
		if err != nil {
			return
		}
	}
}

// overCap adds a repository whose index does not end and checks that it fails fast
// with an error naming the URL and the limit, reading no more than the limit (plus
// what the sockets buffer), with a small heap, and leaving nothing behind.
func overCap(t *testing.T, limit int64, want string) {
	srv := &endlessIndex{}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	m := NewManager(Options{ConfigFile: filepath.Join(dir, "repositories.yaml"), CacheDir: filepath.Join(dir, "cache"), MaxIndexSize: limit})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	var err error
	peak := peakHeap(func() { _, err = m.Add(ctx, Entry{Name: "huge", URL: ts.URL + "/charts"}, false) })
	took := time.Since(start)
	t.Logf("limit %s: failed after %v, server wrote %.1f MiB, peak heap %.1f MiB: %v", formatSize(limit), took, float64(srv.written.Load())/(1<<20), float64(peak)/(1<<20), err)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), ts.URL+"/charts/index.yaml") || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want ErrTooLarge naming the URL and %q", err, want)
	}
	if took > 3*time.Second {
		t.Errorf("took %v", took)
	}
	if w := srv.written.Load(); w > limit+16<<20 {
		t.Errorf("read %d bytes past a limit of %d", w-limit, limit)
	}
	if peak > 32<<20 {
		t.Errorf("peak heap %d MiB", peak>>20)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "cache")); len(left) != 0 {
		t.Errorf("left in the cache: %v", left)
	}
	if _, err := os.Stat(filepath.Join(dir, "repositories.yaml")); err == nil {
		if f, _ := LoadFile(filepath.Join(dir, "repositories.yaml")); f != nil && f.Get("huge") != nil {
			t.Error("the repository was added")
		}
	}
}

func TestIndexOverLimit(t *testing.T) {
	overCap(t, 1<<20, "limit of 1 MiB")
}

// TestIndexOverDefaultLimit streams just over the real limit (50 MiB) to disk.
func TestIndexOverDefaultLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 50 MiB")
	}
	overCap(t, DefaultMaxIndexSize, "limit of 50 MiB")
}

// TestIndexAnnouncedTooLarge: a Content-Length over the limit fails before the body is read.
func TestIndexAnnouncedTooLarge(t *testing.T) {
	srv := &endlessIndex{announce: fmt.Sprint(int64(DefaultMaxIndexSize) + 1)}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	m := testManager(t)
	_, err := m.Add(context.Background(), Entry{Name: "huge", URL: ts.URL}, false)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "limit of 50 MiB") {
		t.Fatalf("got %v", err)
	}
	if w := srv.written.Load(); w > 16<<20 {
		t.Errorf("read %d MiB of the body", w>>20)
	}
}

// TestCachedIndexOverLimit: an index cached under a higher limit is refused, not parsed.
func TestCachedIndexOverLimit(t *testing.T) {
	srv := newChartRepo(t, false)
	srv.put("/index.yaml", bigIndex(200))
	m := testManager(t)
	if _, err := m.Add(context.Background(), Entry{Name: "r", URL: srv.URL}, false); err != nil {
		t.Fatal(err)
	}
	small := NewManager(Options{ConfigFile: m.opts.ConfigFile, CacheDir: m.opts.CacheDir, MaxIndexSize: 1024})
	if _, err := small.Index("r"); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "limit of 1024 bytes") {
		t.Fatalf("got %v", err)
	}
	if _, warnings, err := small.Search(SearchOptions{}); err != nil || len(warnings) != 1 {
		t.Fatalf("search: %v %q", err, warnings)
	}
}

// TestLargeIndexMemory adds and searches an index of 20,000 versions (5.4 MiB) and
// bounds the peak heap of each: decoding the whole document at once needs about 20
// times the YAML's size, which this bound refuses.
func TestLargeIndexMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("parses a 5 MiB index three times")
	}
	data := bigIndex(20000)
	srv := newChartRepo(t, false)
	srv.put("/charts/index.yaml", data)
	m := testManager(t)
	add := peakHeap(func() {
		if _, err := m.Add(context.Background(), Entry{Name: "big", URL: srv.URL + "/charts"}, false); err != nil {
			t.Fatal(err)
		}
	})
	srv.put("/charts/index.yaml", nil)
	search := peakHeap(func() {
		r, _, err := m.Search(SearchOptions{Keyword: "chart-00001"})
		if err != nil || len(r) != 1 || r[0].Chart.Version != "4.9.0" {
			t.Fatalf("%v %+v", err, r)
		}
	})
	t.Logf("20,000 versions: peak heap: repo add %.1f MiB, search %.1f MiB", float64(add)/(1<<20), float64(search)/(1<<20))
	for what, got := range map[string]uint64{"add": add, "search": search} {
		if got > 64<<20 {
			t.Errorf("%s: peak heap %d MiB", what, got>>20)
		}
	}
}

// sameAsWhole checks that when decodeYAMLChunked accepts data, decoding the whole
// document gives the same index.
func sameAsWhole(t *testing.T, data []byte) (chunked bool) {
	t.Helper()
	got, err := decodeYAMLChunked(bytes.NewReader(data))
	if err != nil {
		return false
	}
	want, err := decodeYAMLIndex(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("chunked decoding accepted what the whole document's refuses (%v):\n%s", err, data)
	}
	if len(got.Entries) == 0 && len(want.Entries) == 0 {
		got.Entries, want.Entries = nil, nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("chunked %+v\nwhole   %+v\nfor\n%s", got, want, data)
	}
	return true
}

func TestChunkedDecodingIsWholeDecoding(t *testing.T) {
	fixture, err := os.ReadFile("testdata/index.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		data    string
		chunked bool
	}{
		"fixture":                         {string(fixture), true},
		"generated":                       {string(bigIndex(500)), true},
		"indented sequences and comments": {"# c\n---\napiVersion: v1\nentries:\n  # about a\n  a:\n    - name: a\n      version: 1.0.0\n      description: |\n        two\n\n        lines\n\n  b:\n  - name: b\n    version: 2.0.0 # c\n    created: 2016-10-06T16:23:20.499814565-06:00\n    annotations:\n      x: true\ngenerated: 2020-01-01T00:00:00Z\nserverInfo:\n  contextPath: /x\n", true},
		"null entries":                    {"apiVersion: v1\nentries:\ngenerated: \"2020-01-01T00:00:00Z\"\n", true},
		"flow entries":                    {"apiVersion: v1\nentries: {a: [{name: a, version: 1.0.0}]}\n", true},
		"anchor across charts":            {"apiVersion: v1\nentries:\n  a: &x\n  - name: a\n    version: 1.0.0\n  b: *x\n", false},
		"anchor within a chart":           {"apiVersion: v1\nentries:\n  a:\n  - &x\n    name: a\n    version: 1.0.0\n  - *x\n", true},
		"sequence at column 0":            {"apiVersion: v1\nentries:\n- a\n", false},
		"two documents":                   {"apiVersion: v1\nentries: {}\n---\napiVersion: v2\n", false},
		"quoted line at chart level":      {"apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    description: \"x\n  b: c\"\n", false},
		"entries twice":                   {"apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\nentries:\n  b: []\n", false},
		"tab":                             {"apiVersion: v1\nentries:\n\ta: []\n", false},
		"indented first line":             {"    version: 1.0.0\nentries:\n  a:\n  - name: a\napiVersion: v1\n", false},
		"entries:# is another key":        {"apiVersion: v1\nentries:# x\n  a:\n  - name: a\n    version: 1.0.0\n", false},
		"a chart twice":                   {"apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n  b: []\n  a:\n  - name: a\n    version: 2.0.0\n", true},
		"a field twice":                   {"apiVersion: v1\napiVersion: v2\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    version: 1.0.1\n", true},
		"crlf":                            {"apiVersion: v1\r\nentries:\r\n  a:\r\n  - name: a\r\n    version: 1.0.0\r\n", true},
	} {
		t.Run(name, func(t *testing.T) {
			if got := sameAsWhole(t, []byte(tc.data)); got != tc.chunked {
				t.Errorf("decoded chunk by chunk: %v, want %v", got, tc.chunked)
			}
		})
	}
}
